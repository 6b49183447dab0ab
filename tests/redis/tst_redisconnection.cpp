// The internal Redis connection: replies as values, login, deadlines, and the error mapping
// (connect_failed with the address, auth_failed, acl_denied naming the command, timeout,
// connection_lost) that the locks and the inspector rely on.

#include "connection.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/redisprobe.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QTest>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using portalocker::errc;
using portalocker::redis::Connection;
using portalocker::redis::Reply;

namespace {

// A TCP server that accepts connections and never answers: for command timeouts.
class SilentServer {
  public:
    SilentServer() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(m_fd, 8);
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
        m_port = ntohs(address.sin_port);
    }
    ~SilentServer() { ::close(m_fd); }
    int port() const { return m_port; }

  private:
    int m_fd = -1;
    int m_port = 0;
};

} // namespace

class TestRedisConnection : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;

  private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void repliesAsValues() {
        Connection connection(m_server.options());
        std::error_code ec;
        QVERIFY(connection.connect(ec));
        Reply status = connection.command({"SET", "conn:key", "value"}, ec);
        QVERIFY(!ec);
        QVERIFY(status.is_status());
        QCOMPARE(status.text, std::string("OK"));
        Reply text = connection.command({"GET", "conn:key"}, ec);
        QVERIFY(text.is_string());
        QCOMPARE(text.text, std::string("value"));
        QVERIFY(connection.command({"GET", "conn:missing"}, ec).is_nil());
        Reply number = connection.command({"INCR", "conn:counter"}, ec);
        QVERIFY(number.is_integer());
        QCOMPARE(number.as_integer().value_or(-1), 1LL);
        Reply list = connection.command({"PUBSUB", "NUMSUB", "nobody"}, ec);
        QVERIFY(list.is_array());
        QCOMPARE(list.at(0).text, std::string("nobody"));
        QCOMPARE(list.at(1).integer, 0LL);
        QVERIFY(list.at(7).is_nil()); // out of range: nil, never a crash
        // Binary-safe arguments.
        std::string binary("a\0b\r\nc", 6);
        connection.command({"SET", "conn:binary", binary}, ec);
        QCOMPARE(connection.command({"GET", "conn:binary"}, ec).text, binary);
    }

    void pipelineIsOneBatch() {
        Connection connection(m_server.options());
        std::error_code ec;
        QVERIFY(connection.connect(ec));
        std::vector<portalocker::redis::Command> commands{{"DEL", "conn:list"},
                                                          {"RPUSH", "conn:list", "a", "b"},
                                                          {"LRANGE", "conn:list", "0", "-1"}};
        auto replies = connection.pipeline(commands, ec);
        QVERIFY(!ec);
        QCOMPARE(replies.size(), std::size_t(3));
        QCOMPARE(replies[1].integer, 2LL);
        QCOMPARE(replies[2].elements.size(), std::size_t(2));
    }

    void loginSelectsDatabaseAndName() {
        auto options = m_server.options();
        options.db = 3;
        options.client_name = "conn-test-name";
        Connection connection(options);
        std::error_code ec;
        QVERIFY(connection.connect(ec));
        QCOMPARE(connection.command({"CLIENT", "GETNAME"}, ec).text, std::string("conn-test-name"));
        connection.command({"SET", "conn:db3", "x"}, ec);
        QVERIFY(m_server.command("GET conn:db3").type == testsupport::RedisReply::Type::Nil);
        Connection again(options);
        QCOMPARE(again.connect(ec) ? again.command({"GET", "conn:db3"}, ec).text : std::string(),
                 std::string("x"));
    }

    void refusedConnectionNamesTheAddress() {
        auto options = m_server.options();
        options.port = testsupport::freeLoopbackPort();
        Connection connection(options);
        std::error_code ec;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!connection.connect(ec));
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));
        QVERIFY(ec == errc::connect_failed);
        const QString message = QString::fromStdString(connection.last_error());
        QVERIFY2(message.contains(QStringLiteral("127.0.0.1:") + QString::number(options.port)),
                 qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("refused"), Qt::CaseInsensitive),
                 qPrintable(message));
        // Commands on a connection that is not there fail, they do not crash or hang.
        connection.command({"PING"}, ec);
        QVERIFY(ec == errc::connection_lost);
    }

    void hostNamesAreResolved() {
        auto options = m_server.options();
        options.host = "localhost"; // may resolve to ::1 first, where nobody listens
        Connection byName(options);
        std::error_code ec;
        QVERIFY2(byName.connect(ec), byName.last_error().c_str());
        QCOMPARE(byName.command({"PING"}, ec).text, std::string("PONG"));

        options.host = "no-such-host.invalid";
        Connection unknown(options);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!unknown.connect(ec));
        QVERIFY(ec == errc::connect_failed);
        QVERIFY(timer.elapsed() < testsupport::timeBound(5000));
        QVERIFY2(QString::fromStdString(unknown.last_error()).contains(QStringLiteral("resolve")),
                 unknown.last_error().c_str());
    }

    void commandTimeoutHasADeadline() {
        SilentServer silent;
        portalocker::RedisOptions options;
        options.port = silent.port();
        options.command_timeout = 300ms;
        Connection connection(options);
        connection.skip_cluster_check(); // no login commands then: nothing to answer yet
        std::error_code ec;
        QVERIFY(connection.connect(ec));
        QElapsedTimer timer;
        timer.start();
        connection.command({"PING"}, ec);
        const qint64 waited = timer.elapsed();
        QVERIFY(ec == errc::timeout);
        QVERIFY2(waited >= 250 && waited < 3000, qPrintable(QString::number(waited)));
        QVERIFY(!connection.connected()); // a late reply must not be read as the next one's
        QVERIFY(QString::fromStdString(connection.last_error()).contains(QStringLiteral("PING")));

        // The login that follows a connect has the same deadline: with a password, and with
        // nothing but the question whether the server is a cluster node.
        Connection asking(options);
        timer.restart();
        QVERIFY(!asking.connect(ec));
        QVERIFY(ec == errc::timeout);
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));
        QVERIFY2(asking.last_error().find("did not answer INFO in time") != std::string::npos,
                 asking.last_error().c_str());
        options.password = "x";
        Connection loggingIn(options);
        timer.restart();
        QVERIFY(!loggingIn.connect(ec));
        QVERIFY(ec == errc::timeout);
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));
    }

    void subscriberReadTimeoutKeepsTheConnection() {
        Connection connection(m_server.options());
        std::error_code ec;
        QVERIFY(connection.connect(ec));
        connection.command({"SUBSCRIBE", "conn:channel"}, ec);
        QVERIFY(!ec);
        Reply message;
        auto status = connection.read(message, portalocker::redis::deadline_after(100ms), ec);
        QVERIFY(status == Connection::ReadStatus::timeout);
        QVERIFY(connection.connected());
        QCOMPARE(m_server.command("PUBLISH conn:channel hello").integer, 1);
        status = connection.read(message, portalocker::redis::deadline_after(5s), ec);
        QVERIFY(status == Connection::ReadStatus::reply);
        QCOMPARE(message.at(0).text, std::string("message"));
        QCOMPARE(message.at(2).text, std::string("hello"));

        // A wake descriptor interrupts the wait at once.
        int pipeFds[2];
        QCOMPARE(::pipe(pipeFds), 0);
        QVERIFY(::write(pipeFds[1], "x", 1) == 1);
        QElapsedTimer timer;
        timer.start();
        status = connection.read(message, portalocker::redis::deadline_after(5s), ec, pipeFds[0]);
        QVERIFY(status == Connection::ReadStatus::woken);
        QVERIFY(timer.elapsed() < testsupport::timeBound(1000));
        ::close(pipeFds[0]);
        ::close(pipeFds[1]);
    }

    void killedConnectionIsLostNotFatal() {
        auto options = m_server.options();
        options.client_name = "conn-victim";
        Connection connection(options);
        std::error_code ec;
        QVERIFY(connection.connect(ec));
        const qint64 id = m_server.clientIdByName("conn-victim");
        QVERIFY(id > 0);
        QCOMPARE(m_server.command({"CLIENT", "KILL", "ID", QByteArray::number(id)}).integer, 1);
        QTest::qWait(50);
        // The first write goes out (the peer answers it with a reset), the second one hits
        // EPIPE: the SIGPIPE must not kill the process.
        connection.send(portalocker::redis::Command{"PING"}, portalocker::redis::deadline_after(1s),
                        ec);
        QTest::qWait(50);
        connection.send(portalocker::redis::Command{"PING"}, portalocker::redis::deadline_after(1s),
                        ec);
        connection.command({"PING"}, ec);
        QVERIFY(ec == errc::connection_lost);
        QVERIFY(!connection.connected());
        // Reconnecting is the caller's decision, and works.
        QVERIFY(connection.connect(ec));
        QCOMPARE(connection.command({"PING"}, ec).text, std::string("PONG"));
    }

    void authenticationErrors() {
        QVERIFY(
            m_server.command({"ACL", "SETUSER", "conn-alice", "on", ">right", "~*", "&*", "+@all"})
                .type == testsupport::RedisReply::Type::Status);
        auto options = m_server.options();
        options.username = "conn-alice";
        options.password = "wrong-password-value";
        Connection wrong(options);
        std::error_code ec;
        QVERIFY(!wrong.connect(ec));
        QVERIFY(ec == errc::auth_failed);
        const QString message = QString::fromStdString(wrong.last_error());
        QVERIFY2(message.contains(QStringLiteral("conn-alice")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("WRONGPASS")), qPrintable(message));
        QVERIFY2(!message.contains(QStringLiteral("wrong-password-value")), qPrintable(message));

        options.password = "right";
        Connection right(options);
        QVERIFY(right.connect(ec));
        QCOMPARE(right.command({"ACL", "WHOAMI"}, ec).text, std::string("conn-alice"));
    }

    void aclDenialNamesTheCommand() {
        QVERIFY(m_server
                    .command({"ACL", "SETUSER", "conn-bob", "on", ">pw", "~*", "&*", "+@all",
                              "-client|kill"})
                    .type == testsupport::RedisReply::Type::Status);
        auto options = m_server.options();
        options.username = "conn-bob";
        options.password = "pw";
        Connection connection(options);
        std::error_code ec;
        QVERIFY(connection.connect(ec));
        connection.command({"CLIENT", "KILL", "ID", "999999"}, ec);
        QVERIFY(ec == errc::acl_denied);
        const QString message = QString::fromStdString(connection.last_error());
        QVERIFY2(message.contains(QStringLiteral("CLIENT KILL")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("conn-bob")), qPrintable(message));
        QVERIFY(connection.connected()); // an error reply is not a broken connection
        QCOMPARE(connection.command({"PING"}, ec).text, std::string("PONG"));
    }

    void requirepassWithoutPassword() {
        testsupport::RedisServer secured;
        QVERIFY2(secured.start({QStringLiteral("--requirepass"), QStringLiteral("secret")}),
                 qPrintable(secured.errorString()));
        auto options = secured.options();
        Connection anonymous(options);
        std::error_code ec;
        QVERIFY(anonymous.connect(ec));
        anonymous.command({"GET", "x"}, ec);
        QVERIFY(ec == errc::auth_failed);
        QVERIFY(QString::fromStdString(anonymous.last_error()).contains(QStringLiteral("NOAUTH")));

        options.password = "nope";
        Connection wrong(options);
        QVERIFY(!wrong.connect(ec));
        QVERIFY(ec == errc::auth_failed);

        options.password = "secret";
        Connection right(options);
        QVERIFY(right.connect(ec));
        QCOMPARE(right.command({"PING"}, ec).text, std::string("PONG"));
    }

    void errorReplyClassification() {
        Reply reply;
        reply.type = Reply::Type::error;
        reply.text = "NOPERM this user has no permissions to run the 'eval' command";
        QVERIFY(portalocker::redis::classify_error_reply(reply) == errc::acl_denied);
        reply.text = "WRONGPASS invalid username-password pair or user is disabled.";
        QVERIFY(portalocker::redis::classify_error_reply(reply) == errc::auth_failed);
        reply.text = "ERR AUTH <password> called without any password configured";
        QVERIFY(portalocker::redis::classify_error_reply(reply) == errc::auth_failed);
        reply.text = "ERR wrong number of arguments for 'get' command";
        QVERIFY(portalocker::redis::classify_error_reply(reply) == errc::server_error);
        reply.type = Reply::Type::status;
        QVERIFY(!portalocker::redis::classify_error_reply(reply));
    }

    void clusterNodeIsNamedAsSuch() {
        // A cluster node reached without --cluster (here one with no slots yet) is refused at
        // connect, saying what it is and what to do (tst_rediscluster covers a real cluster);
        // the probe reports it instead.
        testsupport::RedisServer node;
        QVERIFY2(node.start({QStringLiteral("--cluster-enabled"), QStringLiteral("yes")}),
                 qPrintable(node.errorString()));
        Connection connection(node.options());
        std::error_code ec;
        QVERIFY(!connection.connect(ec));
        QVERIFY(ec == errc::invalid_argument);
        QVERIFY2(connection.last_error().find("is a Redis Cluster node; use --cluster") !=
                     std::string::npos,
                 connection.last_error().c_str());
        // The probe's own connection asks nothing, so its slot-less node answers CLUSTERDOWN,
        // which names the cluster as well.
        Connection asking(node.options());
        asking.skip_cluster_check();
        QVERIFY(asking.connect(ec));
        asking.command({"SET", "cluster:key", "v"}, ec);
        QVERIFY(ec == errc::server_error);
        QVERIFY2(asking.last_error().find("Redis Cluster node") != std::string::npos,
                 asking.last_error().c_str());
        std::string why;
        auto probe = portalocker::probe_redis(node.options(), ec, &why);
        QVERIFY2(!ec, why.c_str());
        QCOMPARE(probe.mode, std::string("cluster"));
        QCOMPARE(probe.warnings.size(), std::size_t(1));
        QVERIFY2(probe.warnings[0].find("use --cluster") != std::string::npos,
                 probe.warnings[0].c_str());
    }

    void plainServerIsNotTakenForAClusterNode() {
        // The question rides in the login's round trip and must not disturb it: a named,
        // password-protected plain server logs in as before.
        testsupport::RedisServer server;
        QVERIFY2(server.start({QStringLiteral("--requirepass"), QStringLiteral("pw")}),
                 qPrintable(server.errorString()));
        portalocker::RedisOptions options = server.options();
        options.password = "pw";
        options.client_name = "plain-check";
        options.db = 3;
        Connection connection(options);
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QCOMPARE(connection.command({"CLIENT", "GETNAME"}, ec).text, std::string("plain-check"));
        QVERIFY(!ec);
    }
};

QTEST_GUILESS_MAIN(TestRedisConnection)
#include "tst_redisconnection.moc"
