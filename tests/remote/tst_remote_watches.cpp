// Watches per host (issue 13): the GUI's watch of a remote host goes to that host's lockctl
// agent as options, comes back through the stream as the host's own evaluation, and shows in
// the Watches view with its host, under the host filter. End to end over a real sshd whose
// "other" host has a pid namespace of its own (a holder's pid there is not its pid here);
// the pieces in between on their own (option round trip, merger, proxy, an old lockctl).

#include "models/watchmodel.h"
#include "models/watchproxymodel.h"
#include "remotehosts.h"
#include "session/appsettings.h"
#include "session/hostresultmerger.h"
#include "session/inspectorsession.h"
#include "session/remotehub.h"
#include "testsupport.h"
#include "workers/hostconnection.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

WatchRow watchRow(const QString& description, int held) {
    WatchRow row;
    row.key = description;
    row.description = description;
    row.type = u"semaphore"_s;
    row.total = 2;
    row.used = held;
    for (int slot = 0; slot < 2; ++slot) {
        WatchTargetRow target;
        target.path = u"/srv/jobs.0"_s + QString::number(slot) + u".lock"_s;
        target.slot = slot;
        target.health = slot < held ? LockHealth::held : LockHealth::free;
        row.targets << target;
    }
    return row;
}

/// The top-level row of `model` whose key is `key`, or an invalid index.
QModelIndex watchIndex(const WatchModel& model, const QString& key) {
    return model.indexOfWatch(key);
}

} // namespace

class TestRemoteWatches : public RemoteHostsTest {
    Q_OBJECT

  private slots:
    void watchOptionsSayTheWatchToLockctl() {
        // What HostConnection passes is what lockctl understands: every kind of watch, the
        // semaphore's pattern and a threshold in milliseconds survive the trip.
        std::vector<inspect::Watch> watches = {
            inspect::Watch::file("/tmp/a b.lock"), inspect::Watch::directory("/run/lock"),
            inspect::Watch::glob("/tmp/*.lck"),
            inspect::Watch::semaphore("/tmp", "jobs", 4, "{name}-{number:03d}.lk")};
        watches[0].stuck_after = std::chrono::milliseconds(1500);
        watches[3].stuck_after = std::chrono::hours(2);
        QProcess lockctl;
        lockctl.start(m_lockctl, QStringList{u"list"_s, u"--json"_s} +
                                     HostConnection::watchArguments(watches));
        QVERIFY(lockctl.waitForFinished(static_cast<int>(testsupport::timeBound(20000))));
        QVERIFY2(lockctl.exitCode() == 0, lockctl.readAllStandardError().constData());
        const QJsonArray listed = QJsonDocument::fromJson(lockctl.readAllStandardOutput())
                                      .object()[u"watches"_s]
                                      .toArray();
        QCOMPARE(listed.size(), 4);
        for (qsizetype i = 0; i < listed.size(); ++i) {
            const QJsonObject watch = listed[i].toObject();
            const auto& expected = watches[static_cast<std::size_t>(i)];
            QCOMPARE(watch[u"description"_s].toString(),
                     QString::fromStdString(inspect::describe(expected)));
            QCOMPARE(watch[u"stuck_after_ms"_s].toInteger(-1),
                     expected.stuck_after ? expected.stuck_after->count() : -1);
        }
        QCOMPARE(listed[3].toObject()[u"pattern"_s].toString(), u"{name}-{number:03d}.lk"_s);
        QCOMPARE(listed[3].toObject()[u"files"_s].toArray().size(), 4);
    }

    void anOlderLockctlIsTooOldForWatches() {
        // A lockctl with the agent protocol but from before watches rejects the options the
        // way CLI11 does: the host must say why, and offer the install (Protocol).
        const QString fake = m_directory.filePath(u"prewatch-lockctl"_s);
        QFile script(fake);
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("#!/bin/sh\necho 'lockctl list: The following arguments were not expected: "
                     "jobs 2 --watch-semaphore /tmp' >&2\nexit 2\n");
        script.close();
        QVERIFY(script.setPermissions(script.permissions() | QFileDevice::ExeOwner));
        HostConnection host(u"prewatch"_s);
        host.setLocalCommand({}, fake);
        host.setInitialBackoff(60000);
        host.setWatches({inspect::Watch::semaphore("/tmp", "jobs", 2)});
        host.start();
        QTRY_VERIFY_WITH_TIMEOUT(host.failure() != HostConnection::Failure::None,
                                 testsupport::timeBound(10000));
        QCOMPARE(host.failure(), HostConnection::Failure::Protocol);
        QVERIFY2(host.message().contains(u"older than watches"_s), qPrintable(host.message()));
        host.stop();
    }

    void mergerTagsARemoteHostsWatches() {
        HostResultMerger merger;
        PollResult here, there;
        here.watches << watchRow(u"semaphore jobs (2 slots) in /srv"_s, 0);
        there.watches << watchRow(u"semaphore jobs (2 slots) in /srv"_s, 1);
        merger.update(QString(), here);
        PollResult combined = merger.update(u"db-02"_s, there);
        QCOMPARE(combined.watches.size(), 2);
        QCOMPARE(combined.watches[0].host, QString());
        QCOMPARE(combined.watches[0].key, u"semaphore jobs (2 slots) in /srv"_s);
        // Keyed as HostWatch::key() names it, so removing it from the view finds it.
        QCOMPARE(combined.watches[1].host, u"db-02"_s);
        QCOMPARE(combined.watches[1].key,
                 (HostWatch{u"db-02"_s, inspect::Watch::semaphore("/srv", "jobs", 2)}.key()));
        QCOMPARE(combined.watches[1].used, 1);
        QVERIFY(!combined.watches[1].hostStale);
        combined = merger.setStale(u"db-02"_s, true);
        QVERIFY(combined.watches[1].hostStale);
        QVERIFY(!combined.watches[0].hostStale);
    }

    void theHostFilterShowsOneHostsWatches() {
        WatchModel model;
        QAbstractItemModelTester modelTester(&model);
        WatchProxyModel proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester proxyTester(&proxy);
        WatchRow local = watchRow(u"semaphore jobs (2 slots) in /srv"_s, 1);
        WatchRow remote = local;
        remote.host = u"db-02"_s;
        remote.key = u"db-02//"_s + remote.key;
        model.setRows({local, remote});
        QCOMPARE(proxy.rowCount(), 2);
        QCOMPARE(model.index(1, WatchModel::HostColumn).data().toString(), u"db-02"_s);
        QCOMPARE(model.index(0, WatchModel::HostColumn).data().toString(), u"This computer"_s);
        proxy.setHostFilter(u"db-02"_s);
        QCOMPARE(proxy.rowCount(), 1);
        QCOMPARE(proxy.index(0, 0).data(WatchModel::KeyRole).toString(), remote.key);
        QCOMPARE(proxy.rowCount(proxy.index(0, 0)), 2); // its slots come with it
        proxy.setHostFilter(QString());
        QCOMPARE(proxy.rowCount(), 1);
        QCOMPARE(proxy.index(0, 0).data(WatchModel::HostRole).toString(), QString());
        // A refresh of the hidden host changes nothing shown; one of the shown host does.
        remote.used = 2;
        model.setRows({local, remote});
        QCOMPARE(proxy.rowCount(), 1);
        remote.hostStale = true;
        model.setRows({local, remote});
        QVERIFY(
            model.index(1, WatchModel::HostColumn).data().toString().contains(u"disconnected"_s));
        proxy.setHostFilter(std::nullopt);
        QCOMPARE(proxy.rowCount(), 2);
    }

    void aRemoteSemaphoreShowsWithItsHost() {
        const QString directory = m_hosts.scratch(u"watched"_s);
        QVERIFY(QDir().mkpath(directory));
        // A slot taken on the other host; the command there says its parent's pid, which is
        // lockctl's, the holder, as that host's pid namespace numbers it, and ends (freeing the
        // slot) once the file `release` exists (both hosts share the file system).
        const QString release = m_hosts.scratch(u"watched-release"_s);
        testsupport::ChildProcess holder;
        QVERIFY(holder.start(m_lockctl, {u"--host"_s, u"other"_s, u"semaphore"_s, directory,
                                         u"jobs"_s, u"2"_s, u"--"_s, u"sh"_s, u"-c"_s,
                                         u"echo HELD $PPID; while [ ! -e \"$0\" ]; do sleep 0.1; "
                                         u"done"_s,
                                         release}));
        const QString held = holder.readLine(static_cast<int>(testsupport::timeBound(20000)));
        QVERIFY2(
            held.startsWith(u"HELD "_s),
            qPrintable(held + QString::fromLocal8Bit(holder.process().readAllStandardError())));
        const qint64 remotePid = held.mid(5).toLongLong();
        QVERIFY(remotePid > 0);
        // Only the other host numbers it so: here that pid is not this semaphore's holder, so a
        // local evaluation of the watch could not show it.
        QFile here(u"/proc/"_s + QString::number(remotePid) + u"/cmdline"_s);
        QVERIFY(!here.open(QIODevice::ReadOnly) || !here.readAll().contains("semaphore"));

        const QString settingsFile = m_directory.filePath(u"settings.ini"_s);
        AppSettings settings(settingsFile);
        InspectorSession session(&settings);
        QAbstractItemModelTester tester(session.watches());
        QString error;
        QVERIFY2(session.remote()->addHost(u"other"_s, &error), qPrintable(error));
        session.addWatch(inspect::Watch::semaphore(directory.toStdString(), "jobs", 2), u"other"_s);
        session.start();

        const int bound = static_cast<int>(testsupport::timeBound(30000));
        WatchModel& model = *session.watches();
        const QString key = u"other//semaphore jobs (2 slots) in "_s + directory;
        QTRY_VERIFY_WITH_TIMEOUT(watchIndex(model, key).isValid(), bound);
        QModelIndex watch = watchIndex(model, key);
        QCOMPARE(watch.data(WatchModel::HostRole).toString(), u"other"_s);
        QCOMPARE(model.index(watch.row(), WatchModel::HostColumn).data().toString(), u"other"_s);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(watchIndex(model, key)), 2, bound);
        QTRY_COMPARE_WITH_TIMEOUT(
            model.index(0, 0, watchIndex(model, key)).data(WatchModel::PidRole).toLongLong(),
            remotePid, bound);
        watch = watchIndex(model, key);
        QCOMPARE(
            static_cast<LockHealth>(model.index(0, 0, watch).data(WatchModel::HealthRole).toInt()),
            LockHealth::held);
        QCOMPARE(
            static_cast<LockHealth>(model.index(1, 0, watch).data(WatchModel::HealthRole).toInt()),
            LockHealth::free);
        QVERIFY(model.index(watch.row(), WatchModel::UsageColumn)
                    .data()
                    .toString()
                    .startsWith(u"1 / 2"_s));
        // This computer was not asked to watch it: the host's row is the only one.
        QCOMPARE(model.rowCount(), 1);
        // Saved with its host.
        const std::vector<HostWatch> saved = AppSettings(settingsFile).watches();
        QCOMPARE(saved.size(), std::size_t(1));
        QCOMPARE(saved[0].host, u"other"_s);

        // The slot freed there: the agent's next change shows it free here.
        QFile released(release);
        QVERIFY(released.open(QIODevice::WriteOnly));
        released.close();
        QCOMPARE(holder.waitForExit(static_cast<int>(testsupport::timeBound(20000))), 0);
        QTRY_COMPARE_WITH_TIMEOUT(
            static_cast<LockHealth>(
                model.index(0, 0, watchIndex(model, key)).data(WatchModel::HealthRole).toInt()),
            LockHealth::free, bound);

        // Removing it restarts the agent without it: the row goes, and the host's rows are
        // not marked stale meanwhile (it stays connected).
        HostConnection* other = session.remote()->host(u"other"_s);
        QCOMPARE(other->state(), HostConnection::State::Connected);
        bool wentStale = false;
        connect(other, &HostConnection::stateChanged, this,
                [&wentStale, other] { wentStale = wentStale || other->isStale(); });
        session.removeWatch(key);
        QTRY_VERIFY_WITH_TIMEOUT(!watchIndex(model, key).isValid(), bound);
        QTRY_COMPARE_WITH_TIMEOUT(session.remote()->host(u"other"_s)->state(),
                                  HostConnection::State::Connected, bound);
        QVERIFY(other->watches().empty());
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!wentStale);
    }
};

QTEST_MAIN(TestRemoteWatches)
#include "tst_remote_watches.moc"
