// Interoperability with Python (Debian's portalocker 2.2.1 and redis-py) through
// /usr/bin/python3: a Python RedisLock holder blocks ours and ours blocks Python's; Python's
// ping gets our protocol-1 answer; redis-py's Lock and RedisLease exclude each other on a key.
// Missing Python modules are a failure, never a skip.

#include <portalocker/portalocker.hpp>

#include "redisserver.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace std::chrono_literals;
using portalocker::RedisLease;
using portalocker::RedisLock;
using testsupport::ChildProcess;

namespace {

const QString python = QStringLiteral("/usr/bin/python3");

// argv: channel port. Pings the channel like portalocker and prints the first answer.
const char* pingScript = R"py(
import json, sys, time, uuid
import redis
connection = redis.Redis(host='127.0.0.1', port=int(sys.argv[2]))
pubsub = connection.pubsub()
response_channel = sys.argv[1] + '-' + uuid.uuid4().hex
pubsub.subscribe(response_channel)
pubsub.get_message(timeout=2)
connection.publish(sys.argv[1], json.dumps(dict(message='ping', response_channel=response_channel)))
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    message = pubsub.get_message(timeout=1)
    if message and message['type'] == 'message':
        print(message['data'].decode(), flush=True)
        sys.exit(0)
print('NO ANSWER', flush=True)
sys.exit(1)
)py";

portalocker::RedisLockOptions fastOptions() {
    portalocker::RedisLockOptions options;
    options.check_interval = 50ms;
    options.unavailable_timeout = 500ms;
    return options;
}

} // namespace

class TestRedisInterop : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;

    QString port() const { return QString::number(m_server.port()); }

  private slots:
    void initTestCase() {
        ChildProcess check;
        QVERIFY(check.start(python, {QStringLiteral("-c"),
                                     QStringLiteral("import redis, portalocker; "
                                                    "assert portalocker.RedisLock is not None; "
                                                    "print('OK', portalocker.__version__)")}));
        const QString line = check.readLine(20000);
        QVERIFY2(line.startsWith(QStringLiteral("OK")),
                 qPrintable(QStringLiteral("/usr/bin/python3 cannot import portalocker and "
                                           "redis (install python3-portalocker python3-redis): ") +
                            check.standardError()));
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    }

    void pythonHolderBlocksOurs() {
        const std::string channel = "interop-python-holds";
        ChildProcess holder;
        QVERIFY(holder.start(python, {testsupport::dataPath("portalocker_redis_holder.py"),
                                      QString::fromStdString(channel), port(), QStringLiteral("5"),
                                      QStringLiteral("hold")}));
        QCOMPARE(holder.readLine(20000), QStringLiteral("LOCKED"));
        RedisLock lock(channel, m_server.options(), fastOptions());
        QVERIFY(!lock.try_lock());
        QVERIFY(!lock.try_lock_for(500ms));
        auto holders = lock.holders();
        QCOMPARE(holders.size(), std::size_t(1));
        QVERIFY(holders[0].legacy);
        QCOMPARE(holders[0].client_name, channel + "-lock");
        // The Python holder is alive and answers: it is never reaped.
        QVERIFY(m_server.clientNames().contains(QByteArray::fromStdString(channel + "-lock")));
        try {
            RedisLock impatient(channel, m_server.options(), [] {
                auto options = fastOptions();
                options.timeout = 200ms;
                return options;
            }());
            impatient.lock();
            QFAIL("no exception");
        } catch (const portalocker::AlreadyLocked& error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("legacy")),
                     error.what());
        }
        holder.writeLine(QStringLiteral("release"));
        QCOMPARE(holder.readLine(10000), QStringLiteral("RELEASED"));
        QVERIFY(lock.try_lock_for(5s)); // noticed by polling: Python does not announce
        lock.unlock();
    }

    void oursBlocksPython() {
        const std::string channel = "interop-cpp-holds";
        RedisLock lock(channel, m_server.options(), fastOptions());
        QVERIFY(lock.try_lock());
        ChildProcess contender;
        QVERIFY(contender.start(python, {testsupport::dataPath("portalocker_redis_holder.py"),
                                         QString::fromStdString(channel), port(),
                                         QStringLiteral("0.5"), QStringLiteral("try")}));
        QCOMPARE(contender.readLine(20000), QStringLiteral("ALREADY_LOCKED"));
        QCOMPARE(contender.waitForExit(), 1);
        // Python's ping did not disturb us (a 2.2.1 holder would have died on bad JSON).
        QVERIFY(!lock.lost());
        lock.unlock();
        ChildProcess again;
        QVERIFY(again.start(python, {testsupport::dataPath("portalocker_redis_holder.py"),
                                     QString::fromStdString(channel), port(), QStringLiteral("2"),
                                     QStringLiteral("try")}));
        QCOMPARE(again.readLine(20000), QStringLiteral("LOCKED"));
        QCOMPARE(again.waitForExit(), 0);
    }

    void ourHolderAnswersPingsWithProtocol1() {
        const std::string channel = "interop-ping";
        RedisLock lock(channel, m_server.options(), fastOptions());
        QVERIFY(lock.try_lock());
        ChildProcess pinger;
        QVERIFY(pinger.start(python, {QStringLiteral("-c"), QString::fromUtf8(pingScript),
                                      QString::fromStdString(channel), port()}));
        const QString answer = pinger.readLine(20000);
        const QJsonObject object = QJsonDocument::fromJson(answer.toUtf8()).object();
        QVERIFY2(!object.isEmpty(), qPrintable(answer + pinger.standardError()));
        QCOMPARE(object.value(QStringLiteral("holder_id")).toString(),
                 QString::fromStdString(lock.holder_id()));
        QCOMPARE(object.value(QStringLiteral("mode")).toString(), QStringLiteral("exclusive"));
        QCOMPARE(object.value(QStringLiteral("protocol")).toInt(), 1);
        lock.unlock();
    }

    void redisPyLockAndLeaseExcludeEachOther() {
        const std::string key = "interop-lease";
        ChildProcess holder;
        QVERIFY(holder.start(python, {testsupport::dataPath("redis_py_lock_holder.py"),
                                      QString::fromStdString(key), port()}));
        const QString line = holder.readLine(20000);
        QVERIFY2(line.startsWith(QStringLiteral("LOCKED ")), qPrintable(line));
        RedisLease lease(key, m_server.options());
        QVERIFY(!lease.try_lock());
        auto current = lease.holder();
        QVERIFY(current.has_value());
        QCOMPARE(QString::fromStdString(current->token), line.mid(7));
        holder.writeLine(QStringLiteral("release"));
        QCOMPARE(holder.readLine(10000), QStringLiteral("RELEASED"));
        QVERIFY(lease.try_lock_for(5s));

        ChildProcess contender;
        QVERIFY(contender.start(python, {testsupport::dataPath("redis_py_lock_holder.py"),
                                         QString::fromStdString(key), port()}));
        QCOMPARE(contender.readLine(20000), QStringLiteral("ALREADY_LOCKED"));
        lease.unlock();
    }
};

QTEST_GUILESS_MAIN(TestRedisInterop)
#include "tst_redisinterop.moc"
