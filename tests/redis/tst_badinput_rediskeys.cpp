// Bad input for Redis keys, channels and values (issue #6): names with control characters,
// spaces, invalid UTF-8, empty and 1 MB long; a 100 MB value; values that are not UTF-8;
// keys of the wrong type. Run by main() in tst_badinput_redis.cpp.

#include <portalocker/inspect/redisrelease.hpp>
#include <portalocker/inspect/redisscanner.hpp>
#include <portalocker/portalocker.hpp>

#include "badinputsupport.h"
#include "redisserver.h"
#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using badinput::Outcome;
using namespace std::chrono_literals;
namespace inspect = portalocker::inspect;

namespace {

bool isPrintableText(const QByteArray& text) {
    for (char c : text)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f)
            return false;
    return QString::fromUtf8(text).toUtf8() == text;
}

// The peak resident set size (kB) the peakrss program wrote to `report`; 0 if none.
long peakKb(const QString& report) {
    QFile file(report);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    return file.readAll().trimmed().toLong();
}

constexpr qsizetype hugeValueBytes = 100 * 1024 * 1024;

} // namespace

class TestBadRedisKeys : public QObject {
    Q_OBJECT

  private:
    testsupport::RedisServer m_server;
    QTemporaryDir m_audit;

    QStringList redis(const QStringList& arguments) const {
        return QStringList{QStringLiteral("redis"), QStringLiteral("--url"), m_server.url()} +
               arguments;
    }
    QString auditLog() const { return m_audit.filePath(QStringLiteral("audit.jsonl")); }
    QByteArray typeOf(const QByteArray& key) const { return m_server.command({"TYPE", key}).text; }

  private slots:
    void initTestCase() {
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        QVERIFY(m_audit.isValid());
    }

    // --- lease keys ---------------------------------------------------------------------------

    // Keys are binary-safe in Redis: every name works as a lease, and nothing stays behind
    // but the fencing counter (kept by design).
    void leaseKeyNames_data() {
        QTest::addColumn<QByteArray>("key");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("spaces") << QByteArray(" a lock ");
        QTest::newRow("CR LF") << QByteArray("a\r\nSET x y\r\n");
        QTest::newRow("escape") << QByteArray("\x1b[2Jkey");
        QTest::newRow("NUL") << QByteArray("a\0b", 3);
        QTest::newRow("invalid UTF-8") << QByteArray("\xff\xfe\xc3");
        QTest::newRow("1 MB") << QByteArray(1024 * 1024, 'k');
    }
    void leaseKeyNames() {
        QFETCH(QByteArray, key);
        const auto keys = m_server.command({"DBSIZE"}).integer;
        portalocker::LeaseOptions options;
        options.ttl = 10s;
        {
            portalocker::RedisLease lease(key.toStdString(), m_server.options(), options);
            QVERIFY(lease.try_lock());
            QCOMPARE(m_server.command({"GET", key}).text, QByteArray::fromStdString(lease.token()));
            portalocker::RedisLease other(key.toStdString(), m_server.options(), options);
            QVERIFY(!other.try_lock());
            lease.unlock();
        }
        QCOMPARE(m_server.command({"EXISTS", key}).integer, 0);
        QCOMPARE(m_server.command({"EXISTS", key + ":fencing"}).integer, 1);
        m_server.command({"DEL", key + ":fencing", key + ":signal"});
        QCOMPARE(m_server.command({"DBSIZE"}).integer, keys);
    }

    // The same names through lockctl (argv cannot carry NUL or 1 MB): held, then reported
    // held with the name escaped on one line.
    void leaseKeyNamesThroughLockctl_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QByteArray>("shown");
        QTest::newRow("spaces") << QStringLiteral(" a lock ") << QByteArray(" a lock ");
        QTest::newRow("CR LF") << QStringLiteral("a\r\nSET x y\r\n")
                               << QByteArray("a\\r\\nSET x y\\r\\n");
        QTest::newRow("escape") << QStringLiteral("\x1b[2Jkey") << QByteArray("\\x1b[2Jkey");
    }
    void leaseKeyNamesThroughLockctl() {
        QFETCH(QString, key);
        QFETCH(QByteArray, shown);
        const Outcome free = badinput::lockctl(
            redis({QStringLiteral("hold"), key, QStringLiteral("--timeout"), QStringLiteral("0"),
                   QStringLiteral("--"), QStringLiteral("true")}));
        QVERIFY2(free.exitCode == 0, qPrintable(free.describe()));
        portalocker::RedisLease lease(key.toStdString(), m_server.options());
        QVERIFY(lease.try_lock());
        const Outcome busy = badinput::lockctl(
            redis({QStringLiteral("hold"), key, QStringLiteral("--timeout"), QStringLiteral("0"),
                   QStringLiteral("--"), QStringLiteral("true")}));
        QVERIFY2(busy.exitCode == 1, qPrintable(busy.describe()));
        QVERIFY2(busy.err.contains(shown), qPrintable(busy.describe()));
        QVERIFY2(isPrintableText(busy.err) && busy.err.count('\n') == 1,
                 qPrintable(busy.describe()));
        lease.unlock();
        m_server.command({"DEL", key.toUtf8() + ":fencing", key.toUtf8() + ":signal"});
    }

    // --- channel names ----------------------------------------------------------------------

    // A channel becomes part of a client name, which Redis restricts: refused before any
    // connection, with the rule in the message.
    void channelNames_data() {
        QTest::addColumn<QByteArray>("channel");
        QTest::addColumn<QByteArray>("shown"); // in the library's message and lockctl's
        QTest::newRow("empty") << QByteArray() << QByteArray("''");
        QTest::newRow("space") << QByteArray("a b") << QByteArray("'a b'");
        QTest::newRow("newline") << QByteArray("a\nb") << QByteArray("'a\\nb'");
        QTest::newRow("escape") << QByteArray("\x1b[2J") << QByteArray("'\\x1b[2J'");
        QTest::newRow("invalid UTF-8") << QByteArray("\xff\xfe") << QByteArray("'\\xff\\xfe'");
    }
    void channelNames() {
        QFETCH(QByteArray, channel);
        QFETCH(QByteArray, shown);
        const QByteArray named = "channel " + shown;
        const auto clientsBefore = m_server.clientNames().size();
        portalocker::RedisLock lock(channel.toStdString(), m_server.options());
        std::error_code ec;
        QVERIFY(!lock.try_lock(ec));
        COMPARE_EC(ec, make_error_code(portalocker::errc::invalid_argument));
        try {
            lock.lock();
            QFAIL("not refused");
        } catch (const portalocker::AlreadyLocked& e) {
            QFAIL(e.what());
        } catch (const portalocker::LockException& e) {
            COMPARE_EC(e.code(), make_error_code(portalocker::errc::invalid_argument));
            QVERIFY2(QByteArray(e.what()).contains("printable ASCII without spaces"),
                     QByteArray(e.what()).left(300).constData());
            QVERIFY2(QByteArray(e.what()).contains(named),
                     QByteArray(e.what()).left(300).constData());
            QVERIFY2(QByteArray(e.what()).size() < 4096,
                     qPrintable(QString::number(QByteArray(e.what()).size())));
        }
        QVERIFY(!lock.owns_lock());
        QCOMPARE(m_server.clientNames().size(), clientsBefore);
        if (channel.isEmpty() || channel.size() > 4096 ||
            QString::fromUtf8(channel).toUtf8() != channel)
            return;
        const Outcome cli = badinput::lockctl(
            redis({QStringLiteral("hold"), QString::fromUtf8(channel), QStringLiteral("--channel"),
                   QStringLiteral("--timeout"), QStringLiteral("0"), QStringLiteral("--"),
                   QStringLiteral("true")}));
        QVERIFY2(cli.exitCode == 2 || cli.exitCode == 3, qPrintable(cli.describe()));
        QVERIFY2(cli.err.contains("printable ASCII without spaces"), qPrintable(cli.describe()));
        // lockctl shows the library's message as it reads: the name not escaped twice.
        QVERIFY2(cli.err.contains(named), qPrintable(cli.describe()));
        QVERIFY2(isPrintableText(cli.err), qPrintable(cli.describe()));
    }

    // A 1 MB channel is printable ASCII: Redis takes a client name that long, so it works
    // like any other, and nothing stays connected afterwards.
    void hugeChannelName() {
        const std::string channel(1024 * 1024, 'c');
        const auto clientsBefore = m_server.clientNames().size();
        {
            // Every ping and answer carries the 1 MB name: a holder slowed down by a sanitizer
            // on a loaded machine may take longer than the 1 s default to answer, and would be
            // taken for a dead one. The scale knob bounds that, not the name handling.
            portalocker::RedisLockOptions patient;
            patient.unavailable_timeout = std::chrono::milliseconds(testsupport::timeBound(1000));
            portalocker::RedisLock lock(channel, m_server.options(), patient);
            QVERIFY(lock.try_lock());
            portalocker::RedisLock other(channel, m_server.options(), patient);
            QVERIFY(!other.try_lock());
            lock.unlock();
            QVERIFY(other.try_lock());
            other.unlock();
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_server.clientNames().size(), clientsBefore, 5000);
    }

    // --- values -----------------------------------------------------------------------------

    // A 100 MB value under a lock-looking key: the scanner reads at most --max-value-bytes of
    // it, says it is incomplete, and refuses to force-release what it could not compare.
    void hugeValue() {
        const QByteArray key = "lock:huge";
        QCOMPARE(
            m_server.command({"SET", key, QByteArray(hugeValueBytes, 'v'), "PX", "600000"}, 30000)
                .text,
            QByteArray("OK"));
        // The bound is relative to the same lockctl doing the same listing of nothing: its
        // own size differs between builds (an ASan lockctl is ~97 MB resident before it reads
        // anything), the value's 100 MB does not.
        const QString baselineReport = m_audit.filePath(QStringLiteral("peak-baseline"));
        const Outcome baseline = badinput::run(
            testsupport::programPath("LOCKSCOPE_PEAKRSS"),
            QStringList{baselineReport, testsupport::programPath("LOCKSCOPE_LOCKCTL")} +
                redis({QStringLiteral("list"), QStringLiteral("--json"), QStringLiteral("--match"),
                       QStringLiteral("lock:none")}),
            60000);
        QVERIFY2(baseline.exitCode == 0, qPrintable(baseline.describe()));
        const long baselinePeak = peakKb(baselineReport);
        QVERIFY2(baselinePeak > 0, "peakrss wrote no figure for the baseline");
        const QString report = m_audit.filePath(QStringLiteral("peak-list"));
        const Outcome list =
            badinput::run(testsupport::programPath("LOCKSCOPE_PEAKRSS"),
                          QStringList{report, testsupport::programPath("LOCKSCOPE_LOCKCTL")} +
                              redis({QStringLiteral("list"), QStringLiteral("--json"),
                                     QStringLiteral("--match"), QStringLiteral("lock:huge")}),
                          60000);
        QVERIFY2(list.exitCode == 0, qPrintable(list.describe()));
        QVERIFY2(list.out.size() < 64 * 1024, qPrintable(QString::number(list.out.size())));
        const QJsonObject snapshot = QJsonDocument::fromJson(list.out).object();
        const QJsonArray locks = snapshot.value(QStringLiteral("locks")).toArray();
        QCOMPARE(locks.size(), 1);
        const QJsonObject record = locks.first().toObject();
        QCOMPARE(record.value(QStringLiteral("value_size")).toInteger(), hugeValueBytes);
        QCOMPARE(record.value(QStringLiteral("token_complete")).toBool(true), false);
        QCOMPARE(record.value(QStringLiteral("releasable")).toBool(true), false);
        // lockctl never held the value: less than half of it above the baseline.
        const long peak = peakKb(report);
        QVERIFY2(peak > 0 && peak - baselinePeak < 50 * 1024,
                 qPrintable(QStringLiteral("peak RSS of lockctl redis list: %1 kB (baseline %2 kB)")
                                .arg(peak)
                                .arg(baselinePeak)));

        const Outcome release = badinput::lockctl(
            redis({QStringLiteral("release"), QString::fromLatin1(key), QStringLiteral("--token"),
                   QStringLiteral("v"), QStringLiteral("--yes"), QStringLiteral("--audit-log"),
                   auditLog()}),
            60000);
        QVERIFY2(release.exitCode == 3 || release.exitCode == 1, qPrintable(release.describe()));
        QVERIFY2(release.out.startsWith("refused") || release.out.startsWith("changed"),
                 qPrintable(release.describe()));
        QCOMPARE(m_server.command({"STRLEN", key}).integer, hugeValueBytes);

        // Waiting for it through lockctl: one short line, not the value.
        const QString holdReport = m_audit.filePath(QStringLiteral("peak-hold"));
        const Outcome hold =
            badinput::run(testsupport::programPath("LOCKSCOPE_PEAKRSS"),
                          QStringList{holdReport, testsupport::programPath("LOCKSCOPE_LOCKCTL")} +
                              redis({QStringLiteral("hold"), QString::fromLatin1(key),
                                     QStringLiteral("--timeout"), QStringLiteral("0"),
                                     QStringLiteral("--"), QStringLiteral("true")}),
                          60000);
        QVERIFY2(hold.exitCode == 1, qPrintable(hold.describe().left(2000)));
        QVERIFY2(hold.err.size() < 4096,
                 qPrintable(QStringLiteral("%1 bytes on stderr").arg(hold.err.size())));
        QVERIFY2(hold.err.contains("is held by token vvvvvvvv") &&
                     hold.err.contains("(104857600 bytes)"),
                 qPrintable(hold.describe().left(2000)));
        // The library reads only the start of the value to name the holder (GETRANGE +
        // STRLEN): the AlreadyLocked message and holder() never carry the whole 100 MB.
        const long holdPeak = peakKb(holdReport);
        qInfo("lockctl redis list peak %ld kB; hold peak %ld kB; baseline %ld kB; release: %s; "
              "hold: %s",
              peak, holdPeak, baselinePeak, release.out.trimmed().constData(),
              hold.err.trimmed().constData());
        QVERIFY2(holdPeak > 0 && holdPeak - baselinePeak < 50 * 1024,
                 qPrintable(QStringLiteral("peak RSS of lockctl redis hold: %1 kB (baseline %2 kB)")
                                .arg(holdPeak)
                                .arg(baselinePeak)));
        QCOMPARE(m_server.command({"STRLEN", key}).integer, hugeValueBytes);
        m_server.command({"DEL", key});
    }

    // Values that are not UTF-8 (or not text) are shown escaped, and JSON stays valid.
    void binaryValue() {
        const QByteArray key = "lock:binary";
        const QByteArray value("\xff\xfe\x00\x01\n\x1b[2J", 9);
        QCOMPARE(m_server.command({"SET", key, value, "PX", "600000"}).text, QByteArray("OK"));
        const Outcome json =
            badinput::lockctl(redis({QStringLiteral("list"), QStringLiteral("--json"),
                                     QStringLiteral("--match"), QString::fromLatin1(key)}));
        QVERIFY2(json.exitCode == 0, qPrintable(json.describe()));
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(json.out, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        const QJsonArray locks = document.object().value(QStringLiteral("locks")).toArray();
        QCOMPARE(locks.size(), 1);
        const QJsonObject record = locks.first().toObject();
        QCOMPARE(QByteArray::fromBase64(
                     record.value(QStringLiteral("token_base64")).toString().toLatin1()),
                 value);
        const Outcome text = badinput::lockctl(
            redis({QStringLiteral("list"), QStringLiteral("--match"), QString::fromLatin1(key)}));
        QVERIFY2(text.exitCode == 0, qPrintable(text.describe()));
        QVERIFY2(isPrintableText(text.out), qPrintable(text.describe()));
        QVERIFY2(text.out.contains("\\xff\\xfe\\x00\\x01\\n\\x1b[2J"), qPrintable(text.describe()));
        // Released by its exact bytes, given as base64.
        const Outcome release = badinput::lockctl(
            redis({QStringLiteral("release"), QString::fromLatin1(key),
                   QStringLiteral("--token-base64"), QString::fromLatin1(value.toBase64()),
                   QStringLiteral("--yes"), QStringLiteral("--audit-log"), auditLog()}));
        QVERIFY2(release.exitCode == 0, qPrintable(release.describe()));
        QCOMPARE(m_server.command({"EXISTS", key}).integer, 0);
    }

    // A server on a unix socket: unix:// URLs parse, and the connection must work.
    void unixSocket() {
        testsupport::RedisServer server;
        const QString socket = m_audit.filePath(QStringLiteral("redis.sock"));
        QVERIFY2(server.start({QStringLiteral("--unixsocket"), socket}),
                 qPrintable(server.errorString()));
        const auto options = portalocker::RedisOptions::from_url("unix://" + socket.toStdString());
        portalocker::RedisLease lease("over-unix", options);
        std::error_code ec;
        const bool acquired = lease.try_lock(ec);
        // Keepalive is enabled for TCP only (on a unix socket TCP_KEEPIDLE fails and used to
        // leave the hiredis context in error).
        QVERIFY2(acquired, ec.message().c_str());
        if (acquired)
            lease.unlock();
    }

    // --- wrong types --------------------------------------------------------------------------

    void wrongTypes_data() {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QList<QByteArray>>("create");
        QTest::addColumn<QByteArray>("type");
        QTest::newRow("list") << QByteArray("lock:list")
                              << QList<QByteArray>{"RPUSH", "lock:list", "a", "b"}
                              << QByteArray("list");
        QTest::newRow("hash") << QByteArray("lock:hash")
                              << QList<QByteArray>{"HSET", "lock:hash", "f1", "v1", "f2", "v2"}
                              << QByteArray("hash");
        QTest::newRow("set") << QByteArray("lock:set") << QList<QByteArray>{"SADD", "lock:set", "a"}
                             << QByteArray("set");
        QTest::newRow("zset") << QByteArray("lock:zset")
                              << QList<QByteArray>{"ZADD", "lock:zset", "1", "a"}
                              << QByteArray("zset");
        QTest::newRow("stream") << QByteArray("lock:stream")
                                << QList<QByteArray>{"XADD", "lock:stream", "*", "f", "v"}
                                << QByteArray("stream");
    }
    void wrongTypes() {
        QFETCH(QByteArray, key);
        QFETCH(QList<QByteArray>, create);
        QFETCH(QByteArray, type);
        QVERIFY(!m_server.command(create).isError());
        m_server.command({"PEXPIRE", key, "600000"});

        // The scan lists no lock there and does not fail.
        const Outcome list =
            badinput::lockctl(redis({QStringLiteral("list"), QStringLiteral("--json"),
                                     QStringLiteral("--match"), QString::fromLatin1(key)}));
        QVERIFY2(list.exitCode == 0, qPrintable(list.describe()));
        QCOMPARE(QJsonDocument::fromJson(list.out)
                     .object()
                     .value(QStringLiteral("locks"))
                     .toArray()
                     .size(),
                 0);

        // Force release refuses: not a lock, nothing deleted.
        const Outcome release = badinput::lockctl(
            redis({QStringLiteral("release"), QString::fromLatin1(key), QStringLiteral("--token"),
                   QStringLiteral("v1"), QStringLiteral("--yes"), QStringLiteral("--audit-log"),
                   auditLog()}));
        QVERIFY2(release.exitCode == 1, qPrintable(release.describe()));
        QVERIFY2(release.err.contains(QByteArray("no lock named '" + key + "'")),
                 qPrintable(release.describe()));
        QCOMPARE(typeOf(key), type);

        // lockctl: a failure, not "held by another client" (nobody holds it, and waiting
        // would be in vain), in one line that says what the key holds.
        const Outcome hold = badinput::lockctl(
            redis({QStringLiteral("hold"), QString::fromLatin1(key), QStringLiteral("--timeout"),
                   QStringLiteral("5"), QStringLiteral("--"), QStringLiteral("true")}));
        QVERIFY2(hold.exitCode == 3, qPrintable(hold.describe()));
        QVERIFY2(hold.err.contains(QByteArray("holds a " + type + ", not a lease")) &&
                     hold.err.count('\n') == 1,
                 qPrintable(hold.describe()));
        QVERIFY2(hold.elapsedMs < 4000, qPrintable(hold.describe()));
        QCOMPARE(typeOf(key), type);

        // A lease on that key: not contention but a clear error (see redislease.hpp).
        portalocker::RedisLease lease(key.toStdString(), m_server.options());
        std::error_code ec;
        QVERIFY(!lease.try_lock(ec));
        QVERIFY2(ec == portalocker::errc::invalid_argument, ec.message().c_str());
        qInfo("lease on a %s: %s; release: %s", type.constData(),
              ec ? ec.message().c_str() : "busy", release.err.trimmed().constData());
        QCOMPARE(typeOf(key), type);
        m_server.command({"DEL", key, key + ":fencing"});
    }

    // A string lock seen by the operator, then replaced by a hash with the same name before
    // the release: the release must find it changed and delete nothing.
    void releaseAfterTypeChanged() {
        const QByteArray key = "lock:swapped";
        m_server.command({"SET", key, "token-1234567890", "PX", "600000"});
        inspect::RedisScanner scanner(m_server.options());
        std::error_code ec;
        auto record = scanner.inspect_key(key.toStdString(), ec);
        QVERIFY2(!ec, scanner.last_error().c_str());
        QVERIFY(record.has_value());
        m_server.command({"DEL", key});
        m_server.command({"HSET", key, "token-1234567890", "1"});
        inspect::AuditLog log(auditLog().toStdString());
        inspect::RedisReleaseOptions options;
        options.audit_log = &log;
        inspect::RedisReleaser releaser(m_server.options(), options);
        const auto result = releaser.release(*record);
        QVERIFY2(result.outcome == inspect::RedisReleaseOutcome::changed ||
                     result.outcome == inspect::RedisReleaseOutcome::gone,
                 result.message.c_str());
        QCOMPARE(typeOf(key), QByteArray("hash"));
        qInfo("release after the type changed: %s", result.message.c_str());
        m_server.command({"DEL", key});
    }

    // A RedisLease fencing counter looks like a key NAME:fencing; releasing it would let
    // fencing numbers go backwards: refused.
    void releaseFencingCounterRefused() {
        portalocker::RedisLease lease("fenced", m_server.options());
        QVERIFY(lease.try_lock());
        lease.unlock();
        const Outcome release = badinput::lockctl(
            redis({QStringLiteral("release"), QStringLiteral("fenced:fencing"),
                   QStringLiteral("--token"), QStringLiteral("1"), QStringLiteral("--yes"),
                   QStringLiteral("--audit-log"), auditLog()}));
        QVERIFY2(release.exitCode == 3 || release.exitCode == 1, qPrintable(release.describe()));
        QCOMPARE(m_server.command({"GET", "fenced:fencing"}).text, QByteArray("1"));
        qInfo("release of a fencing counter: exit %d: %s %s", release.exitCode,
              release.out.trimmed().constData(), release.err.trimmed().constData());
    }

    // Release of names nobody holds, with odd bytes: exit 1, the name escaped.
    void releaseUnknownNames_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("shown");
        QTest::newRow("empty") << QString() << QByteArray("''");
        QTest::newRow("newline") << QStringLiteral("a\nb") << QByteArray("'a\\nb'");
        QTest::newRow("escape") << QStringLiteral("\x1b[2J") << QByteArray("'\\x1b[2J'");
    }
    void releaseUnknownNames() {
        QFETCH(QString, name);
        QFETCH(QByteArray, shown);
        const Outcome release = badinput::lockctl(
            redis({QStringLiteral("release"), name, QStringLiteral("--token"), QStringLiteral("x"),
                   QStringLiteral("--yes"), QStringLiteral("--audit-log"), auditLog()}));
        QVERIFY2(release.exitCode == 1, qPrintable(release.describe()));
        QVERIFY2(release.err.contains(QByteArray("no lock named " + shown)),
                 qPrintable(release.describe()));
        QVERIFY2(isPrintableText(release.err), qPrintable(release.describe()));
    }
};

int runRedisKeyTests(int argc, char** argv) {
    TestBadRedisKeys keys;
    return QTest::qExec(&keys, argc, argv);
}

#include "tst_badinput_rediskeys.moc"
