// HostResultMerger: this computer's result passes through untouched; a remote host's rows are
// tagged with it (keys and ids prefixed, so equal ids on two machines never collide), marked
// stale on demand, and the tagged copies are reused while the source rows are (a steady
// refresh copies nothing).

#include "session/hostresultmerger.h"

#include <QTest>

using namespace Qt::StringLiterals;

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
};

QTEST_GUILESS_MAIN(TestRemoteMerger)
#include "tst_remote_merger.moc"
