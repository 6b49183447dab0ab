// Read-only connections (RedisOptions::read_only): nothing that can change data or another
// client reaches the server, whatever asks for it (a command, a lease, a channel lock, a
// forced release); reading and listing still work.

#include "connection.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/inspect/redisrelease.hpp>
#include <portalocker/redislease.hpp>
#include <portalocker/redislock.hpp>

#include "redisserver.h"

#include <QTest>

using portalocker::errc;
using portalocker::RedisOptions;
using portalocker::redis::Connection;
using namespace Qt::Literals::StringLiterals;

class TestRedisReadOnly : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;

    RedisOptions readOnly() const {
        RedisOptions options = m_server.options();
        options.read_only = true;
        return options;
    }

  private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void writesNeverReachTheServer_data() {
        QTest::addColumn<QStringList>("command");
        QTest::newRow("SET") << QStringList{u"SET"_s, u"ro:key"_s, u"v"_s};
        QTest::newRow("lowercase del") << QStringList{u"del"_s, u"ro:existing"_s};
        QTest::newRow("EVAL") << QStringList{u"EVAL"_s, u"redis.call('SET','ro:key','v')"_s,
                                             u"0"_s};
        QTest::newRow("CLIENT KILL") << QStringList{u"CLIENT"_s, u"KILL"_s, u"ID"_s, u"1"_s};
        QTest::newRow("PUBLISH") << QStringList{u"PUBLISH"_s, u"ro:channel"_s, u"0"_s};
        QTest::newRow("FLUSHALL") << QStringList{u"FLUSHALL"_s};
        QTest::newRow("CONFIG SET") << QStringList{u"CONFIG"_s, u"SET"_s, u"maxclients"_s, u"5"_s};
        QTest::newRow("bare CLIENT") << QStringList{u"CLIENT"_s};
    }
    void writesNeverReachTheServer() {
        QFETCH(QStringList, command);
        QVERIFY(!m_server.command("SET ro:existing here").isError());
        Connection connection(readOnly());
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        portalocker::redis::Command argv;
        for (const QString& word : command)
            argv.push_back(word.toStdString());
        connection.command(argv, ec);
        QVERIFY2(ec == errc::read_only, ec.message().c_str());
        QVERIFY2(connection.last_error().find("read-only") != std::string::npos,
                 connection.last_error().c_str());
        // Refused before sending: the connection stays usable, the data unchanged.
        QVERIFY(connection.connected());
        QCOMPARE(m_server.command("EXISTS ro:key").integer, 0);
        QCOMPARE(m_server.command("GET ro:existing").text, QByteArray("here"));
        QCOMPARE(m_server.command("CONFIG GET maxclients").elements.value(1).text.toInt() != 5,
                 true);
        // Pipelines are checked too.
        std::vector<portalocker::redis::Command> commands{{"GET", "ro:existing"}, argv};
        connection.pipeline(commands, ec);
        QVERIFY(ec == errc::read_only);
        QCOMPARE(m_server.command("GET ro:existing").text, QByteArray("here"));
    }

    void readsWork() {
        Connection connection(readOnly());
        std::error_code ec;
        QVERIFY(connection.connect(ec, "reader"));
        QCOMPARE(connection.command({"GET", "ro:existing"}, ec).text, std::string("here"));
        connection.command({"SCAN", "0", "MATCH", "ro:*"}, ec);
        QVERIFY(!ec);
        connection.command({"CLIENT", "LIST"}, ec);
        QVERIFY(!ec);
        connection.command({"PUBSUB", "NUMSUB", "x"}, ec);
        QVERIFY(!ec);
        connection.command({"pttl", "ro:existing"}, ec);
        QVERIFY(!ec);
    }

    void leaseAcquireRefused() {
        portalocker::RedisLease lease("ro:lease", readOnly());
        std::error_code ec;
        QVERIFY(!lease.try_lock(ec));
        QVERIFY2(ec == errc::read_only, ec.message().c_str());
        try {
            lease.lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == errc::read_only);
            QVERIFY2(QByteArray(error.what()).contains("read-only"), error.what());
        }
        QCOMPARE(m_server.command("EXISTS ro:lease").integer, 0);
    }

    void channelLockAcquireRefused() {
        portalocker::RedisLock lock("ro:channel", readOnly());
        std::error_code ec;
        QVERIFY(!lock.try_lock(ec));
        QVERIFY2(ec == errc::read_only, ec.message().c_str());
        try {
            lock.lock();
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == errc::read_only);
            QVERIFY2(QByteArray(error.what()).contains("read-only"), error.what());
        }
        QCOMPARE(m_server.command("PUBSUB NUMSUB ro:channel").elements.value(1).integer, 0);
    }

    void forceReleaseRefused() {
        QVERIFY(!m_server.command("SET ro:held token").isError());
        portalocker::inspect::RedisReleaser releaser(readOnly());
        portalocker::inspect::RedisLockRecord seen;
        seen.key = "ro:held";
        seen.token = "token";
        auto result = releaser.release(seen);
        QVERIFY(result.outcome == portalocker::inspect::RedisReleaseOutcome::refused);
        QVERIFY(result.error == errc::read_only);
        QVERIFY2(result.message.find("read-only") != std::string::npos, result.message.c_str());
        QCOMPARE(m_server.command("GET ro:held").text, QByteArray("token"));
    }
};

QTEST_GUILESS_MAIN(TestRedisReadOnly)
#include "tst_redisreadonly.moc"
