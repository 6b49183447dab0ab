// HostResultMerger: this computer's result passes through untouched; a remote host's rows are
// tagged with it (keys and ids prefixed, so equal ids on two machines never collide), marked
// stale on demand, and the tagged copies are reused while the source rows are (a steady
// refresh copies nothing). merge() combines a burst of updates once and versions each host's
// rows, so that an unchanged host costs the table nothing. HostMergeWorker runs it off the GUI
// thread, coalesced over a period, and drops a result a removal overtook (by generation).
// FileLockModel::setHostRows merges one host's rows and leaves the others alone.
// PollResultBuilder makes a remote host's rows tagged already (PollSettings::host).

#include "../ui/syntheticsnapshot.h"
#include "models/filelockmodel.h"
#include "session/hostmergeworker.h"
#include "session/hostresultmerger.h"
#include "session/textformat.h"
#include "testsupport.h"
#include "workers/pollresultbuilder.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

PollResult resultWith(const QStringList& ids) {
    PollResult result;
    for (const QString& id : ids) {
        auto row = QSharedPointer<FileLockRow>::create();
        row->id = id;
        row->path = u"/tmp/"_s + id;
        FileLockEntry entry;
        entry.key = id;
        entry.lock = row;
        result.fileLockIndex.insert(entry.key, result.fileLocks.size());
        result.fileLocks.append(entry);
        ++result.counts.locks;
    }
    EventRow event;
    event.source = u"file"_s;
    result.events.append(event);
    return result;
}

using Update = HostResultMerger::HostUpdate;

/// As PollResultBuilder makes a remote host's rows (PollSettings::host): already tagged.
PollResult taggedAtSource(const QString& host, const QStringList& ids) {
    PollResult result = resultWith({});
    result.events.clear();
    for (const QString& id : ids) {
        auto row = QSharedPointer<FileLockRow>::create();
        row->id = HostResultMerger::qualified(host, id);
        row->host = host;
        FileLockEntry entry{row->id, row, -1};
        result.fileLockIndex.insert(entry.key, result.fileLocks.size());
        result.fileLocks.append(entry);
    }
    return result;
}

PollResult withEvent(PollResult result, const QString& detail) {
    EventRow event;
    event.source = u"file"_s;
    event.detail = detail;
    result.events = {event};
    return result;
}

const HostResultMerger::HostLocks* hostIn(const HostResultMerger::Merged& merged,
                                          const QString& host) {
    for (const HostResultMerger::HostLocks& locks : merged.hosts)
        if (locks.host == host)
            return &locks;
    return nullptr;
}

QStringList details(const QList<EventRow>& events) {
    QStringList result;
    for (const EventRow& event : events)
        result << event.detail;
    return result;
}

} // namespace

class TestRemoteMerger : public QObject {
    Q_OBJECT

  private slots:
    void thisComputerAlonePassesThrough() {
        HostResultMerger merger;
        const PollResult local = resultWith({u"a"_s});
        const PollResult merged = merger.update(QString(), local);
        QCOMPARE(merged.fileLocks.size(), 1);
        QCOMPARE(merged.fileLocks.front().lock.get(), local.fileLocks.front().lock.get());
        QCOMPARE(merged.fileLocks.front().key, u"a"_s);
        QVERIFY(merged.fileLocks.front().lock->host.isEmpty());
    }

    void remoteRowsAreTaggedAndKeptApart() {
        HostResultMerger merger;
        merger.update(QString(), resultWith({u"a"_s}));
        const PollResult merged = merger.update(u"db-02"_s, resultWith({u"a"_s, u"b"_s}));
        QCOMPARE(merged.fileLocks.size(), 3);
        QCOMPARE(merged.counts.locks, 3);
        QCOMPARE(merged.fileLockIndex.size(), 3); // the two "a" locks do not collide
        const FileLockEntry& remote = merged.fileLocks.at(
            merged.fileLockIndex.value(HostResultMerger::qualified(u"db-02"_s, u"a"_s)));
        QCOMPARE(remote.lock->host, u"db-02"_s);
        QCOMPARE(remote.lock->id, u"db-02//a"_s);
        QVERIFY(!remote.lock->hostStale);
        QCOMPARE(merged.fileLocks.at(merged.fileLockIndex.value(u"a"_s)).lock->host, QString());
        // Only the newest result's events, tagged with their host.
        QCOMPARE(merged.events.size(), 1);
        QCOMPARE(merged.events.front().source, u"file @ db-02"_s);
        QCOMPARE(merged.events.front().host, u"db-02"_s);
    }

    void steadyRefreshReusesTaggedRows() {
        HostResultMerger merger;
        const PollResult source = resultWith({u"a"_s});
        const PollResult first = merger.update(u"h"_s, source);
        const PollResult second = merger.update(u"h"_s, source); // same source rows
        QCOMPARE(second.fileLocks.front().lock.get(), first.fileLocks.front().lock.get());
        const PollResult changed = merger.update(u"h"_s, resultWith({u"a"_s}));
        QVERIFY(changed.fileLocks.front().lock.get() != first.fileLocks.front().lock.get());
    }

    void staleRowsAreMarkedAndFreshAgain() {
        HostResultMerger merger;
        merger.update(u"h"_s, resultWith({u"a"_s}));
        PollResult merged = merger.setStale(u"h"_s, true);
        QVERIFY(merger.isStale(u"h"_s));
        QVERIFY(merged.fileLocks.front().lock->hostStale);
        QVERIFY(merged.events.isEmpty());
        merged = merger.setStale(u"h"_s, false);
        QVERIFY(!merged.fileLocks.front().lock->hostStale);
        merged = merger.remove(u"h"_s);
        QVERIFY(merged.fileLocks.isEmpty());
        QVERIFY(!merger.hasHost(u"h"_s));
    }

    void mergeCombinesABurstOnceAndKeepsEveryEvent() {
        HostResultMerger merger;
        const HostResultMerger::Merged merged = merger.merge({
            {QString(), Update::Kind::result, withEvent(resultWith({u"a"_s}), u"local"_s)},
            {u"h1"_s, Update::Kind::result, withEvent(resultWith({u"a"_s}), u"h1 first"_s)},
            {u"h2"_s, Update::Kind::result, withEvent(resultWith({u"b"_s}), u"h2"_s)},
            {u"h1"_s, Update::Kind::result, withEvent(resultWith({u"c"_s}), u"h1 second"_s)},
            {u"h2"_s, Update::Kind::stale, {}},
        });
        QCOMPARE(merged.hosts.size(), 3);
        QCOMPARE(merged.hosts.front().host, QString()); // this computer first
        QCOMPARE(merged.combined.counts.locks, 3);
        // The newest rows of h1, tagged; h2 stale.
        const HostResultMerger::HostLocks* h1 = hostIn(merged, u"h1"_s);
        QVERIFY(h1);
        QCOMPARE(h1->fileLocks.size(), 1);
        QCOMPARE(h1->fileLocks.front().key, u"h1//c"_s);
        QCOMPARE(h1->fileLockIndex.value(u"h1//c"_s, -1), 0);
        QVERIFY(hostIn(merged, u"h2"_s)->fileLocks.front().lock->hostStale);
        // Every update's events, in order, each tagged with its host.
        QCOMPARE(details(merged.combined.events),
                 (QStringList{u"local"_s, u"h1 first"_s, u"h2"_s, u"h1 second"_s}));
        QCOMPARE(merged.combined.events.at(1).source, u"file @ h1"_s);
        // Only the alarming lock rows travel in the combination (none here).
        QVERIFY(merged.combined.fileLocks.isEmpty());
        const HostResultMerger::Merged removed =
            merger.merge({{u"h1"_s, Update::Kind::removed, {}}});
        QVERIFY(!hostIn(removed, u"h1"_s));
        QCOMPARE(removed.combined.counts.locks, 2);
    }

    void combinationCarriesTheAlarmingLocks() {
        HostResultMerger merger;
        PollResult result = taggedAtSource(u"h"_s, {u"calm"_s, u"stuck"_s});
        auto stuck = QSharedPointer<FileLockRow>::create(*result.fileLocks[1].lock);
        stuck->health = LockHealth::stuck;
        result.fileLocks[1].lock = stuck;
        const HostResultMerger::Merged merged =
            merger.merge({{u"h"_s, Update::Kind::result, result}});
        QCOMPARE(merged.combined.fileLocks.size(), 1);
        QCOMPARE(merged.combined.fileLocks.front().lock->id, u"h//stuck"_s);
    }

    void unchangedHostCostsNothing() {
        HostResultMerger merger;
        const PollResult copied = resultWith({u"a"_s, u"b"_s});
        const PollResult atSource = taggedAtSource(u"t"_s, {u"a"_s, u"b"_s});
        const HostResultMerger::Merged first = merger.merge(
            {{u"c"_s, Update::Kind::result, copied}, {u"t"_s, Update::Kind::result, atSource}});
        // The same source rows again (PollResultBuilder reuses unchanged rows): same version,
        // the very same list (not a copy of it), the same rows.
        PollResult again = copied;
        again.fileLocks.detach(); // a new list of the same rows, as a new poll makes
        const HostResultMerger::Merged second = merger.merge(
            {{u"c"_s, Update::Kind::result, again}, {u"t"_s, Update::Kind::result, atSource}});
        for (const QString& host : {u"c"_s, u"t"_s}) {
            const HostResultMerger::HostLocks* before = hostIn(first, host);
            const HostResultMerger::HostLocks* after = hostIn(second, host);
            QCOMPARE(after->version, before->version);
            QCOMPARE(after->fileLocks.constData(), before->fileLocks.constData());
            QCOMPARE(after->fileLocks.front().lock.get(), before->fileLocks.front().lock.get());
        }
        // Rows tagged at the source are taken as they are: no copy at all.
        QCOMPARE(hostIn(second, u"t"_s)->fileLocks.front().lock.get(),
                 atSource.fileLocks.front().lock.get());
        QCOMPARE(hostIn(second, u"t"_s)->fileLocks.front().key, u"t//a"_s);
        // One row replaced: a new version; the other row stays the same tagged row.
        PollResult changed = copied;
        auto replaced = QSharedPointer<FileLockRow>::create(*copied.fileLocks[1].lock);
        replaced->state = u"stopped"_s;
        changed.fileLocks[1].lock = replaced;
        const HostResultMerger::Merged third =
            merger.merge({{u"c"_s, Update::Kind::result, changed}});
        QVERIFY(hostIn(third, u"c"_s)->version > hostIn(second, u"c"_s)->version);
        QCOMPARE(hostIn(third, u"t"_s)->version, hostIn(second, u"t"_s)->version);
        QCOMPARE(hostIn(third, u"c"_s)->fileLocks.front().lock.get(),
                 hostIn(second, u"c"_s)->fileLocks.front().lock.get());
        QCOMPARE(hostIn(third, u"c"_s)->fileLocks.at(1).lock->state, u"stopped"_s);
        // A stale host's rows taken at the source are copies marked stale, ids unchanged.
        const HostResultMerger::Merged stale = merger.merge({{u"t"_s, Update::Kind::stale, {}}});
        const FileLockEntry& staleRow = hostIn(stale, u"t"_s)->fileLocks.front();
        QVERIFY(staleRow.lock->hostStale);
        QCOMPARE(staleRow.lock->id, u"t//a"_s);
        QCOMPARE(staleRow.key, u"t//a"_s);
    }

    void builderTagsARemoteHostsRows() {
        inspect::Snapshot snapshot = uitest::emptySnapshot();
        const std::size_t index = uitest::addLock(snapshot, "/run/lock/app.lock", 4242);
        uitest::addWaiter(snapshot, index, 4343);
        const auto build = [&snapshot](const QString& host, const PollResult* previous) {
            PollSettings settings;
            settings.host = host;
            PollResultBuilder builder(snapshot, settings,
                                      TextFormat::msecsSinceEpoch(snapshot.taken_at));
            return builder.build({}, previous);
        };
        const PollResult local = build(QString(), nullptr);
        const QString id = TextFormat::fromStd(snapshot.file_locks[0].id);
        const QString waiterKey =
            u"W "_s + TextFormat::fromStd(snapshot.file_locks[0].waiters[0].id);
        QCOMPARE(local.fileLocks.size(), 2);
        QCOMPARE(local.fileLocks[0].lock->id, id); // this computer's: as before
        QVERIFY(local.fileLocks[0].lock->host.isEmpty());
        QCOMPARE(local.fileLocks[1].key, waiterKey);

        const PollResult remote = build(u"db-02"_s, nullptr);
        const FileLockRow& row = *remote.fileLocks[0].lock;
        QCOMPARE(row.host, u"db-02"_s);
        QCOMPARE(row.id, HostResultMerger::qualified(u"db-02"_s, id));
        QCOMPARE(remote.fileLocks[0].key, row.id);
        QCOMPARE(remote.fileLocks[1].key, HostResultMerger::qualified(u"db-02"_s, waiterKey));
        QCOMPARE(remote.fileLockIndex.value(remote.fileLocks[1].key, -1), 1);
        // Rebuilt unchanged, the rows are reused; the merger takes them without a copy, with
        // the ids and keys the merger gives a copied row.
        const PollResult again = build(u"db-02"_s, &remote);
        QCOMPARE(again.fileLocks[0].lock.get(), remote.fileLocks[0].lock.get());
        HostResultMerger merger;
        const HostResultMerger::Merged merged =
            merger.merge({{u"db-02"_s, Update::Kind::result, again}});
        QCOMPARE(hostIn(merged, u"db-02"_s)->fileLocks[0].lock.get(), &row);
        HostResultMerger copying;
        const HostResultMerger::Merged copied =
            copying.merge({{u"db-02"_s, Update::Kind::result, local}});
        for (int i = 0; i < 2; ++i)
            QCOMPARE(hostIn(copied, u"db-02"_s)->fileLocks[i].key,
                     hostIn(merged, u"db-02"_s)->fileLocks[i].key);
        QCOMPARE(hostIn(copied, u"db-02"_s)->fileLocks[0].lock->id, row.id);
    }

    void workerCoalescesUpdatesWithinAPeriod() {
        HostMergeWorker worker;
        worker.setPeriod(300);
        QList<HostResultMerger::Merged> delivered;
        connect(&worker, &HostMergeWorker::merged, this,
                [&delivered](const HostResultMerger::Merged& merged) { delivered << merged; });
        // The first after a quiet time goes at once; the four after it wait and go together.
        for (int h = 0; h < 5; ++h)
            worker.submit({u"h%1"_s.arg(h), Update::Kind::result,
                           withEvent(resultWith({u"a"_s}), u"from h%1"_s.arg(h))});
        // A newer result of h4 replaces its pending one but keeps its events.
        worker.submit(
            {u"h4"_s, Update::Kind::result, withEvent(resultWith({u"b"_s}), u"from h4 again"_s)});
        QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 2, testsupport::timeBound(10000));
        QVERIFY(!worker.isBusy());
        QCOMPARE(worker.mergesRun(), 2);
        QCOMPARE(delivered[0].hosts.size(), 1);
        QCOMPARE(delivered[1].hosts.size(), 5);
        QCOMPARE(details(delivered[1].combined.events),
                 (QStringList{u"from h1"_s, u"from h2"_s, u"from h3"_s, u"from h4"_s,
                              u"from h4 again"_s}));
        QCOMPARE(hostIn(delivered[1], u"h4"_s)->fileLocks.front().key, u"h4//b"_s);
        QCOMPARE(worker.mergesDropped(), 0);
    }

    void workerDropsAMergeARemovalOvertook() {
        HostMergeWorker worker;
        worker.setPeriod(60000); // nothing goes by the period: only a removal is urgent
        QList<HostResultMerger::Merged> delivered;
        connect(&worker, &HostMergeWorker::merged, this,
                [&delivered](const HostResultMerger::Merged& merged) { delivered << merged; });
        worker.submit({u"gone"_s, Update::Kind::result,
                       withEvent(resultWith({u"a"_s}), u"from gone"_s)}); // merging now
        worker.submit(
            {u"kept"_s, Update::Kind::result, withEvent(resultWith({u"a"_s}), u"from kept"_s)});
        worker.submit({u"gone"_s, Update::Kind::removed, {}});
        QVERIFY(!worker.hasHost(u"gone"_s));
        QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 1, testsupport::timeBound(10000));
        QTRY_VERIFY_WITH_TIMEOUT(!worker.isBusy(), testsupport::timeBound(10000));
        // The merge that still had "gone" was dropped; what came shows only "kept" and carries
        // the dropped merge's events.
        QCOMPARE(worker.mergesDropped(), 1);
        QCOMPARE(worker.mergesRun(), 2);
        QCOMPARE(delivered.size(), 1);
        QCOMPARE(delivered[0].hosts.size(), 1);
        QCOMPARE(delivered[0].hosts.front().host, u"kept"_s);
        QCOMPARE(details(delivered[0].combined.events),
                 (QStringList{u"from gone"_s, u"from kept"_s}));
    }

    void workerMergesThisComputersResultWithoutWaiting() {
        HostMergeWorker worker;
        worker.setPeriod(60000);
        QList<HostResultMerger::Merged> delivered;
        connect(&worker, &HostMergeWorker::merged, this,
                [&delivered](const HostResultMerger::Merged& merged) { delivered << merged; });
        worker.submit({u"h"_s, Update::Kind::result, resultWith({u"a"_s})}); // at once
        QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 1, testsupport::timeBound(10000));
        worker.submit({u"h"_s, Update::Kind::result, resultWith({u"b"_s})});    // waits...
        worker.submit({QString(), Update::Kind::result, resultWith({u"c"_s})}); // ...not this
        QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 2, testsupport::timeBound(10000));
        QCOMPARE(delivered[1].hosts.size(), 2);
        QCOMPARE(hostIn(delivered[1], u"h"_s)->fileLocks.front().key, u"h//b"_s);
        QCOMPARE(hostIn(delivered[1], QString())->fileLocks.front().key, u"c"_s);
    }

    void workerMergesThisComputerAloneAtOnce() {
        HostMergeWorker worker;
        QSignalSpy merged(&worker, &HostMergeWorker::merged);
        const PollResult local = resultWith({u"a"_s});
        worker.submit({QString(), Update::Kind::result, local});
        QCOMPARE(merged.size(), 1); // before submit() returned: no thread hop, no wait
        const auto result = merged.front().front().value<HostResultMerger::Merged>();
        QCOMPARE(result.combined.fileLocks.front().lock.get(), local.fileLocks.front().lock.get());
    }

    void tableMergesOneHostAndLeavesTheOthers() {
        FileLockModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        HostResultMerger merger;
        const HostResultMerger::Merged merged =
            merger.merge({{QString(), Update::Kind::result, resultWith({u"a"_s, u"b"_s})},
                          {u"h"_s, Update::Kind::result, resultWith({u"a"_s, u"c"_s})}});
        // This computer's rows land at once (a slice before returning, as setRows()); the next
        // host's from the next event-loop turn on.
        model.setHostRows(QString(), merged.hosts[0].fileLocks, merged.hosts[0].fileLockIndex);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(merged.hosts[1].host, u"h"_s);
        model.setHostRows(u"h"_s, merged.hosts[1].fileLocks, merged.hosts[1].fileLockIndex,
                          FileLockModel::MergeStart::nextTurn);
        QCOMPARE(model.rowCount(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 4, testsupport::timeBound(5000));
        QTRY_VERIFY_WITH_TIMEOUT(!model.isMerging(), testsupport::timeBound(5000));
        const QPersistentModelIndex localB = model.indexOfLock(u"b"_s);
        QVERIFY(localB.isValid());
        // h drops c and takes d: this computer's rows stay as they are.
        const HostResultMerger::Merged next =
            merger.merge({{u"h"_s, Update::Kind::result, resultWith({u"a"_s, u"d"_s})}});
        model.setHostRows(u"h"_s, hostIn(next, u"h"_s)->fileLocks,
                          hostIn(next, u"h"_s)->fileLockIndex);
        QTRY_VERIFY_WITH_TIMEOUT(model.indexOfLock(u"h//d"_s).isValid(),
                                 testsupport::timeBound(5000));
        QTRY_VERIFY_WITH_TIMEOUT(!model.isMerging(), testsupport::timeBound(5000));
        QVERIFY(!model.indexOfLock(u"h//c"_s).isValid());
        QCOMPARE(model.rowCount(), 4);
        QVERIFY(localB.isValid());
        QCOMPARE(model.lockAt(localB)->id, u"b"_s);
        // This computer's refresh leaves h's rows alone too.
        const PollResult local = resultWith({u"b"_s, u"e"_s});
        model.setHostRows(QString(), local.fileLocks, local.fileLockIndex);
        QTRY_VERIFY_WITH_TIMEOUT(!model.isMerging(), testsupport::timeBound(5000));
        QCOMPARE(model.rowCount(), 4);
        QVERIFY(model.indexOfLock(u"e"_s).isValid());
        QVERIFY(!model.indexOfLock(u"a"_s).isValid());
        QVERIFY(model.indexOfLock(u"h//a"_s).isValid());
        QVERIFY(model.indexOfLock(u"h//d"_s).isValid());
        // No rows: the host is gone from the table.
        model.setHostRows(u"h"_s, {}, {});
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, testsupport::timeBound(5000));
        QVERIFY(model.indexOfLock(u"b"_s).isValid());
        // setRows() merges every host's rows at once: h's come back, this computer's go.
        const HostResultMerger::HostLocks* h = hostIn(next, u"h"_s);
        model.setRows(h->fileLocks, h->fileLockIndex);
        QTRY_VERIFY_WITH_TIMEOUT(!model.isMerging(), testsupport::timeBound(5000));
        QCOMPARE(model.rowCount(), 2);
        QVERIFY(model.indexOfLock(u"h//a"_s).isValid());
        QVERIFY(!model.indexOfLock(u"b"_s).isValid());
    }
};

QTEST_GUILESS_MAIN(TestRemoteMerger)
#include "tst_remote_merger.moc"
