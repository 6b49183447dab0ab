#include "sshserver.h"

#include "redisserver.h" // freeLoopbackPort()

#include "testsupport.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QMultiMap>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace testsupport {

namespace {

const QString sshd = QStringLiteral("/usr/sbin/sshd");

bool runQuietly(const QString& program, const QStringList& arguments, QString& error) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, arguments);
    if (!process.waitForFinished(30000) || process.exitStatus() != QProcess::NormalExit ||
        process.exitCode() != 0) {
        error = program + QLatin1Char(' ') + arguments.join(QLatin1Char(' ')) +
                QStringLiteral(" failed: ") + QString::fromLocal8Bit(process.readAll()) +
                process.errorString();
        return false;
    }
    return true;
}

bool writeFile(const QString& path, const QByteArray& contents, QString& error) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(contents) != contents.size()) {
        error = QStringLiteral("cannot write ") + path + QStringLiteral(": ") + file.errorString();
        return false;
    }
    // ssh refuses a configuration or key that others may write.
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

QByteArray readFile(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

/// Every descendant of `root` (from /proc/PID/stat), children before parents' later kin.
QList<pid_t> descendantsOf(pid_t root) {
    QMultiMap<pid_t, pid_t> children;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool number = false;
        const pid_t pid = static_cast<pid_t>(entry.toInt(&number));
        if (!number)
            continue;
        const QByteArray stat =
            readFile(QStringLiteral("/proc/") + entry + QStringLiteral("/stat"));
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        const qsizetype close = stat.lastIndexOf(')');
        if (close < 0)
            continue;
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        if (fields.size() > 1)
            children.insert(static_cast<pid_t>(fields.at(1).toInt()), pid);
    }
    QList<pid_t> found;
    QList<pid_t> pending{root};
    while (!pending.isEmpty()) {
        const pid_t parent = pending.takeFirst();
        for (pid_t child : children.values(parent)) {
            found << child;
            pending << child;
        }
    }
    return found;
}

} // namespace

SshServer::SshServer() = default;

SshServer::~SshServer() {
    kill();
}

QString SshServer::userName() {
    const passwd* entry = ::getpwuid(::geteuid());
    return entry ? QString::fromLocal8Bit(entry->pw_name) : QString::number(::geteuid());
}

bool SshServer::start(const QList<Listener>& listeners, bool ownPidNamespace) {
    m_error.clear();
    if (!QFile::exists(sshd)) {
        m_error = sshd + QStringLiteral(" is missing: install Debian's openssh-server");
        return false;
    }
    m_listeners = listeners;
    m_ownPidNamespace = ownPidNamespace;
    m_directory = std::make_unique<QTemporaryDir>();
    if (!m_directory->isValid()) {
        m_error = QStringLiteral("cannot create a temporary directory");
        return false;
    }
    for (const Listener& listener : m_listeners)
        m_ports.insert(listener.alias, freeLoopbackPort());
    m_closedPort = freeLoopbackPort();
    return makeKeys() && writeConfigs() && launch();
}

bool SshServer::restart() {
    if (isRunning())
        return true;
    return launch();
}

bool SshServer::makeKeys() {
    const QDir dir(directory());
    for (const char* name : {"host_key", "client_key", "stranger_key"})
        if (!runQuietly(QStringLiteral("ssh-keygen"),
                        {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"),
                         QStringLiteral("-N"), QString(), QStringLiteral("-C"),
                         QStringLiteral("lockscope-test"), QStringLiteral("-f"),
                         dir.filePath(QLatin1String(name))},
                        m_error))
            return false;
    return true;
}

bool SshServer::writeConfigs() {
    const QDir dir(directory());
    const QByteArray hostKey = readFile(dir.filePath(QStringLiteral("host_key.pub"))).trimmed();
    const QByteArray clientKey = readFile(dir.filePath(QStringLiteral("client_key.pub")));
    if (hostKey.isEmpty() || clientKey.isEmpty()) {
        m_error = QStringLiteral("ssh-keygen made no keys in ") + directory();
        return false;
    }
    const QByteArray user = userName().toLocal8Bit();
    QByteArray server = "ListenAddress 127.0.0.1\n"
                        "HostKey " +
                        dir.filePath(QStringLiteral("host_key")).toLocal8Bit() +
                        "\nAuthorizedKeysFile " +
                        dir.filePath(QStringLiteral("authorized_keys")).toLocal8Bit() +
                        "\nPidFile none\n"
                        "StrictModes no\n"
                        "UsePAM no\n"
                        "PasswordAuthentication no\n"
                        "KbdInteractiveAuthentication no\n"
                        "PubkeyAuthentication yes\n"
                        "PermitRootLogin prohibit-password\n"
                        "AllowUsers " +
                        user +
                        "\nPrintMotd no\n"
                        "LogLevel INFO\n";
    for (const Listener& listener : m_listeners)
        server += "Port " + QByteArray::number(m_ports.value(listener.alias)) + '\n';
    // Match blocks last: everything after a Match belongs to it.
    // sshd runs the command through the user's shell, and bash then reads ~/.bashrc: a
    // developer's rc (pyenv, conda, a prompt that talks to the network) can stall every login
    // for a minute - pyenv's shim lock, left behind when a test kills a login, did. So each
    // port gets a home of its own, empty, unless the listener names one.
    for (const Listener& listener : m_listeners) {
        QStringList environment = listener.environment;
        const bool ownHome =
            std::any_of(environment.cbegin(), environment.cend(),
                        [](const QString& entry) { return entry.startsWith(u"HOME="); });
        if (!ownHome) {
            const QString home = dir.filePath(QStringLiteral("home-") + listener.alias);
            if (!QDir().mkpath(home)) {
                m_error = QStringLiteral("cannot make ") + home;
                return false;
            }
            environment << QStringLiteral("HOME=") + home;
        }
        server += "Match LocalPort " + QByteArray::number(m_ports.value(listener.alias)) +
                  "\n  SetEnv " + environment.join(QLatin1Char(' ')).toLocal8Bit() + '\n';
    }

    QByteArray knownHosts;
    QByteArray client;
    const QByteArray identity = dir.filePath(QStringLiteral("client_key")).toLocal8Bit();
    const QByteArray stranger = dir.filePath(QStringLiteral("stranger_key")).toLocal8Bit();
    const QByteArray known = dir.filePath(QStringLiteral("known_hosts")).toLocal8Bit();
    const QByteArray unknown = dir.filePath(QStringLiteral("known_hosts_empty")).toLocal8Bit();
    auto host = [&](const QByteArray& alias, int port, const QByteArray& key,
                    const QByteArray& knownHostsFile) {
        client += "Host " + alias + "\n  HostName 127.0.0.1\n  Port " + QByteArray::number(port) +
                  "\n  User " + user + "\n  IdentityFile " + key +
                  "\n  IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile " +
                  knownHostsFile +
                  "\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n"
                  "  BatchMode yes\n  ConnectTimeout 5\n  LogLevel ERROR\n";
    };
    for (const Listener& listener : m_listeners) {
        const int port = m_ports.value(listener.alias);
        const QByteArray alias = listener.alias.toLocal8Bit();
        knownHosts += "[127.0.0.1]:" + QByteArray::number(port) + ' ' + hostKey + '\n';
        host(alias, port, identity, known);
        host(alias + "-unknown-key", port, identity, unknown);
        host(alias + "-refused", port, stranger, known);
    }
    host("unreachable", m_closedPort, identity, known);

    return writeFile(dir.filePath(QStringLiteral("sshd_config")), server, m_error) &&
           writeFile(dir.filePath(QStringLiteral("authorized_keys")), clientKey, m_error) &&
           writeFile(QString::fromLocal8Bit(known), knownHosts, m_error) &&
           writeFile(QString::fromLocal8Bit(unknown), QByteArray(), m_error) &&
           writeFile(clientConfig(), client, m_error);
}

bool SshServer::launch() {
    if (::geteuid() == 0) {
        // Debian's sshd insists on its privilege separation directory, which the
        // openssh-server package normally makes at boot.
        QDir().mkpath(QStringLiteral("/run/sshd"));
    }
    const QDir dir(directory());
    QFile::remove(dir.filePath(QStringLiteral("sshd.log")));
    QStringList arguments{QStringLiteral("-D"), QStringLiteral("-f"),
                          dir.filePath(QStringLiteral("sshd_config")), QStringLiteral("-E"),
                          dir.filePath(QStringLiteral("sshd.log"))};
    QString program = sshd;
    if (m_ownPidNamespace) {
        QStringList wrapper{QStringLiteral("--pid"), QStringLiteral("--fork"),
                            QStringLiteral("--kill-child"), QStringLiteral("--mount-proc")};
        // An ordinary user needs a user namespace to make the others; mapped to itself, sshd
        // still runs (and logs in) as that user.
        if (::geteuid() != 0)
            wrapper.prepend(QStringLiteral("--map-current-user"));
        arguments = wrapper + QStringList{sshd} + arguments;
        program = QStringLiteral("unshare");
    }
    m_process = std::make_unique<QProcess>();
    // A test that crashes must not leave its server behind.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->start(program, arguments);
    if (!m_process->waitForStarted(10000)) {
        m_error = QStringLiteral("cannot start ") + program + QStringLiteral(": ") +
                  m_process->errorString();
        return false;
    }
    return waitUntilListening(15000);
}

bool SshServer::waitUntilListening(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (!isRunning()) {
            m_error = QStringLiteral("sshd exited: ") +
                      QString::fromLocal8Bit(m_process->readAll()) + log();
            return false;
        }
        const QString text = log();
        bool all = true;
        for (const Listener& listener : m_listeners)
            all = all && text.contains(QStringLiteral("Server listening on 127.0.0.1 port ") +
                                       QString::number(m_ports.value(listener.alias)));
        if (all)
            return true;
        QThread::msleep(20);
    }
    m_error = QStringLiteral("sshd did not listen in time: ") + log();
    return false;
}

void SshServer::stop() {
    if (!m_process)
        return;
    testsupport::stopProcess(*m_process);
    m_process.reset();
}

void SshServer::kill() {
    if (m_process && m_process->state() != QProcess::NotRunning) {
        // sshd puts each connection in a session of its own, so killing the listener alone
        // leaves connections up: every process below it goes, as when a machine dies.
        const QList<pid_t> sessions = descendantsOf(static_cast<pid_t>(m_process->processId()));
        m_process->kill();
        for (pid_t pid : sessions)
            ::kill(pid, SIGKILL);
        m_process->waitForFinished(5000);
    }
    m_process.reset();
}

qint64 SshServer::namespacePid() const {
    if (!m_ownPidNamespace || !isRunning())
        return 0;
    const QList<pid_t> below = descendantsOf(static_cast<pid_t>(m_process->processId()));
    return below.isEmpty() ? 0 : below.front(); // unshare's child: the namespace's init
}

bool SshServer::isRunning() const {
    return m_process && m_process->state() == QProcess::Running;
}

QString SshServer::clientConfig() const {
    return QDir(directory()).filePath(QStringLiteral("ssh_config"));
}

QString SshServer::sshCommand() const {
    return QStringLiteral("ssh -F ") + clientConfig();
}

QString SshServer::log() const {
    return QString::fromLocal8Bit(readFile(QDir(directory()).filePath(QStringLiteral("sshd.log"))));
}

} // namespace testsupport
