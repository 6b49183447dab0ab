#include "badinputsupport.h"

#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>

#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace badinput {

QString describeCodes(std::error_code actual, std::error_code expected) {
    auto text = [](std::error_code code) {
        return QStringLiteral("%1:%2 (%3)")
            .arg(QString::fromUtf8(code.category().name()))
            .arg(code.value())
            .arg(QString::fromStdString(code.message()));
    };
    return QStringLiteral("got %1, expected %2").arg(text(actual), text(expected));
}

QString Outcome::describe() const {
    return QStringLiteral("exit %1%2 after %3 ms\nstdout: %4\nstderr: %5")
        .arg(exitCode)
        .arg(!started   ? QStringLiteral(" (could not start)")
             : finished ? QString()
                        : QStringLiteral(" (did not finish: killed)"))
        .arg(elapsedMs)
        .arg(QString::fromUtf8(out.left(2000)), QString::fromUtf8(err.left(2000)));
}

Outcome run(const QString& program, const QStringList& arguments, int timeoutMs, bool asNobody) {
    QProcess process;
    process.setProgram(program);
    process.setArguments(arguments);
    process.setStandardInputFile(QProcess::nullDevice());
    if (asNobody)
        process.setChildProcessModifier([] {
            // After fork, before exec: only async-signal-safe calls.
            if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(125);
        });
    QElapsedTimer timer;
    timer.start();
    process.start();
    Outcome outcome;
    if (!process.waitForStarted(10000)) {
        outcome.err = process.errorString().toUtf8();
        return outcome;
    }
    outcome.started = true;
    outcome.finished = process.waitForFinished(timeoutMs);
    if (!outcome.finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    outcome.elapsedMs = timer.elapsed();
    outcome.out = process.readAllStandardOutput();
    outcome.err = process.readAllStandardError();
    if (outcome.finished && process.exitStatus() == QProcess::NormalExit)
        outcome.exitCode = process.exitCode();
    return outcome;
}

Outcome lockctl(const QStringList& arguments, int timeoutMs, bool asNobody) {
    return run(testsupport::programPath("LOCKSCOPE_LOCKCTL"), arguments, timeoutMs, asNobody);
}

QString arg(const QByteArray& bytes) {
    return QString::fromUtf8(bytes);
}

QByteArray bytes(const std::string& text) {
    return QByteArray::fromStdString(text);
}

// True when `text` has no raw control character except a final newline and is valid UTF-8:
// a message that cannot garble a terminal or split a log line.
bool isPrintableLine(const QByteArray& text) {
    return testsupport::isHarmlessText(text.endsWith('\n') ? text.chopped(1) : text);
}

// argv for `sh -c` that passes `path` to lockctl byte for byte (QProcess arguments are
// QStrings, which cannot carry invalid UTF-8): printf rebuilds it from octal escapes.
static QString printfFormat(const QByteArray& path) {
    QString format;
    for (char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '/' || c == '.' || c == '_' || c == '-')
            format += QLatin1Char(c);
        else
            format += QStringLiteral("\\%1").arg(int(byte), 3, 8, QLatin1Char('0'));
    }
    return format;
}

Outcome lockctlWithRawPath(const QString& subcommand, const QByteArray& path,
                           const QStringList& rest) {
    // The trailing "x" keeps $(...) from eating newlines at the end of the path.
    const QString script = QStringLiteral("p=$(printf \"$1\"; echo x); p=${p%x}; "
                                          "shift; exec \"$LOCKSCOPE_LOCKCTL\" %1 \"$p\" \"$@\"")
                               .arg(subcommand);
    return run(QStringLiteral("/bin/sh"),
               QStringList{QStringLiteral("-c"), script, QStringLiteral("sh"), printfFormat(path)} +
                   rest);
}

QStringList entries(const QString& directory) {
    QStringList names;
    QDirIterator it(directory,
                    QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        names << QDir(directory).relativeFilePath(it.next());
    names.sort();
    return names;
}

int openDescriptors() {
    return int(QDir(QStringLiteral("/proc/self/fd")).count()) - 2;
}

QString JunkServer::url() const {
    return QStringLiteral("redis://127.0.0.1:%1/0").arg(m_port);
}

JunkServer::JunkServer(Junk mode) : m_mode(mode) {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(m_listener, 16) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        qFatal("JunkServer: cannot listen: %s", strerror(errno));
    m_port = ntohs(address.sin_port);
    if (::pipe2(m_wakeup, O_CLOEXEC) != 0)
        qFatal("JunkServer: pipe: %s", strerror(errno));
    m_thread = std::thread([this] { serve(); });
}

JunkServer::~JunkServer() {
    (void)!::write(m_wakeup[1], "x", 1);
    m_thread.join();
    ::close(m_listener);
    ::close(m_wakeup[0]);
    ::close(m_wakeup[1]);
}

namespace {
void sendAll(int fd, const QByteArray& data) {
    qsizetype sent = 0;
    while (sent < data.size()) {
        ssize_t n = ::send(fd, data.constData() + sent, size_t(data.size() - sent), MSG_NOSIGNAL);
        if (n <= 0)
            return;
        sent += n;
    }
}
} // namespace

void JunkServer::serve() {
    std::vector<pollfd> fds{{m_wakeup[0], POLLIN, 0}, {m_listener, POLLIN, 0}};
    for (;;) {
        for (auto& entry : fds)
            entry.revents = 0;
        if (::poll(fds.data(), fds.size(), 50) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents & POLLIN) {
            int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (client >= 0) {
                if (m_mode == Junk::close) {
                    ::close(client);
                } else {
                    fds.push_back({client, POLLIN, 0});
                    if (m_mode == Junk::deepNesting) {
                        QByteArray nested;
                        for (int i = 0; i < 100000; ++i)
                            nested += "*1\r\n";
                        sendAll(client, nested + ":1\r\n");
                    } else if (m_mode == Junk::hugeBulk) {
                        sendAll(client, "$2147483647\r\n" + QByteArray(4096, 'x'));
                    }
                }
            }
        }
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buffer[4096];
            ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                ::close(fds[i].fd);
                fds.erase(fds.begin() + long(i));
                --i;
                continue;
            }
            if (m_mode == Junk::garbage)
                sendAll(fds[i].fd,
                        QByteArray("HTTP/1.1 400 Bad Request\r\n\r\n\x00\xff\xfe junk", 36));
        }
    }
    for (std::size_t i = 2; i < fds.size(); ++i)
        ::close(fds[i].fd);
}

} // namespace badinput
