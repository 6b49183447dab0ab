#include "redisserver.h"

#include "testsupport.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QStandardPaths>
#include <QThread>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <csignal>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <utility>

namespace testsupport {
namespace {

// --- a minimal RESP client: enough for setting up and inspecting the server ---

class Socket {
  public:
    explicit Socket(int fd = -1) : m_fd(fd) {}
    ~Socket() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return m_fd; }

  private:
    int m_fd;
};

int connectLoopback(int port, QDeadlineTimer deadline, QByteArray& error) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error = "socket() failed";
        return -1;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
        errno != EINPROGRESS) {
        error = "connect: " + QByteArray(strerror(errno));
        ::close(fd);
        return -1;
    }
    pollfd descriptor{fd, POLLOUT, 0};
    if (::poll(&descriptor, 1, int(qMax<qint64>(1, deadline.remainingTime()))) != 1) {
        error = "connect timed out";
        ::close(fd);
        return -1;
    }
    int socketError = 0;
    socklen_t length = sizeof socketError;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length);
    if (socketError != 0) {
        error = "connect: " + QByteArray(strerror(socketError));
        ::close(fd);
        return -1;
    }
    return fd;
}

// Parses one reply at `position`; nullopt when the buffer does not hold all of it yet.
std::optional<RedisReply> parseReply(const QByteArray& buffer, qsizetype& position) {
    const qsizetype lineEnd = buffer.indexOf("\r\n", position);
    if (lineEnd < 0 || position >= buffer.size())
        return std::nullopt;
    const char kind = buffer[position];
    const QByteArray line = buffer.mid(position + 1, lineEnd - position - 1);
    qsizetype next = lineEnd + 2;
    RedisReply reply;
    switch (kind) {
    case '+':
        reply.type = RedisReply::Type::Status;
        reply.text = line;
        break;
    case '-':
        reply.type = RedisReply::Type::Error;
        reply.text = line;
        break;
    case ':':
        reply.type = RedisReply::Type::Integer;
        reply.integer = line.toLongLong();
        break;
    case '$': {
        const qsizetype length = line.toLongLong();
        if (length < 0) {
            reply.type = RedisReply::Type::Nil;
            break;
        }
        if (buffer.size() < next + length + 2)
            return std::nullopt;
        reply.type = RedisReply::Type::String;
        reply.text = buffer.mid(next, length);
        next += length + 2;
        break;
    }
    case '*': {
        const qsizetype count = line.toLongLong();
        if (count < 0) {
            reply.type = RedisReply::Type::Nil;
            break;
        }
        reply.type = RedisReply::Type::Array;
        for (qsizetype i = 0; i < count; ++i) {
            auto element = parseReply(buffer, next);
            if (!element)
                return std::nullopt;
            reply.elements.append(*element);
        }
        break;
    }
    default:
        reply.type = RedisReply::Type::Failed;
        reply.text = "unparsable reply: " + buffer.mid(position, 40);
        break;
    }
    position = next;
    return reply;
}

QByteArray encode(const QList<QByteArray>& arguments) {
    QByteArray wire = '*' + QByteArray::number(arguments.size()) + "\r\n";
    for (const QByteArray& argument : arguments)
        wire += '$' + QByteArray::number(argument.size()) + "\r\n" + argument + "\r\n";
    return wire;
}

RedisReply failed(const QByteArray& reason) {
    RedisReply reply;
    reply.type = RedisReply::Type::Failed;
    reply.text = reason;
    return reply;
}

// Sends all commands and returns the last reply (earlier ones, e.g. AUTH, must succeed).
RedisReply runCommands(int port, const QList<QList<QByteArray>>& commands, int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    QByteArray error;
    Socket socket(connectLoopback(port, deadline, error));
    if (socket.fd() < 0)
        return failed(error);
    QByteArray wire;
    for (const auto& command : commands)
        wire += encode(command);
    qsizetype sent = 0;
    while (sent < wire.size()) {
        pollfd descriptor{socket.fd(), POLLOUT, 0};
        if (::poll(&descriptor, 1, int(qMax<qint64>(1, deadline.remainingTime()))) != 1)
            return failed("send timed out");
        ssize_t written =
            ::send(socket.fd(), wire.constData() + sent, size_t(wire.size() - sent), MSG_NOSIGNAL);
        if (written < 0 && errno != EAGAIN && errno != EINTR)
            return failed("send: " + QByteArray(strerror(errno)));
        sent += qMax<ssize_t>(0, written);
    }
    QByteArray buffer;
    qsizetype position = 0;
    RedisReply last;
    for (qsizetype index = 0; index < commands.size();) {
        if (auto reply = parseReply(buffer, position)) {
            if (index + 1 < commands.size() && reply->isError())
                return *reply; // a failed AUTH explains more than what follows
            last = *reply;
            ++index;
            continue;
        }
        pollfd descriptor{socket.fd(), POLLIN, 0};
        if (::poll(&descriptor, 1, int(qMax<qint64>(1, deadline.remainingTime()))) != 1)
            return failed("no reply in time");
        char chunk[16384];
        ssize_t got = ::recv(socket.fd(), chunk, sizeof chunk, 0);
        if (got == 0)
            return failed("connection closed by the server");
        if (got < 0 && errno != EAGAIN && errno != EINTR)
            return failed("recv: " + QByteArray(strerror(errno)));
        if (got > 0)
            buffer.append(chunk, got);
    }
    return last;
}

} // namespace

RedisReply commandAt(int port, const QList<QByteArray>& arguments, int timeoutMs) {
    return runCommands(port, {arguments}, timeoutMs);
}

RedisReply commandsAt(int port, const QList<QList<QByteArray>>& commands, int timeoutMs) {
    return runCommands(port, commands, timeoutMs);
}

QString RedisReply::toString() const {
    switch (type) {
    case Type::Nil:
        return QStringLiteral("(nil)");
    case Type::Status:
        return QString::fromUtf8(text);
    case Type::Error:
        return QStringLiteral("(error) ") + QString::fromUtf8(text);
    case Type::Failed:
        return QStringLiteral("(failed) ") + QString::fromUtf8(text);
    case Type::Integer:
        return QStringLiteral("(integer) ") + QString::number(integer);
    case Type::String:
        return u'"' + QString::fromUtf8(text) + u'"';
    case Type::Array: {
        QStringList parts;
        for (const RedisReply& element : elements)
            parts << element.toString();
        return u'[' + parts.join(QStringLiteral(", ")) + u']';
    }
    }
    return {};
}

QString RedisServer::unixSocket() const {
    return m_directory ? m_directory->filePath(QStringLiteral("redis.sock")) : QString();
}

int freeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

RedisServer::RedisServer() = default;

RedisServer::~RedisServer() {
    stop();
}

QString RedisServer::serverProgram() {
    QString program = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (program.isEmpty() && QFile::exists(QStringLiteral("/usr/bin/redis-server")))
        program = QStringLiteral("/usr/bin/redis-server");
    return program;
}

bool RedisServer::start(const QStringList& extraArguments) {
    m_error.clear();
    const QString program = serverProgram();
    if (program.isEmpty()) {
        m_error = QStringLiteral("redis-server is not installed (not on PATH, no "
                                 "/usr/bin/redis-server): install the redis-server package");
        return false;
    }
    if (isRunning())
        return true;
    if (!m_directory) {
        m_directory = std::make_unique<QTemporaryDir>();
        if (!m_directory->isValid()) {
            m_error = QStringLiteral("cannot create a temporary directory");
            return false;
        }
    }
    const bool samePort = m_port != 0;
    for (int attempt = 0; attempt < (samePort ? 1 : 5); ++attempt) {
        if (!samePort)
            m_port = freeLoopbackPort();
        QStringList arguments{QStringLiteral("--port"),
                              QString::number(m_port),
                              QStringLiteral("--bind"),
                              host(),
                              QStringLiteral("--dir"),
                              m_directory->path(),
                              QStringLiteral("--save"),
                              QString(),
                              QStringLiteral("--appendonly"),
                              QStringLiteral("no"),
                              QStringLiteral("--daemonize"),
                              QStringLiteral("no"),
                              QStringLiteral("--logfile"),
                              m_directory->filePath(QStringLiteral("redis.log")),
                              QStringLiteral("--unixsocket"),
                              unixSocket(),
                              QStringLiteral("--unixsocketperm"),
                              QStringLiteral("700")};
        arguments += extraArguments;
        m_process = std::make_unique<QProcess>();
        // A test that crashes must not leave its server behind.
        m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process->setStandardOutputFile(QProcess::nullDevice());
        m_process->start(program, arguments);
        if (!m_process->waitForStarted(10000)) {
            m_error = QStringLiteral("cannot start ") + program + QStringLiteral(": ") +
                      m_process->errorString();
            return false;
        }
        if (waitUntilReady(10000))
            return true;
        stop();
    }
    if (m_error.isEmpty())
        m_error = QStringLiteral("redis-server did not answer on port ") + QString::number(m_port) +
                  QStringLiteral(": ") + log();
    return false;
}

bool RedisServer::startTls(const QString& certificate, const QString& key, const QString& caFile,
                           bool authClients, const QStringList& extraArguments) {
    if (m_tlsPort == 0)
        m_tlsPort = freeLoopbackPort();
    return start(QStringList{QStringLiteral("--tls-port"), QString::number(m_tlsPort),
                             QStringLiteral("--tls-cert-file"), certificate,
                             QStringLiteral("--tls-key-file"), key,
                             QStringLiteral("--tls-ca-cert-file"), caFile,
                             QStringLiteral("--tls-auth-clients"),
                             authClients ? QStringLiteral("yes") : QStringLiteral("no")} +
                 extraArguments);
}

bool RedisServer::waitUntilReady(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (!isRunning()) {
            m_error = QStringLiteral("redis-server exited: ") + log();
            return false;
        }
        RedisReply reply = runCommands(m_port, {{"PING"}}, 500);
        // NOAUTH also proves the server is up (requirepass).
        if (reply.type == RedisReply::Type::Status || reply.type == RedisReply::Type::Error)
            return true;
        QThread::msleep(20);
    }
    return false;
}

void RedisServer::stop() {
    if (!m_process)
        return;
    thaw(); // a frozen server would take SIGTERM only when it runs again
    testsupport::stopProcess(*m_process);
    m_process.reset();
}

void RedisServer::kill() {
    m_frozen = false; // SIGKILL ends a stopped process too
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    m_process.reset();
}

bool RedisServer::isRunning() const {
    return m_process && m_process->state() == QProcess::Running;
}

qint64 RedisServer::pid() const {
    return isRunning() ? m_process->processId() : 0;
}

portalocker::RedisOptions RedisServer::patientOptions() const {
    portalocker::RedisOptions patient = options();
    patient.connect_timeout = std::chrono::minutes(1);
    patient.command_timeout = std::chrono::minutes(1);
    return patient;
}

void RedisServer::freeze() {
    if (const qint64 running = pid();
        running > 0 && ::kill(static_cast<pid_t>(running), SIGSTOP) == 0)
        m_frozen = true;
}

void RedisServer::thaw() {
    if (!std::exchange(m_frozen, false))
        return;
    if (const qint64 running = pid(); running > 0)
        ::kill(static_cast<pid_t>(running), SIGCONT);
}

QString RedisServer::url() const {
    return QStringLiteral("redis://127.0.0.1:") + QString::number(m_port) + QStringLiteral("/0");
}

portalocker::RedisOptions RedisServer::options() const {
    portalocker::RedisOptions options;
    options.host = "127.0.0.1";
    options.port = m_port;
    options.connect_timeout = std::chrono::milliseconds(2000);
    options.command_timeout = std::chrono::milliseconds(2000);
    return options;
}

QString RedisServer::log() const {
    QFile file(m_directory ? m_directory->filePath(QStringLiteral("redis.log")) : QString());
    if (!file.open(QIODevice::ReadOnly))
        return QStringLiteral("(no log)");
    return QString::fromUtf8(file.readAll().right(2000));
}

void RedisServer::setAdminCredentials(const QByteArray& user, const QByteArray& password) {
    m_adminUser = user;
    m_adminPassword = password;
}

RedisReply RedisServer::command(const QList<QByteArray>& arguments, int timeoutMs) const {
    QList<QList<QByteArray>> commands;
    if (!m_adminPassword.isEmpty())
        commands.append(m_adminUser.isEmpty()
                            ? QList<QByteArray>{"AUTH", m_adminPassword}
                            : QList<QByteArray>{"AUTH", m_adminUser, m_adminPassword});
    commands.append(arguments);
    return runCommands(m_port, commands, timeoutMs);
}

RedisReply RedisServer::command(const char* text, int timeoutMs) const {
    QList<QByteArray> arguments;
    for (const QByteArray& word : QByteArray(text).split(' '))
        if (!word.isEmpty())
            arguments.append(word);
    return command(arguments, timeoutMs);
}

QList<QByteArray> RedisServer::clientNames() const {
    QList<QByteArray> names;
    const RedisReply list = command("CLIENT LIST");
    for (const QByteArray& line : list.text.split('\n'))
        for (const QByteArray& field : line.trimmed().split(' '))
            if (field.startsWith("name=") && field.size() > 5)
                names.append(field.mid(5));
    return names;
}

qint64 RedisServer::clientIdByName(const QByteArray& name) const {
    const RedisReply list = command("CLIENT LIST");
    for (const QByteArray& line : list.text.split('\n')) {
        qint64 id = 0;
        bool matches = false;
        for (const QByteArray& field : line.trimmed().split(' ')) {
            if (field.startsWith("id="))
                id = field.mid(3).toLongLong();
            else if (field == "name=" + name)
                matches = true;
        }
        if (matches)
            return id;
    }
    return 0;
}

} // namespace testsupport
