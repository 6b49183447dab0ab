#pragma once
// Helpers shared by the test suites: start the lockhelper program (another process that
// takes, holds and reports locks) and talk to it line by line.

#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

namespace testsupport {

/// Path of a program the tests run, from the environment CTest sets (LOCKSCOPE_LOCKHELPER,
/// LOCKSCOPE_LOCKCTL); fails the test if it is missing.
QString programPath(const char* environmentVariable);

/// Path of a file in tests/support/data (shared test data: the /proc/locks sample, the
/// Python holder scripts); a missing file fails the test.
QString dataPath(const char* name);
/// The contents of a file in tests/support/data; empty, with a test failure, if unreadable.
QByteArray dataFile(const char* name);

/// An upper bound on how long something may take, in ms: `ms` times LOCKSCOPE_TIME_SCALE
/// (default 1). The tsan test preset sets a scale, because ThreadSanitizer slows every
/// process several times; everywhere else the bounds stay as written.
qint64 timeBound(qint64 ms);

/// True when the library resolves host names synchronously (ThreadSanitizer builds: see
/// core/src/redis/resolver.hpp): there a cancel is seen only once the lookup returns, so tests
/// of cancelled lookups check that documented behaviour instead. The library's own answer.
bool synchronousHostLookup();

/// True when `text` is what the library's escaping (core/src/printable.hpp) promises to show:
/// valid UTF-8 without any control character (C0, DEL, C1) and without any character that
/// reorders or hides text (bidi controls, zero-width characters, line separators, BOM).
bool isHarmlessText(const QByteArray& text);

/// Ends a server process the tests started: SIGTERM, then SIGKILL if it has not exited within
/// 5 s; waits for it either way. Does nothing for a process that is not running.
void stopProcess(QProcess& process);

/// A child process whose standard output is read line by line ("READY", "LOCKED 123", ...).
class ChildProcess {
  public:
    ChildProcess();
    ~ChildProcess(); ///< kills the process if still running
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    /// Starts `program` with `arguments`; false (with a test failure message) if it cannot.
    bool start(const QString& program, const QStringList& arguments);
    /// Starts the lockhelper program.
    bool startHelper(const QStringList& arguments);
    /// Waits for the next line on standard output (without the newline); empty on timeout
    /// or end of output.
    QString readLine(int timeoutMs = 10000);
    /// Waits until a line starting with `prefix` arrives; returns it (empty on timeout).
    QString waitFor(const QString& prefix, int timeoutMs = 10000);
    void writeLine(const QString& line);
    qint64 pid() const;
    /// Waits for exit; returns the exit code, or -1 on timeout or crash.
    int waitForExit(int timeoutMs = 10000);
    void kill();
    QProcess& process() { return *m_process; }
    /// Everything the process wrote to standard error so far.
    QString standardError();

  private:
    std::unique_ptr<QProcess> m_process;
    QByteArray m_buffer;
    QByteArray m_stderr;
};

/// Starts the Redis helper program (LOCKSCOPE_REDISHELPER, tests/redis) with `arguments`
/// and waits until it holds its lock (a line starting LOCKED); false, with a warning that
/// quotes what it said instead, if it does not.
bool startRedisHolder(ChildProcess& process, const QStringList& arguments);

} // namespace testsupport
