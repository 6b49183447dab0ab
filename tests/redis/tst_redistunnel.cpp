// Redis through an ssh tunnel (issue #12): a redis-server listening on 127.0.0.1 only, reached
// through the test's own sshd (tests/support/sshserver.h, LOCKSCOPE_SSH_COMMAND pointing at
// its client configuration) with one `ssh -W` per connection. Leases and lockctl work through
// it, TLS verifies the server's own name (not the tunnel's end), Sentinel dials the sentinels
// and the master they name through it, each bad destination (unknown host key, refused key,
// nothing listening, a server that refuses the channel) is a clear error with ssh's own words
// within the connect timeout, a tunnel lost later is named as such, and no ssh process
// outlives its connection, not even when the process holding it is killed.
// The connections to one destination share one ssh login (sshmaster.hpp): one master
// (`ssh -M -S SOCKET -N`) per destination, each connection a channel of it (`ssh -S SOCKET
// -W`); the master ends after the linger time once the last one closed, or with the process,
// and the user's own ControlPath wins.

#include "connection.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/rediscancel.hpp>
#include <portalocker/redislease.hpp>
#include <portalocker/redisprobe.hpp>

#include "redisserver.h"
#include "sentinelsetup.h"
#include "sshserver.h"
#include "testcertificates.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include <QTemporaryDir>

#include <csignal>
#include <thread>
#include <arpa/inet.h>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <unistd.h>

using namespace std::chrono_literals;
using portalocker::errc;
using portalocker::RedisOptions;
using portalocker::redis::Connection;
using testsupport::SshServer;
using namespace Qt::Literals::StringLiterals;

namespace {

QString text(const std::string& value) {
    return QString::fromStdString(value);
}

// The ssh processes whose command line contains `marker` (this test's ssh client
// configuration path is in every ssh it starts, and in nothing else on the machine). The
// /bin/sh that runs LOCKSCOPE_SSH_COMMAND is not counted.
QList<qint64> processesMentioning(const QByteArray& marker) {
    QList<qint64> found;
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool number = false;
        const qint64 pid = entry.toLongLong(&number);
        if (!number || pid == QCoreApplication::applicationPid())
            continue;
        QFile command(u"/proc/"_s + entry + u"/comm"_s);
        if (!command.open(QIODevice::ReadOnly) || command.readAll().trimmed() != "ssh")
            continue;
        QFile file(u"/proc/"_s + entry + u"/cmdline"_s);
        if (file.open(QIODevice::ReadOnly) && file.readAll().contains(marker))
            found << pid;
    }
    return found;
}

// The arguments of process `pid`.
QList<QByteArray> argumentsOf(qint64 pid) {
    QFile file(u"/proc/"_s + QString::number(pid) + u"/cmdline"_s);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().split('\0');
}

// The shared masters among `processes` (ssh -M), and the channels (the others).
QList<qint64> masters(const QList<qint64>& processes) {
    QList<qint64> found;
    for (qint64 pid : processes)
        if (argumentsOf(pid).contains("-M"))
            found << pid;
    return found;
}
QList<qint64> channels(const QList<qint64>& processes) {
    QList<qint64> found;
    for (qint64 pid : processes)
        if (!argumentsOf(pid).contains("-M"))
            found << pid;
    return found;
}

// The directory of a master's control socket (its `-S` argument's directory).
QString socketDirectory(qint64 master) {
    const QList<QByteArray> arguments = argumentsOf(master);
    const qsizetype at = arguments.indexOf("-S");
    if (at < 0 || at + 1 >= arguments.size())
        return {};
    return QFileInfo(QString::fromLocal8Bit(arguments[at + 1])).path();
}

// A TCP port on 127.0.0.1 that accepts connections (the kernel does, into the backlog) and
// never answers: a hung bastion, or a hung server behind one. Closed with the object.
class SilentPort {
  public:
    SilentPort() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) ||
            ::listen(m_fd, 8) ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length))
            return;
        m_port = ntohs(address.sin_port);
    }
    ~SilentPort() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    SilentPort(const SilentPort&) = delete;
    SilentPort& operator=(const SilentPort&) = delete;
    int port() const { return m_port; } ///< 0 when it could not be set up

  private:
    int m_fd = -1;
    int m_port = 0;
};

struct CancelledConnect {
    std::error_code ec;
    std::string message;
    qint64 tookAfterCancel = -1; // ms
};

// Connects with `options` on another thread and fires the connection's cancel signal after
// `settle`.
CancelledConnect connectAndCancel(const RedisOptions& options, std::chrono::milliseconds settle) {
    portalocker::redis::CancelSignal cancel;
    Connection connection(options);
    connection.set_cancel(&cancel);
    CancelledConnect result;
    std::thread connecting([&] {
        if (connection.connect(result.ec))
            result.message = "connected";
        else
            result.message = connection.last_error();
    });
    std::this_thread::sleep_for(settle);
    QElapsedTimer sinceCancel;
    sinceCancel.start();
    cancel.cancel();
    connecting.join();
    result.tookAfterCancel = sinceCancel.elapsed();
    return result;
}

// The logins sshd accepted so far.
int logins(const SshServer& server) {
    return int(server.log().count(u"Accepted publickey"_s));
}

} // namespace

class TestRedisTunnel : public QObject {
    Q_OBJECT

  private:
    SshServer m_ssh;
    testsupport::RedisServer m_server;
    testsupport::TestCertificates m_certificates;
    testsupport::RedisServer m_tlsServer; // certificate for elsewhere.example only

    RedisOptions tunnelled(const testsupport::RedisServer& server) const {
        RedisOptions options = server.options();
        options.ssh_destination = "bastion";
        options.connect_timeout = std::chrono::milliseconds(testsupport::timeBound(5000));
        options.command_timeout = std::chrono::milliseconds(testsupport::timeBound(5000));
        return options;
    }

    QByteArray marker() const { return m_ssh.clientConfig().toLocal8Bit(); }

    // No ssh of this test is left (it may take ssh a moment to read its end-of-file).
    void expectNoSshLeft() {
        QTRY_VERIFY_WITH_TIMEOUT(processesMentioning(marker()).isEmpty(),
                                 int(testsupport::timeBound(5000)));
    }

  private slots:
    void initTestCase() {
        QVERIFY2(m_ssh.start({{u"bastion"_s, {}}}), qPrintable(m_ssh.errorString()));
        // A short linger, so that cleanup() sees each test's master end; the default (10 s)
        // is tested by nothing but its reading.
        qputenv("LOCKSCOPE_SSH_LINGER_MS", QByteArray::number(qint64(testsupport::timeBound(300))));
        qputenv("LOCKSCOPE_SSH_COMMAND", m_ssh.sshCommand().toLocal8Bit());
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        QVERIFY2(m_certificates.create(), qPrintable(m_certificates.errorString()));
        const auto pair = m_certificates.wrongNameServer();
        QVERIFY2(m_tlsServer.startTls(pair.certificate, pair.key, m_certificates.caFile(), false),
                 qPrintable(m_tlsServer.errorString()));
    }

    void cleanup() { expectNoSshLeft(); }

    void connectionGoesThroughSsh() {
        Connection connection(tunnelled(m_server));
        std::error_code ec;
        QVERIFY2(connection.connect(ec, "tunnel-test"), connection.last_error().c_str());
        QCOMPARE(text(connection.transport_description()), u"plain via ssh bastion"_s);
        // The ssh that carries it (a channel of the shared master) runs while the connection
        // is open...
        QCOMPARE(channels(processesMentioning(marker())).size(), 1);
        QCOMPARE(masters(processesMentioning(marker())).size(), 1);
        QCOMPARE(text(connection.command({"PING"}, ec).text), u"PONG"_s);
        QVERIFY(m_server.clientIdByName("tunnel-test") != 0);
        // ...and is gone, reaped, when it closes (cleanup() checks).
        connection.close();
        expectNoSshLeft();
    }

    void sshInheritsNoLock() {
        // A file lock of the caller's on a descriptor without close-on-exec: once the caller
        // closes it, the lock must be free, tunnel or not (ssh must not have inherited it).
        QTemporaryDir directory;
        const QByteArray path = directory.filePath(u"held.lock"_s).toLocal8Bit();
        const int held = ::open(path.constData(), O_RDWR | O_CREAT, 0600);
        QVERIFY(held >= 0);
        QCOMPARE(::flock(held, LOCK_EX), 0);
        Connection connection(tunnelled(m_server));
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        ::close(held);
        const int other = ::open(path.constData(), O_RDWR | O_CLOEXEC);
        QVERIFY(other >= 0);
        QCOMPARE(::flock(other, LOCK_EX | LOCK_NB), 0);
        ::close(other);
    }

    void leaseThroughTunnel() {
        portalocker::RedisLease holder("tunnel:lease", tunnelled(m_server));
        std::error_code ec;
        QVERIFY2(holder.try_lock(ec), ec.message().c_str());
        QVERIFY(holder.fencing_token() > 0);
        // The key is on the server behind the tunnel, and a second holder is refused there.
        QVERIFY(m_server.command("EXISTS tunnel:lease").integer == 1);
        portalocker::RedisLease other("tunnel:lease", tunnelled(m_server));
        QVERIFY(!other.try_lock(ec));
        QVERIFY2(!ec, ec.message().c_str());
        holder.unlock();
        QVERIFY(m_server.command("EXISTS tunnel:lease").integer == 0);
    }

    void lockctlThroughTunnel() {
        const QString lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
        auto run = [&](const QStringList& arguments) {
            QProcess process;
            process.start(lockctl, QStringList{u"redis"_s, u"--url"_s, m_server.url(), u"--ssh"_s,
                                               u"bastion"_s} +
                                       arguments);
            process.waitForFinished(int(testsupport::timeBound(20000)));
            return std::make_tuple(process.exitCode(),
                                   QString::fromUtf8(process.readAllStandardOutput()),
                                   QString::fromUtf8(process.readAllStandardError()));
        };
        // hold runs its command while the lease is held; list (from inside) shows it.
        const QString listing =
            lockctl + u" redis --url "_s + m_server.url() + u" --ssh bastion list --json"_s;
        auto [status, out, errors] = run({u"hold"_s, u"tunnel:cli"_s, u"--lease"_s, u"10000"_s,
                                          u"--"_s, u"sh"_s, u"-c"_s, listing});
        QVERIFY2(status == 0, qPrintable(errors));
        QVERIFY2(out.contains(u"tunnel:cli"_s), qPrintable(out));
        QVERIFY(m_server.command("EXISTS tunnel:cli").integer == 0);
        // A bad destination: exit 3, ssh's message.
        std::tie(status, out, errors) = run({u"list"_s});
        QCOMPARE(status, 0);
        QProcess refused;
        refused.start(lockctl, {u"redis"_s, u"--url"_s, m_server.url(), u"--ssh"_s,
                                u"bastion-refused"_s, u"list"_s});
        refused.waitForFinished(int(testsupport::timeBound(20000)));
        QCOMPARE(refused.exitCode(), 3);
        const QString refusal = QString::fromUtf8(refused.readAllStandardError());
        QVERIFY2(refusal.contains(u"Permission denied"_s), qPrintable(refusal));
        // The URL form is the same option.
        QProcess viaUrl;
        viaUrl.start(lockctl,
                     {u"redis"_s, u"--url"_s, m_server.url() + u"?ssh=bastion"_s, u"list"_s});
        viaUrl.waitForFinished(int(testsupport::timeBound(20000)));
        QVERIFY2(viaUrl.exitCode() == 0, viaUrl.readAllStandardError().constData());
    }

    void tlsVerifiesTheServersOwnName() {
        // The tunnel ends at a local socket; TLS must still check the name asked for.
        RedisOptions options = tunnelled(m_tlsServer);
        options.host = "localhost";
        options.port = m_tlsServer.tlsPort();
        options.tls.enabled = true;
        options.tls.ca_file = m_certificates.caFile().toStdString();
        std::error_code ec;
        Connection mismatch(options);
        QVERIFY(!mismatch.connect(ec));
        QCOMPARE(ec, make_error_code(errc::tls_failed));
        QVERIFY2(mismatch.last_error().find("host name mismatch") != std::string::npos &&
                     mismatch.last_error().find("'localhost'") != std::string::npos &&
                     mismatch.last_error().find("through ssh bastion") != std::string::npos,
                 mismatch.last_error().c_str());
        // The name the certificate carries, given with --sni, passes, through the tunnel.
        options.tls.sni = "elsewhere.example";
        Connection verified(options);
        QVERIFY2(verified.connect(ec), verified.last_error().c_str());
        QVERIFY2(verified.transport_description().find("TLSv1.") == 0 &&
                     verified.transport_description().find("via ssh bastion") != std::string::npos,
                 verified.transport_description().c_str());
        portalocker::RedisLease lease("tunnel:tls", options);
        QVERIFY2(lease.try_lock(ec), ec.message().c_str());
        lease.unlock();
    }

    void sentinelThroughTunnel() {
        testsupport::SentinelSetup setup;
        QVERIFY2(setup.start(), qPrintable(setup.errorString()));
        RedisOptions options = setup.options();
        options.ssh_destination = "bastion";
        options.connect_timeout = std::chrono::milliseconds(testsupport::timeBound(5000));
        Connection connection(options);
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QVERIFY2(text(connection.peer_address()).contains(u"master 'mymaster' at"_s),
                 qPrintable(text(connection.peer_address())));
        QCOMPARE(text(connection.transport_description()), u"plain via ssh bastion"_s);
        // Two tunnels: the sentinel that answered (kept open) and the master it named, both
        // channels of one ssh login.
        QCOMPARE(channels(processesMentioning(marker())).size(), 2);
        QCOMPARE(masters(processesMentioning(marker())).size(), 1);
        portalocker::RedisLease lease("tunnel:sentinel", options);
        QVERIFY2(lease.try_lock(ec), ec.message().c_str());
        QVERIFY(setup.currentMaster().command("EXISTS tunnel:sentinel").integer == 1);
        lease.unlock();
    }

    void connectionsShareOneLogin() {
        // No master is left from before (cleanup()); the next connections log in once, be
        // they dialled at once from several threads (the scan pool) or one after the other.
        const int before = logins(m_ssh);
        std::vector<std::string> errors(6);
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < errors.size(); ++i)
            threads.emplace_back([&, i] {
                Connection connection(tunnelled(m_server));
                std::error_code ec;
                if (!connection.connect(ec))
                    errors[i] = connection.last_error();
                else if (connection.command({"PING"}, ec).text != "PONG")
                    errors[i] = "no PONG: " + connection.last_error();
            });
        for (std::thread& thread : threads)
            thread.join();
        for (const std::string& error : errors)
            QVERIFY2(error.empty(), error.c_str());
        for (int i = 0; i < 3; ++i) {
            Connection connection(tunnelled(m_server));
            std::error_code ec;
            QVERIFY2(connection.connect(ec), connection.last_error().c_str());
            QCOMPARE(text(connection.command({"PING"}, ec).text), u"PONG"_s);
        }
        QTRY_COMPARE(logins(m_ssh), before + 1); // the log may lag a moment behind
        QTest::qWait(int(testsupport::timeBound(200)));
        QCOMPARE(logins(m_ssh), before + 1);
    }

    void masterEndsAfterTheLastClose() {
        Connection connection(tunnelled(m_server));
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        const QList<qint64> found = masters(processesMentioning(marker()));
        QCOMPARE(found.size(), 1);
        const QString directory = socketDirectory(found.first());
        QVERIFY2(!directory.isEmpty() && QFileInfo(directory).isDir(), qPrintable(directory));
        QCOMPARE(QFileInfo(directory).permissions() &
                     (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther),
                 QFile::Permissions());
        // Closed, the channel ends at once and the master lingers (a rescan would reuse it)...
        connection.close();
        QTRY_VERIFY(channels(processesMentioning(marker())).isEmpty());
        // ...then it ends, and its socket directory is removed.
        expectNoSshLeft();
        QTRY_VERIFY(!QFileInfo::exists(directory));
        // The next connection logs in again.
        const int before = logins(m_ssh);
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QTRY_COMPARE(logins(m_ssh), before + 1);
    }

    void usersOwnMultiplexingWins() {
        // The user's ssh config names a ControlPath: their ssh multiplexes, no master of ours
        // (whose -S would take their path's place and log in a second time).
        QTemporaryDir controlDirectory;
        const QByteArray plain = m_ssh.sshCommand().toLocal8Bit();
        const QByteArray own = plain + " -o ControlMaster=auto -o ControlPath=" +
                               controlDirectory.path().toLocal8Bit() + "/%C -o ControlPersist=30";
        qputenv("LOCKSCOPE_SSH_COMMAND", own);
        const int before = logins(m_ssh);
        {
            Connection first(tunnelled(m_server));
            Connection second(tunnelled(m_server));
            std::error_code ec;
            QVERIFY2(first.connect(ec), first.last_error().c_str());
            QVERIFY2(second.connect(ec), second.last_error().c_str());
            for (qint64 pid : processesMentioning(marker()))
                QVERIFY2(!argumentsOf(pid).join(' ').contains("lockscope-ssh-"),
                         argumentsOf(pid).join(' ').constData());
            QTRY_COMPARE(logins(m_ssh), before + 1); // theirs: ControlMaster=auto
        }
        QProcess::execute(
            u"sh"_s, {u"-c"_s, QString::fromLocal8Bit(own) + u" -O exit bastion 2>/dev/null"_s});
        qputenv("LOCKSCOPE_SSH_COMMAND", plain);
    }

    void badDestinations_data() {
        QTest::addColumn<QString>("destination");
        QTest::addColumn<bool>("redisDown");
        QTest::addColumn<QString>("cause");
        QTest::newRow("unknown host key")
            << u"bastion-unknown-key"_s << false << u"Host key verification failed"_s;
        QTest::newRow("refused key") << u"bastion-refused"_s << false << u"Permission denied"_s;
        QTest::newRow("nothing listening") << u"unreachable"_s << false << u"Connection refused"_s;
        QTest::newRow("server behind refuses the channel")
            << u"bastion"_s << true << u"open failed"_s;
    }
    void badDestinations() {
        QFETCH(QString, destination);
        QFETCH(bool, redisDown);
        QFETCH(QString, cause);
        RedisOptions options = tunnelled(m_server);
        options.ssh_destination = destination.toStdString();
        options.connect_timeout = std::chrono::milliseconds(testsupport::timeBound(4000));
        if (redisDown)
            options.port = testsupport::freeLoopbackPort();
        Connection connection(options);
        std::error_code ec;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!connection.connect(ec));
        QVERIFY2(timer.elapsed() < options.connect_timeout.count() + testsupport::timeBound(1000),
                 qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(ec, make_error_code(errc::connect_failed));
        const QString message = text(connection.last_error());
        qInfo("%s", qPrintable(message));
        QVERIFY2(message.contains(cause) && message.contains(u"ssh "_s + destination),
                 qPrintable(message));
    }

    void silentDestinationTimesOut() {
        // An ssh server that accepts the TCP connection and then says nothing (a hung
        // bastion): the connect timeout ends it, with a message naming the tunnel.
        const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(silent >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        QCOMPARE(::listen(silent, 8), 0); // never accepted, never answered
        socklen_t length = sizeof address;
        ::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length);
        RedisOptions options = tunnelled(m_server);
        options.ssh_destination = "ssh://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
        options.connect_timeout = std::chrono::milliseconds(testsupport::timeBound(1500));
        Connection connection(options);
        std::error_code ec;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!connection.connect(ec));
        const qint64 elapsed = timer.elapsed();
        ::close(silent);
        QCOMPARE(ec, make_error_code(errc::connect_failed));
        QVERIFY2(elapsed < options.connect_timeout.count() + testsupport::timeBound(1000),
                 qPrintable(QString::number(elapsed)));
        // ssh's own ConnectTimeout is the same connect timeout, so either side may call it
        // first: our deadline ("... within the connect timeout") or ssh's ("Connection timed
        // out during banner exchange"), seen under ThreadSanitizer. Both name the tunnel.
        const std::string& error = connection.last_error();
        const bool ours = error.find("within the connect timeout") != std::string::npos &&
                          error.find("through ssh ssh://127.0.0.1:") != std::string::npos;
        const bool ssh = error.find("timed out") != std::string::npos &&
                         error.find("ssh ssh://127.0.0.1:") != std::string::npos;
        QVERIFY2(ours || ssh, error.c_str());
        qInfo("%s", connection.last_error().c_str());
    }

    void cancelWhileTheTunnelWaitsForRedis() {
        // The tunnel is up (the shared login is there already), but the server behind it
        // never answers the tunnel's first PING (SshTunnel::confirm): a cancel ends the
        // connect at once, not at its (long) connect timeout, and leaves no ssh behind.
        Connection keeper(tunnelled(m_server)); // keeps the shared login logged in
        std::error_code ec;
        QVERIFY2(keeper.connect(ec), keeper.last_error().c_str());
        SilentPort silent;
        QVERIFY(silent.port() > 0);
        RedisOptions options = tunnelled(m_server);
        options.host = "127.0.0.1";
        options.port = silent.port();
        options.connect_timeout = std::chrono::milliseconds(testsupport::timeBound(30000));
        const CancelledConnect result = connectAndCancel(options, 700ms);
        QVERIFY2(result.ec == make_error_code(errc::cancelled), result.message.c_str());
        QVERIFY2(result.message.find("through ssh bastion was cancelled") != std::string::npos,
                 result.message.c_str());
        QVERIFY2(result.tookAfterCancel < testsupport::timeBound(1000),
                 qPrintable(QString::number(result.tookAfterCancel)));
        // The keeper's channel only (a killed ssh may take ssh a moment to be gone).
        QTRY_COMPARE_WITH_TIMEOUT(channels(processesMentioning(marker())).size(), qsizetype(1),
                                  int(testsupport::timeBound(2000)));
    }

    void cancelWhileSshLogsIn() {
        // A bastion that accepts the TCP connection and then says nothing: the shared login
        // (SshMaster) hangs. A cancel ends the connect at once and ends that login.
        SilentPort silent;
        QVERIFY(silent.port() > 0);
        RedisOptions options = tunnelled(m_server);
        options.ssh_destination = "ssh://127.0.0.1:" + std::to_string(silent.port());
        options.connect_timeout = std::chrono::milliseconds(testsupport::timeBound(30000));
        const CancelledConnect result = connectAndCancel(options, 500ms);
        QVERIFY2(result.ec == make_error_code(errc::cancelled), result.message.c_str());
        QVERIFY2(result.message.find("was cancelled") != std::string::npos, result.message.c_str());
        QVERIFY2(result.tookAfterCancel < testsupport::timeBound(1000),
                 qPrintable(QString::number(result.tookAfterCancel)));
    }

    void invalidDestinationsAreRefused() {
        RedisOptions options = tunnelled(m_server);
        options.ssh_destination = "-oProxyCommand=touch /tmp/x";
        Connection connection(options);
        std::error_code ec;
        QVERIFY(!connection.connect(ec));
        QCOMPARE(ec, make_error_code(errc::invalid_argument));
        QVERIFY2(connection.last_error().find("cannot start with '-'") != std::string::npos,
                 connection.last_error().c_str());
        std::string why;
        RedisOptions::from_url("unix:///tmp/redis.sock?ssh=bastion", ec, &why);
        QCOMPARE(ec, make_error_code(errc::invalid_url));
        QVERIFY2(why.find("cannot be tunnelled") != std::string::npos, why.c_str());
    }

    void lostTunnelNamesSsh() {
        // The bastion goes away under an open connection: the error blames the tunnel, in
        // ssh's words, and the next connect() works once it is back.
        Connection connection(tunnelled(m_server));
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        m_ssh.kill();
        connection.command({"PING"}, ec);
        QCOMPARE(ec, make_error_code(errc::connection_lost));
        QVERIFY2(connection.last_error().find("lost while") != std::string::npos &&
                     connection.last_error().find("ssh bastion failed") != std::string::npos,
                 connection.last_error().c_str());
        qInfo("%s", connection.last_error().c_str());
        QVERIFY2(m_ssh.restart(), qPrintable(m_ssh.errorString()));
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QCOMPARE(text(connection.command({"PING"}, ec).text), u"PONG"_s);
    }

    void killedHolderLeavesNoSsh() {
        // lockctl holds a lease through the tunnel and is killed: its ssh reads end-of-file
        // on the socket the kernel closed and ends too; its master's watcher reads
        // end-of-file on the lifeline and ends the master.
        testsupport::ChildProcess holder;
        QVERIFY(holder.start(testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                             {u"redis"_s, u"--url"_s, m_server.url(), u"--ssh"_s, u"bastion"_s,
                              u"hold"_s, u"tunnel:killed"_s, u"--lease"_s, u"30000"_s}));
        QVERIFY2(!holder.waitFor(u"holding"_s, int(testsupport::timeBound(15000))).isEmpty(),
                 qPrintable(holder.standardError()));
        // Its tunnel is a channel of a master of its own: both end, the socket directory goes.
        QCOMPARE(channels(processesMentioning(marker())).size(), 1);
        const QList<qint64> found = masters(processesMentioning(marker()));
        QCOMPARE(found.size(), 1);
        const QString directory = socketDirectory(found.first());
        QVERIFY(QFileInfo(directory).isDir());
        ::kill(static_cast<pid_t>(holder.pid()), SIGKILL);
        holder.waitForExit();
        expectNoSshLeft();
        QTRY_VERIFY(!QFileInfo::exists(directory));
    }
};

QTEST_GUILESS_MAIN(TestRedisTunnel)
#include "tst_redistunnel.moc"
