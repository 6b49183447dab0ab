// Bad input for Redis connections (issue #6): URLs, credentials, servers that are not there
// or are not Redis. Every attempt must end within its deadline with an error that names the
// problem (and never echoes a password). The key and value half is in
// tst_badinput_rediskeys.cpp; main() below runs both.

#include <portalocker/portalocker.hpp>

#include "badinputsupport.h"
#include "redisserver.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QTest>

using badinput::isPrintableLine;
using badinput::Junk;
using badinput::Outcome;
using namespace std::chrono_literals;

int runRedisKeyTests(int argc, char** argv); // tst_badinput_rediskeys.cpp

namespace {

// One attempt to take a lease and one to take a channel lock with `options`: the error
// codes, the messages and how long each took.
struct Attempts {
    std::error_code leaseError;
    std::string leaseMessage;
    qint64 leaseMs = 0;
    std::error_code channelError;
    std::string channelMessage;
    qint64 channelMs = 0;
};

Attempts attempt(const portalocker::RedisOptions& options) {
    Attempts result;
    QElapsedTimer timer;
    timer.start();
    try {
        portalocker::RedisLease lease("badinput-lease", options);
        lease.try_lock();
    } catch (const portalocker::LockException& e) {
        result.leaseError = e.code();
        result.leaseMessage = e.what();
    }
    result.leaseMs = timer.restart();
    try {
        portalocker::RedisLock lock("badinput-channel", options);
        lock.try_lock();
    } catch (const portalocker::LockException& e) {
        result.channelError = e.code();
        result.channelMessage = e.what();
    }
    result.channelMs = timer.elapsed();
    return result;
}

portalocker::RedisOptions shortTimeouts(portalocker::RedisOptions options) {
    options.connect_timeout = 1000ms;
    options.command_timeout = 500ms;
    return options;
}

} // namespace

Q_DECLARE_METATYPE(std::error_code)

class TestBadRedisConnection : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server; // with a password and ACL users

    QString url(const QByteArray& credentials) const {
        return QStringLiteral("redis://%1@127.0.0.1:%2/0")
            .arg(QString::fromUtf8(credentials), QString::number(m_server.port()));
    }

  private slots:
    void initTestCase() {
        QVERIFY2(m_server.start({QStringLiteral("--requirepass"), QStringLiteral("rightpw")}),
                 qPrintable(m_server.errorString()));
        m_server.setAdminCredentials("default", "rightpw");
        QCOMPARE(m_server
                     .command({"ACL", "SETUSER", "pinger", "on", ">pingpw", "+ping", "+auth",
                               "+client|setname", "+select", "~*"})
                     .text,
                 QByteArray("OK"));
        QCOMPARE(m_server.command({"SET", "canary", "alive"}).text, QByteArray("OK"));
    }

    // --- URLs -----------------------------------------------------------------------------

    void urlsRejected_data() {
        QTest::addColumn<QByteArray>("url");
        QTest::addColumn<QByteArray>("reason");
        const QByteArray port = "port must be a number from 1 to 65535, not ";
        QTest::newRow("empty") << QByteArray("") << QByteArray("the URL is empty");
        QTest::newRow("http scheme") << QByteArray("http://127.0.0.1:6379")
                                     << QByteArray("the scheme must be redis://, rediss:// or "
                                                   "unix://");
        QTest::newRow("no slashes") << QByteArray("redis:127.0.0.1")
                                    << QByteArray("the scheme must be redis://, rediss:// or "
                                                  "unix://");
        QTest::newRow("garbage") << QByteArray("\x01\x02\xff") << QByteArray("the scheme must be");
        QTest::newRow("several hosts without sentinel")
            << QByteArray("rediss://h1,h2") << QByteArray("several hosts need sentinel=");
        QTest::newRow("port 0") << QByteArray("redis://h:0") << port + "'0'";
        QTest::newRow("port 70000") << QByteArray("redis://h:70000") << port + "'70000'";
        QTest::newRow("port letters") << QByteArray("redis://h:http") << port + "'http'";
        QTest::newRow("port negative") << QByteArray("redis://h:-1") << port + "'-1'";
        QTest::newRow("port overflow")
            << QByteArray("redis://h:99999999999999999999") << port + "'99999999999999999999'";
        QTest::newRow("port with sign") << QByteArray("redis://h:+80") << port + "'+80'";
        QTest::newRow("empty port") << QByteArray("redis://h:") << QByteArray("empty port");
        QTest::newRow("db letters") << QByteArray("redis://h:6379/zero")
                                    << QByteArray("the path must be a database number, not 'zero'");
        QTest::newRow("db negative") << QByteArray("redis://h/-1") << QByteArray("not '-1'");
        QTest::newRow("db too big")
            << QByteArray("redis://h/1073741825") << QByteArray("not '1073741825'");
        QTest::newRow("db two levels") << QByteArray("redis://h/0/1") << QByteArray("not '0/1'");
        QTest::newRow("db query") << QByteArray("redis://h?db=x")
                                  << QByteArray("db must be a non-negative number, not 'x'");
        QTest::newRow("unknown parameter")
            << QByteArray("redis://h?timeout=5") << QByteArray("unknown parameter 'timeout'");
        QTest::newRow("unix without path")
            << QByteArray("unix://") << QByteArray("missing absolute socket path");
        QTest::newRow("unix root only")
            << QByteArray("unix:///") << QByteArray("missing absolute socket path");
        QTest::newRow("unix relative")
            << QByteArray("unix:redis.sock") << QByteArray("missing absolute socket path");
        QTest::newRow("unix with host")
            << QByteArray("unix://host/tmp/redis.sock") << QByteArray("a unix:// URL has no host");
        QTest::newRow("unix path too long")
            << "unix:///" + QByteArray(200, 's') << QByteArray("the socket path is 201 bytes long");
        QTest::newRow("unix NUL") << QByteArray("unix:///tmp/a%00b")
                                  << QByteArray("the socket path contains a NUL byte");
        QTest::newRow("ipv6 unterminated")
            << QByteArray("redis://[::1:6379") << QByteArray("unterminated IPv6 address");
        QTest::newRow("ipv6 trailing text")
            << QByteArray("redis://[::1]x") << QByteArray("unexpected text after the IPv6 address");
        QTest::newRow("ipv6 empty port")
            << QByteArray("redis://[::1]:") << QByteArray("empty port");
        QTest::newRow("ipv6 unbracketed")
            << QByteArray("redis://::1:6379") << QByteArray("an IPv6 address must be in brackets");
        QTest::newRow("ipv6 empty")
            << QByteArray("redis://[]:6379") << QByteArray("missing host name");
        QTest::newRow("ipv6 not hex") << QByteArray("redis://[::g]")
                                      << QByteArray("invalid character 'g' in the IPv6 address");
        QTest::newRow("bad percent")
            << QByteArray("redis://u:%zz@h") << QByteArray("bad percent-encoding in the password");
        QTest::newRow("truncated percent") << QByteArray("redis://u:abc%4@h")
                                           << QByteArray("bad percent-encoding in the password");
        QTest::newRow("percent in user")
            << QByteArray("redis://%@h") << QByteArray("bad percent-encoding in the user name");
        QTest::newRow("percent in query")
            << QByteArray("redis://h?password=%G1")
            << QByteArray("bad percent-encoding in parameter 'password'");
        QTest::newRow("empty host") << QByteArray("redis://") << QByteArray("missing host name");
        QTest::newRow("empty host, port")
            << QByteArray("redis://:6379") << QByteArray("missing host name");
        QTest::newRow("empty host, credentials")
            << QByteArray("redis://u:secretpw@:6379") << QByteArray("missing host name");
        QTest::newRow("space in host") << QByteArray("redis://my host:6379")
                                       << QByteArray("invalid character ' ' in the host name");
        QTest::newRow("newline in host") << QByteArray("redis://ho\nst")
                                         << QByteArray("invalid character '\\n' in the host name");
        QTest::newRow("escape in host") << QByteArray("redis://h\x1b[2J")
                                        << QByteArray("invalid character '\\x1b' in the host name");
        QTest::newRow("UTF-8 in host") << QByteArray("redis://h\xc3\xa9")
                                       << QByteArray("invalid character '\\xc3' in the host name");
        // The password must never be echoed, however the URL is broken around it.
        QTest::newRow("password with /") << QByteArray("redis://u:sec/retpw@h")
                                         << QByteArray("'@' after the host name: a password "
                                                       "containing '/' must be percent-encoded");
        QTest::newRow("password with @") << QByteArray("redis://u:secret@pw@h:0") << port + "'0'";
        QTest::newRow("password in query")
            << QByteArray("redis://h:0?password=secretpw") << port + "'0'";
        QTest::newRow("unix: password in query") << QByteArray("unix:relative?password=secretpw")
                                                 << QByteArray("missing absolute socket path");
        QTest::newRow("unix password in query")
            << QByteArray("unix:///tmp/s.sock?password=secretpw&db=x") << QByteArray("not 'x'");
    }
    void urlsRejected() {
        QFETCH(QByteArray, url);
        QFETCH(QByteArray, reason);
        std::error_code ec;
        std::string why;
        const auto options = portalocker::RedisOptions::from_url(url.toStdString(), ec, &why);
        COMPARE_EC(ec, make_error_code(portalocker::errc::invalid_url));
        QCOMPARE(options.host,
                 portalocker::RedisOptions{}.host); // default options, not half-parsed
        const QByteArray message = QByteArray::fromStdString(why);
        QVERIFY2(message.startsWith("invalid Redis URL '"), why.c_str());
        QVERIFY2(message.contains(reason), why.c_str());
        QVERIFY2(!message.contains("secret") && !message.contains("retpw"), why.c_str());
        QVERIFY2(isPrintableLine(message), why.c_str());
        try {
            portalocker::RedisOptions::from_url(url.toStdString());
            QFAIL("not refused");
        } catch (const portalocker::LockException& e) {
            COMPARE_EC(e.code(), make_error_code(portalocker::errc::invalid_url));
            QCOMPARE(QByteArray(e.what()).left(message.size()), message);
        }
        if (url.contains('\0') || url.isEmpty())
            return; // cannot be an argument; an empty --url is tested below
        const Outcome list = badinput::lockctl({QStringLiteral("redis"), QStringLiteral("--url"),
                                                QString::fromUtf8(url), QStringLiteral("list")});
        if (QString::fromUtf8(url).toUtf8() != url)
            return; // QProcess arguments are text: invalid UTF-8 does not reach lockctl as is
        QVERIFY2(list.exitCode == 2, qPrintable(list.describe()));
        QCOMPARE(list.err, "lockctl redis: " + message + '\n');
    }

    void emptyUrlOnTheCommandLine() {
        const Outcome list = badinput::lockctl(
            {QStringLiteral("redis"), QStringLiteral("--url"), QString(), QStringLiteral("list")});
        QVERIFY2(list.exitCode == 2, qPrintable(list.describe()));
        QVERIFY2(list.err.contains("the URL is empty"), qPrintable(list.describe()));
    }

    // Odd but valid: accepted and understood exactly.
    void urlsAccepted() {
        auto upper = portalocker::RedisOptions::from_url("REDIS://H:1/2");
        QCOMPARE(upper.host, std::string("H"));
        QCOMPARE(upper.port, 1);
        QCOMPARE(upper.db, 2);
        auto v6 = portalocker::RedisOptions::from_url("redis://[::1]:6380/3");
        QCOMPARE(v6.host, std::string("::1"));
        QCOMPARE(v6.address(), std::string("[::1]:6380"));
        auto zone = portalocker::RedisOptions::from_url("redis://[fe80::1%25eth0]");
        QCOMPARE(zone.host, std::string("fe80::1%eth0"));
        auto control = portalocker::RedisOptions::from_url("redis://u:p%0D%0AFLUSHALL%0D%0A@h");
        QCOMPARE(control.password, std::string("p\r\nFLUSHALL\r\n"));
        QVERIFY(!QByteArray::fromStdString(control.to_url()).contains("FLUSHALL"));
        auto longest = portalocker::RedisOptions::from_url("unix:///" + std::string(106, 's'));
        QCOMPARE(longest.unix_socket.size(), std::size_t(107));
    }

    // --- credentials ------------------------------------------------------------------------

    void credentialsRefused_data() {
        QTest::addColumn<QByteArray>("credentials"); // URL userinfo
        QTest::addColumn<std::error_code>("error");
        QTest::addColumn<QByteArray>("reason");
        const auto auth = make_error_code(portalocker::errc::auth_failed);
        QTest::newRow("no password") << QByteArray() << auth << QByteArray("NOAUTH");
        QTest::newRow("wrong password")
            << QByteArray(":wrongpw") << auth << QByteArray("WRONGPASS");
        QTest::newRow("unknown ACL user")
            << QByteArray("ghost:rightpw") << auth << QByteArray("WRONGPASS");
        QTest::newRow("control characters")
            << QByteArray(":rightpw%0D%0AFLUSHALL%0D%0A") << auth << QByteArray("WRONGPASS");
        QTest::newRow("NUL in password")
            << QByteArray(":right%00pw") << auth << QByteArray("WRONGPASS");
        QTest::newRow("ACL user without rights")
            << QByteArray("pinger:pingpw") << make_error_code(portalocker::errc::acl_denied)
            << QByteArray("NOPERM");
    }
    void credentialsRefused() {
        QFETCH(QByteArray, credentials);
        QFETCH(std::error_code, error);
        QFETCH(QByteArray, reason);
        const QString serverUrl =
            credentials.isEmpty() ? QStringLiteral("redis://127.0.0.1:%1/0").arg(m_server.port())
                                  : url(credentials);
        const auto options =
            shortTimeouts(portalocker::RedisOptions::from_url(serverUrl.toStdString()));
        const Attempts result = attempt(options);
        COMPARE_EC(result.leaseError, error);
        COMPARE_EC(result.channelError, error);
        for (const std::string& message : {result.leaseMessage, result.channelMessage}) {
            const QByteArray text = QByteArray::fromStdString(message);
            QVERIFY2(text.contains(reason), message.c_str());
            QVERIFY2(text.contains(QByteArray::number(m_server.port())), message.c_str());
            QVERIFY2(!text.contains("pw"), message.c_str()); // no password, not even a part
        }
        QVERIFY(result.leaseMs < 5000 && result.channelMs < 5000);
        qInfo("%s (%lld ms) | %s (%lld ms)", result.leaseMessage.c_str(), result.leaseMs,
              result.channelMessage.c_str(), result.channelMs);

        for (const QString& subcommand : {QStringLiteral("list"), QStringLiteral("hold")}) {
            QStringList arguments{QStringLiteral("redis"), QStringLiteral("--url"), serverUrl,
                                  subcommand};
            if (subcommand == QStringLiteral("hold"))
                arguments << QStringLiteral("badinput-cli") << QStringLiteral("--timeout")
                          << QStringLiteral("0") << QStringLiteral("--") << QStringLiteral("true");
            const Outcome cli = badinput::lockctl(arguments);
            QVERIFY2(cli.exitCode == 3, qPrintable(cli.describe()));
            QVERIFY2(cli.err.contains(reason), qPrintable(cli.describe()));
            QVERIFY2(!cli.err.contains("pw") && !cli.out.contains("pw"),
                     qPrintable(cli.describe()));
        }
        // Nothing was run by a password with line breaks in it.
        QCOMPARE(m_server.command({"GET", "canary"}).text, QByteArray("alive"));
    }

    void databaseOutOfRange() {
        const QString serverUrl =
            QStringLiteral("redis://:rightpw@127.0.0.1:%1/1073741824").arg(m_server.port());
        const Attempts result =
            attempt(shortTimeouts(portalocker::RedisOptions::from_url(serverUrl.toStdString())));
        COMPARE_EC(result.leaseError, make_error_code(portalocker::errc::server_error));
        QVERIFY2(
            QByteArray::fromStdString(result.leaseMessage).contains("DB index is out of range"),
            result.leaseMessage.c_str());
        const Outcome list = badinput::lockctl(
            {QStringLiteral("redis"), QStringLiteral("--url"), serverUrl, QStringLiteral("list")});
        QVERIFY2(list.exitCode == 3, qPrintable(list.describe()));
        QVERIFY2(list.err.contains("DB index is out of range"), qPrintable(list.describe()));
    }

    // --- servers that are not there, or not Redis -------------------------------------------

    void unreachable_data() {
        QTest::addColumn<int>("junk"); // -1: nobody listens; -2: missing unix socket
        QTest::addColumn<std::error_code>("error");
        QTest::addColumn<QByteArray>("reason");
        using portalocker::errc;
        QTest::newRow("nobody listens")
            << -1 << make_error_code(errc::connect_failed) << QByteArray("Connection refused");
        QTest::newRow("missing unix socket") << -2 << make_error_code(errc::connect_failed)
                                             << QByteArray("No such file or directory");
        QTest::newRow("garbage reply")
            << int(Junk::garbage) << make_error_code(errc::protocol_error)
            << QByteArray("Protocol error");
        QTest::newRow("closes at once")
            << int(Junk::close) << make_error_code(errc::connection_lost) << QByteArray("");
        QTest::newRow("never answers")
            << int(Junk::silent) << make_error_code(errc::timeout) << QByteArray("");
        QTest::newRow("2 GB bulk string")
            << int(Junk::hugeBulk) << make_error_code(errc::timeout) << QByteArray("");
        QTest::newRow("deep nesting")
            << int(Junk::deepNesting) << make_error_code(errc::protocol_error) << QByteArray("");
    }
    void unreachable() {
        QFETCH(int, junk);
        QFETCH(std::error_code, error);
        QFETCH(QByteArray, reason);
        std::unique_ptr<badinput::JunkServer> server;
        QString serverUrl;
        if (junk == -1) {
            serverUrl =
                QStringLiteral("redis://127.0.0.1:%1/0").arg(testsupport::freeLoopbackPort());
        } else if (junk == -2) {
            serverUrl = QStringLiteral("unix:///nonexistent/badinput/redis.sock");
        } else {
            server = std::make_unique<badinput::JunkServer>(Junk(junk));
            serverUrl = server->url();
        }
        const auto options =
            shortTimeouts(portalocker::RedisOptions::from_url(serverUrl.toStdString()));
        const Attempts result = attempt(options);
        COMPARE_EC(result.leaseError, error);
        COMPARE_EC(result.channelError, error);
        const QByteArray address = QByteArray::fromStdString(options.address());
        for (const std::string& message : {result.leaseMessage, result.channelMessage}) {
            QVERIFY2(QByteArray::fromStdString(message).contains(address), message.c_str());
            QVERIFY2(QByteArray::fromStdString(message).contains(reason), message.c_str());
            QVERIFY2(isPrintableLine(QByteArray::fromStdString(message)), message.c_str());
        }
        qInfo("%s (%lld ms) | %s (%lld ms)", result.leaseMessage.c_str(), result.leaseMs,
              result.channelMessage.c_str(), result.channelMs);
        // Within the deadlines (connect 1 s, each command 0.5 s), with room for a slow machine.
        QVERIFY2(result.leaseMs < 4000, qPrintable(QString::number(result.leaseMs)));
        QVERIFY2(result.channelMs < 4000, qPrintable(QString::number(result.channelMs)));

        // lockctl with its default deadlines (2 s each).
        for (const QString& subcommand : {QStringLiteral("list"), QStringLiteral("hold")}) {
            QStringList arguments{QStringLiteral("redis"), QStringLiteral("--url"), serverUrl,
                                  subcommand};
            if (subcommand == QStringLiteral("hold"))
                arguments << QStringLiteral("badinput-cli") << QStringLiteral("--timeout")
                          << QStringLiteral("0") << QStringLiteral("--") << QStringLiteral("true");
            const Outcome cli = badinput::lockctl(arguments, 20000);
            QVERIFY2(cli.exitCode == 3, qPrintable(cli.describe()));
            QVERIFY2(cli.elapsedMs < 12000, qPrintable(cli.describe()));
            QVERIFY2(cli.err.contains(address), qPrintable(cli.describe()));
            QVERIFY2(cli.err.contains(reason), qPrintable(cli.describe()));
            // The reason, not just that the connection is gone (the scanner once said only
            // "not connected" after its first command broke the connection).
            QVERIFY2(!cli.err.contains("not connected"), qPrintable(cli.describe()));
            QVERIFY2(isPrintableLine(cli.err.split('\n').first()), qPrintable(cli.describe()));
            qInfo("lockctl redis %s: exit %d after %lld ms: %s", qPrintable(subcommand),
                  cli.exitCode, cli.elapsedMs, cli.err.split('\n').first().constData());
        }
    }
};

int main(int argc, char** argv) {
    QCoreApplication application(argc, argv);
    qRegisterMetaType<std::error_code>();
    TestBadRedisConnection connection;
    int failures = QTest::qExec(&connection, argc, argv);
    failures += runRedisKeyTests(argc, argv);
    return failures;
}

#include "tst_badinput_redis.moc"
