#pragma once
// Helpers of the bad-input suites: run a program to the end with a deadline, list what a
// directory holds (to prove nothing was left behind), count our open descriptors, and a TCP
// server that answers garbage.

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <QTest>

#include <string>
#include <system_error>
#include <thread>

/// QCOMPARE for std::error_code, with both codes in the failure message.
#define COMPARE_EC(actual, expected)                                                               \
    do {                                                                                           \
        const std::error_code actualCode_ = (actual);                                              \
        const std::error_code expectedCode_ = (expected);                                          \
        QVERIFY2(actualCode_ == expectedCode_,                                                     \
                 qPrintable(badinput::describeCodes(actualCode_, expectedCode_)));                 \
    } while (false)

namespace badinput {

/// An error_code that means the errno `expected`, in whichever category it comes.
#define COMPARE_ERRNO(actual, expected)                                                            \
    COMPARE_EC(std::error_code(std::error_code(actual).default_error_condition().value(),          \
                               std::generic_category()),                                           \
               std::error_code((expected), std::generic_category()))

/// "got <category>:<value> (<message>), expected ...".
QString describeCodes(std::error_code actual, std::error_code expected);

struct Outcome {
    int exitCode = -1; ///< -1: could not start, crashed, or did not finish in time (killed)
    bool started = false;
    bool finished = false;
    QByteArray out;
    QByteArray err;
    qint64 elapsedMs = 0;
    /// For failure messages.
    QString describe() const;
};

/// Runs `program` with `arguments` (stdin closed) and waits at most `timeoutMs`; a program
/// still running then is killed and reported as not finished. `asNobody` drops the child to
/// uid/gid 65534 before exec (the tests run as root in CI, where permissions do not bite).
Outcome run(const QString& program, const QStringList& arguments, int timeoutMs = 20000,
            bool asNobody = false);
/// run() of lockctl (LOCKSCOPE_LOCKCTL).
Outcome lockctl(const QStringList& arguments, int timeoutMs = 20000, bool asNobody = false);
/// A QString that carries raw bytes through QProcess unchanged (local 8-bit = UTF-8 here, so
/// only valid UTF-8 survives; use for argv made of valid UTF-8 with control characters).
QString arg(const QByteArray& bytes);

/// `text` as raw bytes (paths are bytes on Linux).
QByteArray bytes(const std::string& text);
/// True when `text` but a final newline is testsupport::isHarmlessText(): a message that
/// cannot garble a terminal, split a log line or disguise a name in it.
bool isPrintableLine(const QByteArray& text);
/// lockctl SUBCOMMAND PATH REST... with PATH passed byte for byte (QProcess arguments are
/// QStrings, which cannot carry invalid UTF-8): a shell rebuilds it with printf.
Outcome lockctlWithRawPath(const QString& subcommand, const QByteArray& path,
                           const QStringList& rest);

/// Every name below `directory` (recursively, sorted, hidden files included).
QStringList entries(const QString& directory);
/// The number of descriptors this process has open.
int openDescriptors();

/// What the garbage server does with a connection.
enum class Junk {
    garbage,    ///< answers every read with bytes that are not RESP
    close,      ///< closes at once
    silent,     ///< accepts, reads, never answers
    hugeBulk,   ///< announces a 2 GB bulk string and sends a trickle of it
    deepNesting ///< a reply nested 100,000 arrays deep
};

/// A TCP server on 127.0.0.1 that misbehaves as told; runs on its own thread until destroyed.
class JunkServer {
  public:
    explicit JunkServer(Junk mode);
    ~JunkServer();
    JunkServer(const JunkServer&) = delete;
    JunkServer& operator=(const JunkServer&) = delete;
    int port() const { return m_port; }
    QString url() const;

  private:
    void serve();
    Junk m_mode;
    int m_listener = -1;
    int m_port = 0;
    int m_wakeup[2] = {-1, -1};
    std::thread m_thread;
};

} // namespace badinput
