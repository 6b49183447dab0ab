// RedisReleaser against a real redis-server: a stale view deletes nothing (changed / gone)
// and is logged; each convention's wake-up step really wakes its waiters (python-redis-lock
// in BLPOP, a RedisLease waiter, Redisson subscribers); channel holders are killed exactly
// (a holder of "foo-lock-bar" survives the release of "foo"); ACL denials name the command;
// fencing counters are refused.

#include "redisinspectsupport.h"
#include "testsupport.h"

#include "redis/connection.hpp"

#include <portalocker/inspect/redisrelease.hpp>
#include <portalocker/inspect/redisscanner.hpp>
#include <portalocker/portalocker.hpp>

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <future>

using namespace std::chrono_literals;
using namespace portalocker::inspect;
using redisinspect::bytes;
using testsupport::ChildProcess;

class TestRedisInspectRelease : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;
    std::unique_ptr<QTemporaryDir> m_directory;

    QString port() const { return QString::number(m_server.port()); }
    QString logPath() const { return m_directory->filePath(QStringLiteral("audit.jsonl")); }

    RedisLockRecord lookKey(const std::string& key) {
        RedisScanner scanner(m_server.options());
        std::error_code ec;
        auto record = scanner.inspect_key(key, ec);
        if (ec || !record)
            qWarning("no record for %s: %s", key.c_str(), scanner.last_error().c_str());
        return record.value_or(RedisLockRecord{});
    }
    RedisLockRecord lookChannel(const std::string& channel) {
        RedisScanner scanner(m_server.options());
        std::error_code ec;
        auto record = scanner.inspect_channel(channel, ec);
        if (ec || !record)
            qWarning("no channel record for %s: %s", channel.c_str(), scanner.last_error().c_str());
        return record.value_or(RedisLockRecord{});
    }
    RedisReleaseResult release(const RedisLockRecord& record) {
        return release(record, m_server.options());
    }
    RedisReleaseResult release(const RedisLockRecord& record,
                               const portalocker::RedisOptions& options) {
        AuditLog log(logPath().toStdString());
        RedisReleaseOptions releaseOptions;
        releaseOptions.audit_log = &log;
        releaseOptions.user = "tester";
        return RedisReleaser(options, releaseOptions).release(record);
    }
    QList<QJsonObject> auditLines() const {
        QFile file(logPath());
        QList<QJsonObject> lines;
        if (!file.open(QIODevice::ReadOnly))
            return lines;
        for (const QByteArray& line : file.readAll().split('\n'))
            if (!line.isEmpty())
                lines.append(QJsonDocument::fromJson(line).object());
        return lines;
    }
    QByteArray get(const QByteArray& key) const { return m_server.command({"GET", key}).text; }
    bool exists(const QByteArray& key) const {
        return m_server.command({"EXISTS", key}).integer == 1;
    }

  private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void init() {
        REDIS_OK(m_server, "FLUSHALL");
        m_directory = std::make_unique<QTemporaryDir>();
        QVERIFY(m_directory->isValid());
    }

    void staleViewDeletesNothing() {
        const QByteArray seenToken = redisinspect::redsyncToken();
        REDIS_OK(m_server, "SET", "job", seenToken, "PX", "60000");
        const RedisLockRecord seen = lookKey("job");
        QCOMPARE(bytes(seen.token), seenToken);
        // Meanwhile the lock expired and somebody else took it.
        const QByteArray newToken = redisinspect::redsyncToken();
        REDIS_OK(m_server, "SET", "job", newToken, "PX", "60000");
        RedisReleaseResult result = release(seen);
        QCOMPARE(result.outcome, RedisReleaseOutcome::changed);
        QVERIFY(result.message.find("nothing was deleted") != std::string::npos);
        QCOMPARE(get("job"), newToken);
        QVERIFY(result.audit_logged);
        auto lines = auditLines();
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0].value(QStringLiteral("outcome")).toString(), QStringLiteral("changed"));
        QCOMPARE(lines[0].value(QStringLiteral("key")).toString(), QStringLiteral("job"));
        QCOMPARE(lines[0].value(QStringLiteral("token_seen")).toString(),
                 QString::fromLatin1(seenToken));
        QCOMPARE(lines[0].value(QStringLiteral("convention")).toString(),
                 QStringLiteral("redsync"));
        QCOMPARE(lines[0].value(QStringLiteral("user")).toString(), QStringLiteral("tester"));
        QVERIFY(lines[0].value(QStringLiteral("time")).toString().endsWith(QLatin1Char('Z')));
        QCOMPARE(lines[0].value(QStringLiteral("server")).toString(),
                 QStringLiteral("127.0.0.1:%1/0").arg(m_server.port()));

        REDIS_OK(m_server, "DEL", "job");
        result = release(seen);
        QCOMPARE(result.outcome, RedisReleaseOutcome::gone);
        QCOMPARE(auditLines().size(), 2);
        QCOMPARE(auditLines()[1].value(QStringLiteral("outcome")).toString(),
                 QStringLiteral("gone"));
    }

    void releasesTheTokenSeen() {
        const QByteArray key("bin\x00\xff-lock", 10);
        const QByteArray token = redisinspect::nodeRedlockToken();
        REDIS_OK(m_server, "SET", key, token, "PX", "60000");
        const RedisLockRecord seen = lookKey(key.toStdString());
        QCOMPARE(seen.convention, RedisConvention::node_redlock);
        const RedisReleaseResult result = release(seen);
        QCOMPARE(result.outcome, RedisReleaseOutcome::released);
        QVERIFY(!exists(key));
        auto lines = auditLines();
        QCOMPARE(lines.size(), 1);
        QCOMPARE(QByteArray::fromBase64(
                     lines[0].value(QStringLiteral("key_base64")).toString().toLatin1()),
                 key);
        QCOMPARE(lines[0].value(QStringLiteral("key")).toString(),
                 QStringLiteral("bin\\x00\\xff-lock"));
    }

    void redisPyLockReleased() {
        ChildProcess redisPy;
        QVERIFY(redisPy.start(redisinspect::python,
                              {testsupport::dataPath("redis_py_lock_holder.py"),
                               QStringLiteral("py-job"), port(), QStringLiteral("leave")}));
        QVERIFY(redisPy.readLine(20000).startsWith(QStringLiteral("LOCKED ")));
        const RedisLockRecord seen = lookKey("py-job");
        QCOMPARE(seen.convention, RedisConvention::redis_py);
        QCOMPARE(release(seen).outcome, RedisReleaseOutcome::released);
        QVERIFY(!exists("py-job"));
    }

    void pythonRedisLockWaiterIsWoken() {
        const QByteArray holderToken = redisinspect::pythonRedisLockToken();
        REDIS_OK(m_server, "SET", "lock:report", holderToken, "NX", "EX", "60");
        ChildProcess waiter;
        QVERIFY(waiter.start(redisinspect::python,
                             {QStringLiteral("-c"),
                              QString::fromUtf8(redisinspect::pythonRedisLockWaiterScript),
                              QStringLiteral("report"), port()}));
        QCOMPARE(waiter.readLine(20000), QStringLiteral("WAITING"));
        // Wait until it sits in BLPOP, as the scanner shows it.
        RedisLockRecord seen;
        QTRY_VERIFY_WITH_TIMEOUT((seen = lookKey("lock:report"), !seen.possible_waiters.empty()),
                                 10000);
        QCOMPARE(seen.convention, RedisConvention::python_redis_lock);
        QCOMPARE(seen.possible_waiters.front().command, std::string("blpop"));
        QElapsedTimer timer;
        timer.start();
        const RedisReleaseResult result = release(seen);
        QCOMPARE(result.outcome, RedisReleaseOutcome::released);
        QVERIFY2(result.warnings.empty(),
                 result.warnings.empty() ? "" : result.warnings.front().c_str());
        // Its BLPOP timeout is 30 s: only the signal wakes it this soon.
        const QString acquired = waiter.readLine(10000);
        QVERIFY2(acquired.startsWith(QStringLiteral("ACQUIRED ")),
                 qPrintable(acquired + waiter.standardError()));
        QVERIFY(timer.elapsed() < testsupport::timeBound(10000));
        QCOMPARE(get("lock:report"), acquired.mid(9).toLatin1());
    }

    void leaseWaiterIsWokenAndFencingKept() {
        portalocker::LeaseOptions holderOptions;
        holderOptions.ttl = 60s;
        portalocker::RedisLease holder("lease-job", m_server.options(), holderOptions);
        QVERIFY(holder.try_lock());
        QCOMPARE(holder.fencing_token(), std::uint64_t(1));
        portalocker::LeaseOptions waiterOptions;
        waiterOptions.check_interval = 30s; // no polling within the test: only the signal wakes it
        portalocker::RedisLease waiter("lease-job", m_server.options(), waiterOptions);
        auto acquired = std::async(std::launch::async, [&] { return waiter.try_lock_for(20s); });
        QTest::qWait(300);
        const RedisLockRecord seen = lookKey("lease-job");
        QCOMPARE(seen.convention, RedisConvention::portalocker_lease);
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(release(seen).outcome, RedisReleaseOutcome::released);
        QVERIFY(acquired.wait_for(10s) == std::future_status::ready);
        QVERIFY(acquired.get());
        QVERIFY(timer.elapsed() < testsupport::timeBound(10000));
        // The counter was not touched: the next grant got the next number.
        QCOMPARE(waiter.fencing_token(), std::uint64_t(2));
        QCOMPARE(get("lease-job:fencing"), QByteArray("2"));
        waiter.unlock();
        // The old holder finds out at its next renewal; extending now shows the same.
        QVERIFY(!holder.extend());
        QVERIFY(holder.lost());
    }

    // A lease names its holder in its value, which a forced release deletes with the key. An
    // older version's owner hash goes with the lease it describes, and only then.
    void leaseOwnerGoesWithIt() {
        portalocker::RedisLease holder("owned-job", m_server.options());
        QVERIFY(holder.try_lock());
        const RedisLockRecord held = lookKey("owned-job");
        QVERIFY(held.lease_owner);
        QCOMPARE(release(held).outcome, RedisReleaseOutcome::released);
        QCOMPARE(m_server.command({"EXISTS", "owned-job"}).integer, 0);
        const QByteArray oldToken(32, 'e');
        REDIS_OK(m_server, "SET", "old-job", oldToken, "PX", "60000");
        REDIS_OK(m_server, "SET", "old-job:fencing", "4");
        REDIS_OK(m_server, "HSET", "old-job:owner", "token", oldToken, "pid", "42");
        QCOMPARE(release(lookKey("old-job")).outcome, RedisReleaseOutcome::released);
        QCOMPARE(m_server.command({"EXISTS", "old-job:owner"}).integer, 0);
        // An owner hash of another grant (the next holder's) is left alone.
        REDIS_OK(m_server, "SET", "other-job", "0123456789abcdef0123456789abcdef", "PX", "60000");
        REDIS_OK(m_server, "SET", "other-job:fencing", "7");
        REDIS_OK(m_server, "HSET", "other-job:owner", "token", "ffffffffffffffffffffffffffffffff");
        const RedisLockRecord seen = lookKey("other-job");
        QCOMPARE(seen.convention, RedisConvention::portalocker_lease);
        QCOMPARE(release(seen).outcome, RedisReleaseOutcome::released);
        QCOMPARE(m_server.command({"EXISTS", "other-job:owner"}).integer, 1);
    }

    void redissonSubscribersAreTold() {
        REDIS_OK(m_server, "HSET", "orders", redisinspect::redissonField(7), "1");
        REDIS_OK(m_server, "PEXPIRE", "orders", "30000");
        portalocker::redis::Connection subscriber(m_server.options());
        std::error_code ec;
        QVERIFY(subscriber.connect(ec));
        subscriber.command({"SUBSCRIBE", "redisson_lock__channel:{orders}"}, ec);
        QVERIFY(!ec);
        const RedisLockRecord seen = lookKey("orders");
        QCOMPARE(seen.convention, RedisConvention::redisson);
        QCOMPARE(release(seen).outcome, RedisReleaseOutcome::released);
        QVERIFY(!exists("orders"));
        portalocker::redis::Reply message;
        QCOMPARE(subscriber.read(message, portalocker::redis::deadline_after(5s), ec),
                 portalocker::redis::Connection::ReadStatus::reply);
        QCOMPARE(message.at(0).text, std::string("message"));
        QCOMPARE(message.at(2).text, std::string("0"));
        // Another owner now: a stale view of the old owner deletes nothing.
        REDIS_OK(m_server, "HSET", "orders", redisinspect::redissonField(8), "1");
        QCOMPARE(release(seen).outcome, RedisReleaseOutcome::changed);
        QVERIFY(exists("orders"));
    }

    void channelHolderKilledExactly() {
        auto fast = [] {
            portalocker::RedisLockOptions options;
            options.health_check_interval = 200ms;
            return options;
        }();
        portalocker::RedisLock foo("foo", m_server.options(), fast);
        QVERIFY(foo.try_lock());
        portalocker::RedisLock neighbour("foo-lock-bar", m_server.options(), fast);
        QVERIFY(neighbour.try_lock());
        const RedisLockRecord seen = lookChannel("foo");
        QCOMPARE(seen.convention, RedisConvention::channel_lock);
        QCOMPARE(seen.holders.size(), std::size_t(1));
        QCOMPARE(seen.holders[0].holder_id, foo.holder_id());
        const RedisReleaseResult result = release(seen);
        QCOMPARE(result.outcome, RedisReleaseOutcome::released);
        QTRY_VERIFY_WITH_TIMEOUT(foo.lost(), 10000);
        QVERIFY(!neighbour.lost());
        QVERIFY(
            m_server.clientNames().contains(bytes("foo-lock-bar-lock-" + neighbour.holder_id())));
        // The same view again: that holder is gone, nothing else is killed.
        QCOMPARE(release(seen).outcome, RedisReleaseOutcome::gone);
        QVERIFY(!neighbour.lost());
        std::error_code ignored;
        foo.unlock(ignored); // lost: only cleans up
    }

    void pythonChannelHolderKilled() {
        ChildProcess holder;
        QVERIFY(holder.start(redisinspect::python,
                             {testsupport::dataPath("portalocker_redis_holder.py"),
                              QStringLiteral("py-chan"), port()}));
        QCOMPARE(holder.readLine(20000), QStringLiteral("LOCKED"));
        const RedisLockRecord seen = lookChannel("py-chan");
        QCOMPARE(seen.holders.size(), std::size_t(1));
        QVERIFY(seen.holders[0].legacy);
        const qint64 killedId = seen.holders[0].client.id;
        const RedisReleaseResult result = release(seen);
        QCOMPARE(result.outcome, RedisReleaseOutcome::released);
        QVERIFY(
            std::any_of(result.warnings.begin(), result.warnings.end(), [](const std::string& w) {
                return w.find("resubscribe") != std::string::npos;
            }));
        const QByteArray clients = m_server.command("CLIENT LIST").text;
        QVERIFY(!clients.contains(QByteArray("id=" + QByteArray::number(killedId) + " ")));
        holder.kill();
    }

    void aclDenialNamesTheCommand_data() {
        QTest::addColumn<QByteArray>("rule");
        QTest::addColumn<QString>("command");
        QTest::newRow("eval") << QByteArray("-eval") << QStringLiteral("eval");
        QTest::newRow("del inside the script") << QByteArray("-del") << QStringLiteral("del");
    }
    void aclDenialNamesTheCommand() {
        QFETCH(QByteArray, rule);
        QFETCH(QString, command);
        REDIS_OK(m_server, "ACL", "SETUSER", "operator", "reset", "on", ">secret-pw", "~*", "&*",
                 "+@all", rule);
        const QByteArray token = redisinspect::nodeRedlockToken();
        REDIS_OK(m_server, "SET", "acl-job", token, "PX", "60000");
        const RedisLockRecord seen = lookKey("acl-job");
        auto options = m_server.options();
        options.username = "operator";
        options.password = "secret-pw";
        const RedisReleaseResult result = release(seen, options);
        QCOMPARE(result.outcome, RedisReleaseOutcome::failed);
        QCOMPARE(QString::fromStdString(result.denied_command), command);
        QVERIFY2(result.message.find("'" + command.toStdString() + "'") != std::string::npos,
                 result.message.c_str());
        QVERIFY(result.message.find("operator") != std::string::npos);
        QCOMPARE(get("acl-job"), token);
        auto lines = auditLines();
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0].value(QStringLiteral("outcome")).toString(), QStringLiteral("failed"));
        QCOMPARE(lines[0].value(QStringLiteral("redis_user")).toString(),
                 QStringLiteral("operator"));
        QFile file(logPath());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains("secret-pw"));
        REDIS_OK(m_server, "ACL", "DELUSER", "operator");
    }

    void fencingCounterIsRefused() {
        portalocker::RedisLease lease("fenced", m_server.options());
        QVERIFY(lease.try_lock());
        lease.unlock();
        const RedisLockRecord counter = lookKey("fenced:fencing");
        QCOMPARE(counter.convention, RedisConvention::fencing_counter);
        QCOMPARE(release(counter).outcome, RedisReleaseOutcome::refused);
        QCOMPARE(get("fenced:fencing"), QByteArray("1"));
        QCOMPARE(auditLines().size(), 1);
    }

    void auditLogDefaultPath() {
        const QByteArray savedState = qgetenv("XDG_STATE_HOME");
        const QByteArray savedHome = qgetenv("HOME");
        qputenv("XDG_STATE_HOME", "/var/tmp/state");
        QCOMPARE(AuditLog::default_path().string(),
                 std::string("/var/tmp/state/lockscope/forced-releases.jsonl"));
        qputenv("XDG_STATE_HOME", "relative/ignored");
        qputenv("HOME", "/home/operator");
        QCOMPARE(AuditLog::default_path().string(),
                 std::string("/home/operator/.local/state/lockscope/forced-releases.jsonl"));
        qunsetenv("XDG_STATE_HOME");
        QCOMPARE(AuditLog::default_path().string(),
                 std::string("/home/operator/.local/state/lockscope/forced-releases.jsonl"));
        if (!savedState.isNull())
            qputenv("XDG_STATE_HOME", savedState);
        qputenv("HOME", savedHome);
    }

    void unwritableAuditLogPreventsRelease() {
        const QByteArray token = redisinspect::nodeRedlockToken();
        REDIS_OK(m_server, "SET", "logged-job", token, "PX", "60000");
        const RedisLockRecord seen = lookKey("logged-job");
        QFile blocker(m_directory->filePath(QStringLiteral("file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        AuditLog log(m_directory->filePath(QStringLiteral("file/sub/audit.jsonl")).toStdString());
        RedisReleaseOptions options;
        options.audit_log = &log;
        const RedisReleaseResult result = RedisReleaser(m_server.options(), options).release(seen);
        QCOMPARE(result.outcome, RedisReleaseOutcome::failed);
        QVERIFY(!result.audit_logged);
        QCOMPARE(get("logged-job"), token);
    }
};

QTEST_GUILESS_MAIN(TestRedisInspectRelease)
#include "tst_redisinspect_release.moc"
