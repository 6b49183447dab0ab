// The /proc/locks and fdinfo parsers from captured text: the captured sample (tests/support/data,
// format in docs/PROTOCOLS.md section 1), every field variant, waiter depths, malformed lines
// and random garbage.

#include <portalocker/inspect/inspect.hpp>

#include "pathsearch.hpp"
#include "procfs.hpp"

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <random>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <string>

using namespace portalocker::inspect;

Q_DECLARE_METATYPE(portalocker::inspect::LockKind)
Q_DECLARE_METATYPE(portalocker::inspect::LockQualifier)
Q_DECLARE_METATYPE(portalocker::inspect::LockMode)

namespace {

/// /proc/locks as captured on Debian 12, every kind of line (tests/support/data).
std::string procLocksSample() {
    return testsupport::dataFile("proclocks-sample.txt").toStdString();
}

LockRecord parseLine(const char* line, bool* ok = nullptr) {
    LockRecord record;
    std::string reason;
    const bool parsed = parse_proc_locks_line(line, record, reason);
    if (ok)
        *ok = parsed;
    else if (!parsed)
        qWarning("%s: %s", line, reason.c_str());
    return record;
}

} // namespace

class TestInspectParser : public QObject {
    Q_OBJECT

  private slots:
    void protocolsSample() {
        const std::string sample = procLocksSample();
        const ProcLocksParse parsed = parse_proc_locks(sample);
        QVERIFY(parsed.problems.empty());
        QCOMPARE(parsed.records.size(), std::size_t(9));
        const auto& r = parsed.records;
        QCOMPARE(r[0].kind, LockKind::flock);
        QCOMPARE(r[0].mode, LockMode::read);
        QCOMPARE(r[0].pid, Pid(4039));
        QCOMPARE(r[0].file->device.major, 0xfeu);
        QCOMPARE(r[0].file->device.minor, 0u);
        QCOMPARE(r[0].file->inode, std::uint64_t(10953018));
        QVERIFY(!r[0].end);
        QCOMPARE(r[2].depth, 1);
        QCOMPARE(r[2].parent, std::size_t(1)); // under the second reader, as printed
        QCOMPARE(r[3].kind, LockKind::ofd);
        QCOMPARE(r[3].pid, Pid(-1));
        QCOMPARE(r[4].parent, std::size_t(3));
        QCOMPARE(r[5].kind, LockKind::posix);
        QCOMPARE(r[5].start, std::uint64_t(0));
        QCOMPARE(*r[5].end, std::uint64_t(9));
        QCOMPARE(r[7].kind, LockKind::lease);
        QCOMPARE(r[7].qualifier, LockQualifier::breaking);
        QCOMPARE(r[7].mode, LockMode::unlock);
        // The lease breaker line that makes lslocks 2.38 abort.
        QCOMPARE(r[8].qualifier, LockQualifier::breaker);
        QVERIFY(!r[8].file);
        QCOMPARE(r[8].parent, std::size_t(7));
        QCOMPARE(r[8].line, std::size_t(9));
    }

    void fieldVariants_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<LockKind>("kind");
        QTest::addColumn<LockQualifier>("qualifier");
        QTest::addColumn<LockMode>("mode");
        QTest::addColumn<qint64>("pid");
        QTest::addColumn<int>("depth");
        QTest::addColumn<bool>("hasFile");
        QTest::addColumn<qulonglong>("start");
        QTest::addColumn<qlonglong>("end"); // -1 = EOF
        QTest::newRow("flock") << QByteArray("1: FLOCK  ADVISORY  WRITE 12 08:01:99 0 EOF")
                               << LockKind::flock << LockQualifier::advisory << LockMode::write
                               << qint64(12) << 0 << true << 0ull << -1ll;
        QTest::newRow("posix range") << QByteArray("7: POSIX  ADVISORY  READ 5 fe:00:1 100 199")
                                     << LockKind::posix << LockQualifier::advisory << LockMode::read
                                     << qint64(5) << 0 << true << 100ull << 199ll;
        QTest::newRow("posix from offset to EOF")
            << QByteArray("7: POSIX  ADVISORY  WRITE 5 fe:00:1 4096 EOF") << LockKind::posix
            << LockQualifier::advisory << LockMode::write << qint64(5) << 0 << true << 4096ull
            << -1ll;
        QTest::newRow("mandatory")
            << QByteArray("2: POSIX  MANDATORY WRITE 5 fe:00:1 0 0") << LockKind::posix
            << LockQualifier::mandatory << LockMode::write << qint64(5) << 0 << true << 0ull << 0ll;
        QTest::newRow("noinode") << QByteArray("2: POSIX  *NOINODE* WRITE 5 <none>:0 0 EOF")
                                 << LockKind::posix << LockQualifier::no_inode << LockMode::write
                                 << qint64(5) << 0 << false << 0ull << -1ll;
        QTest::newRow("ofd") << QByteArray("3: OFDLCK ADVISORY  READ -1 00:2d:77 10 20")
                             << LockKind::ofd << LockQualifier::advisory << LockMode::read
                             << qint64(-1) << 0 << true << 10ull << 20ll;
        QTest::newRow("lease active")
            << QByteArray("4: LEASE  ACTIVE    READ 88 fe:00:5 0 EOF") << LockKind::lease
            << LockQualifier::active << LockMode::read << qint64(88) << 0 << true << 0ull << -1ll;
        QTest::newRow("deleg") << QByteArray("4: DELEG  ACTIVE    READ 0 fe:00:5 0 EOF")
                               << LockKind::delegation << LockQualifier::active << LockMode::read
                               << qint64(0) << 0 << true << 0ull << -1ll;
        QTest::newRow("access") << QByteArray("5: ACCESS ADVISORY  READ 9 fe:00:5 0 EOF")
                                << LockKind::access << LockQualifier::advisory << LockMode::read
                                << qint64(9) << 0 << true << 0ull << -1ll;
        QTest::newRow("unknown") << QByteArray("5: UNKNOWN UNKNOWN  WRITE 9 fe:00:5 0 EOF")
                                 << LockKind::unknown << LockQualifier::unknown << LockMode::write
                                 << qint64(9) << 0 << true << 0ull << -1ll;
        QTest::newRow("msnfs rw") << QByteArray("6: FLOCK  MSNFS     RW    9 fe:00:5 0 EOF")
                                  << LockKind::flock << LockQualifier::msnfs << LockMode::read_write
                                  << qint64(9) << 0 << true << 0ull << -1ll;
        QTest::newRow("msnfs none")
            << QByteArray("6: FLOCK  MSNFS     NONE  9 fe:00:5 0 EOF") << LockKind::flock
            << LockQualifier::msnfs << LockMode::none << qint64(9) << 0 << true << 0ull << -1ll;
        QTest::newRow("remote pid 0")
            << QByteArray("6: POSIX  ADVISORY  WRITE 0 00:30:5 0 EOF") << LockKind::posix
            << LockQualifier::advisory << LockMode::write << qint64(0) << 0 << true << 0ull << -1ll;
        QTest::newRow("depth 3") << QByteArray("1:   -> FLOCK  ADVISORY  READ 11 fe:00:5 0 EOF")
                                 << LockKind::flock << LockQualifier::advisory << LockMode::read
                                 << qint64(11) << 3 << true << 0ull << -1ll;
        QTest::newRow("wide device")
            << QByteArray("1: FLOCK  ADVISORY  READ 1 103:1f:18446744073709551615 0 EOF")
            << LockKind::flock << LockQualifier::advisory << LockMode::read << qint64(1) << 0
            << true << 0ull << -1ll;
        QTest::newRow("huge offsets")
            << QByteArray(
                   "1: POSIX  ADVISORY  WRITE 1 fe:00:2 9223372036854775806 9223372036854775807")
            << LockKind::posix << LockQualifier::advisory << LockMode::write << qint64(1) << 0
            << true << 9223372036854775806ull << 9223372036854775807ll;
        QTest::newRow("crlf and tabs")
            << QByteArray("9:\tFLOCK\tADVISORY\tWRITE\t3\tfe:00:2\t0\tEOF\r") << LockKind::flock
            << LockQualifier::advisory << LockMode::write << qint64(3) << 0 << true << 0ull << -1ll;
    }

    void fieldVariants() {
        QFETCH(QByteArray, line);
        QFETCH(LockKind, kind);
        QFETCH(LockQualifier, qualifier);
        QFETCH(LockMode, mode);
        QFETCH(qint64, pid);
        QFETCH(int, depth);
        QFETCH(bool, hasFile);
        QFETCH(qulonglong, start);
        QFETCH(qlonglong, end);
        bool ok = false;
        const LockRecord record = parseLine(line.constData(), &ok);
        QVERIFY2(ok, line.constData());
        QCOMPARE(record.kind, kind);
        QCOMPARE(record.qualifier, qualifier);
        QCOMPARE(record.mode, mode);
        QCOMPARE(record.pid, Pid(pid));
        QCOMPARE(record.depth, depth);
        QCOMPARE(record.file.has_value(), hasFile);
        QCOMPARE(record.start, std::uint64_t(start));
        QCOMPARE(record.end.has_value(), end >= 0);
        if (end >= 0)
            QCOMPARE(*record.end, std::uint64_t(end));
    }

    void deviceNumbersAreHex() {
        const LockRecord record = parseLine("1: FLOCK  ADVISORY  READ 1 103:1f:42 0 EOF");
        QCOMPARE(record.file->device.major, 0x103u);
        QCOMPARE(record.file->device.minor, 0x1fu);
        QCOMPARE(to_string(record.file->device), std::string("259:31"));
        QCOMPARE(to_string(*record.file), std::string("259:31:42"));
    }

    void malformedLines_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::newRow("empty id") << QByteArray(": FLOCK ADVISORY READ 1 fe:00:1 0 EOF");
        QTest::newRow("no colon") << QByteArray("1 FLOCK ADVISORY READ 1 fe:00:1 0 EOF");
        QTest::newRow("bad id") << QByteArray("x1: FLOCK ADVISORY READ 1 fe:00:1 0 EOF");
        QTest::newRow("unknown kind") << QByteArray("1: FLOCKS ADVISORY READ 1 fe:00:1 0 EOF");
        QTest::newRow("lower-case kind") << QByteArray("1: flock ADVISORY READ 1 fe:00:1 0 EOF");
        QTest::newRow("unknown qualifier") << QByteArray("1: FLOCK SOMETIMES READ 1 fe:00:1 0 EOF");
        QTest::newRow("unknown mode") << QByteArray("1: FLOCK ADVISORY READS 1 fe:00:1 0 EOF");
        QTest::newRow("bad pid") << QByteArray("1: FLOCK ADVISORY READ p1 fe:00:1 0 EOF");
        QTest::newRow("device not hex") << QByteArray("1: FLOCK ADVISORY READ 1 zz:00:1 0 EOF");
        QTest::newRow("inode hex") << QByteArray("1: FLOCK ADVISORY READ 1 fe:00:1f 0 EOF");
        QTest::newRow("device two parts") << QByteArray("1: FLOCK ADVISORY READ 1 fe:1 0 EOF");
        QTest::newRow("none bad") << QByteArray("1: FLOCK ADVISORY READ 1 <none>:1 0 EOF");
        QTest::newRow("start negative") << QByteArray("1: POSIX ADVISORY READ 1 fe:00:1 -1 EOF");
        QTest::newRow("end before start") << QByteArray("1: POSIX ADVISORY READ 1 fe:00:1 9 3");
        QTest::newRow("end word") << QByteArray("1: POSIX ADVISORY READ 1 fe:00:1 0 END");
        QTest::newRow("too few") << QByteArray("1: POSIX ADVISORY READ 1 fe:00:1 0");
        QTest::newRow("too many") << QByteArray("1: POSIX ADVISORY READ 1 fe:00:1 0 EOF x");
        QTest::newRow("arrow without blank")
            << QByteArray("1:-> POSIX ADVISORY READ 1 fe:00:1 0 EOF");
        QTest::newRow("offset overflow")
            << QByteArray("1: POSIX ADVISORY READ 1 fe:00:1 0 99999999999999999999999");
        QTest::newRow("binary") << QByteArray(
            "1: \x01\x02\xff FLOCK ADVISORY READ 1 fe:00:1 0 EOF");
    }

    void malformedLines() {
        QFETCH(QByteArray, line);
        bool ok = true;
        parseLine(line.constData(), &ok);
        QVERIFY(!ok);
        // In a file, the bad line is a problem and the good lines around it survive.
        const std::string text = "1: FLOCK  ADVISORY  WRITE 12 08:01:99 0 EOF\n" +
                                 line.toStdString() + "\n2: POSIX  ADVISORY  READ 5 fe:00:1 0 9\n";
        const ProcLocksParse parsed = parse_proc_locks(text);
        QCOMPARE(parsed.records.size(), std::size_t(2));
        QCOMPARE(parsed.problems.size(), std::size_t(1));
        QCOMPARE(parsed.problems[0].line, std::size_t(2));
        QVERIFY(!parsed.problems[0].reason.empty());
    }

    void waiterNesting() {
        // A queue as the kernel prints it: each waiter behind the one before (one more blank).
        const ProcLocksParse parsed =
            parse_proc_locks("1: FLOCK  ADVISORY  WRITE 100 fe:00:5 0 EOF\n"
                             "1: -> FLOCK  ADVISORY  WRITE 101 fe:00:5 0 EOF\n"
                             "1:  -> FLOCK  ADVISORY  WRITE 102 fe:00:5 0 EOF\n"
                             "1:   -> FLOCK  ADVISORY  READ 103 fe:00:5 0 EOF\n"
                             "1: -> FLOCK  ADVISORY  READ 104 fe:00:5 0 EOF\n"
                             "2: POSIX  ADVISORY  WRITE 7 fe:00:6 0 0\n");
        QVERIFY(parsed.problems.empty());
        const auto& r = parsed.records;
        QCOMPARE(r.size(), std::size_t(6));
        QCOMPARE(r[1].parent, std::size_t(0));
        QCOMPARE(r[2].parent, std::size_t(1));
        QCOMPARE(r[3].parent, std::size_t(2));
        QCOMPARE(r[3].depth, 3);
        QCOMPARE(r[4].parent, std::size_t(0));
        QCOMPARE(r[5].parent, LockRecord::npos);
    }

    void orphanWaiters() {
        const ProcLocksParse parsed = parse_proc_locks(
            "1: -> FLOCK  ADVISORY  WRITE 101 fe:00:5 0 EOF\n" // no lock above
            "2: FLOCK  ADVISORY  WRITE 100 fe:00:5 0 EOF\n"
            "2:   -> FLOCK  ADVISORY  WRITE 102 fe:00:5 0 EOF\n" // depth 3 after depth 0
            "3: -> FLOCK  ADVISORY  WRITE 103 fe:00:5 0 EOF\n"); // another lock's id
        QCOMPARE(parsed.problems.size(), std::size_t(3));
        QCOMPARE(parsed.records.size(), std::size_t(4));
        for (std::size_t i : {0u, 2u, 3u})
            QCOMPARE(parsed.records[i].parent, LockRecord::npos);
    }

    // The kernel answers /proc/locks a page per read and restarts each read at a record
    // index: a lock taken meanwhile shifts the list, and the next read repeats records.
    void repeatsAcrossReadsAreDropped() {
        detail::ProcLocksJoiner joiner;
        joiner.add("1: FLOCK  ADVISORY  WRITE 100 fe:00:5 0 EOF\n"
                   "2: POSIX  ADVISORY  WRITE 200 fe:00:6 0 EOF\n"
                   "2: -> POSIX  ADVISORY  WRITE 201 fe:00:6 0 EOF\n");
        // A lock was added in front: record 2 (with its waiter) comes again as 3.
        joiner.add("3: POSIX  ADVISORY  WRITE 200 fe:00:6 0 EOF\n"
                   "3: -> POSIX  ADVISORY  WRITE 201 fe:00:6 0 EOF\n"
                   "4: OFDLCK ADVISORY  READ  -1 fe:00:7 0 EOF\n"
                   "5: OFDLCK ADVISORY  READ  -1 fe:00:8 0 EO");
        joiner.add("F\n"); // a line cut by a short read is joined, not taken for a record
        const ProcLocksParse parsed = parse_proc_locks(joiner.text());
        QCOMPARE(joiner.repeated(), std::size_t(1));
        QCOMPARE(parsed.records.size(), std::size_t(5)); // 3 locks, 1 waiter, the last lock
        QVERIFY(parsed.problems.empty());
        QVERIFY(parsed.records.back().file);
        QCOMPARE(parsed.records.back().file->inode, std::uint64_t(8));

        // The same record inside one read, or later than the start of a read, is kept.
        detail::ProcLocksJoiner same;
        same.add("1: FLOCK  ADVISORY  READ  100 fe:00:5 0 EOF\n"
                 "2: FLOCK  ADVISORY  READ  100 fe:00:5 0 EOF\n");
        same.add("3: POSIX  ADVISORY  WRITE 9 fe:00:6 0 EOF\n"
                 "4: FLOCK  ADVISORY  READ  100 fe:00:5 0 EOF\n");
        QCOMPARE(same.repeated(), std::size_t(0));
        QCOMPARE(parse_proc_locks(same.text()).records.size(), std::size_t(4));
    }

    void mountinfoLines() {
        const auto mounts =
            detail::parse_mountinfo("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
                                    "30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw\n"
                                    "31 27 0:40 / /mnt/my\\040disk\\134x rw - ext4 /dev/sdb rw\n"
                                    "garbage line\n"
                                    "32 27 7:x / /bad rw - ext4 /dev/sdc rw\n");
        QCOMPARE(mounts.size(), std::size_t(3));
        QCOMPARE(mounts[0].path, std::string("/"));
        QCOMPARE(mounts[0].device.major, 254u);
        QCOMPARE(mounts[1].device.minor, 27u);
        QCOMPARE(mounts[2].path, std::string("/mnt/my disk\\x"));
    }

    // A lock whose holder cannot be read is named by its device + inode in the usual places:
    // found below a place, not beyond the depth, followed after a rename, stopped by the
    // budget, and not searched for again at once when it was not found.
    void pathSearchByInode() {
        QTemporaryDir place;
        QVERIFY(place.isValid());
        QVERIFY(QDir(place.path()).mkpath(QStringLiteral("a/b")));
        const QString file = place.filePath(QStringLiteral("a/b/daemon.lock"));
        QFile created(file);
        QVERIFY(created.open(QIODevice::WriteOnly));
        created.close();
        struct stat status {};
        QCOMPARE(::stat(QFile::encodeName(file).constData(), &status), 0);
        const FileId id{{::major(status.st_dev), ::minor(status.st_dev)},
                        static_cast<std::uint64_t>(status.st_ino)};

        detail::PathSearch::Settings settings;
        settings.places = {place.path().toStdString()};
        settings.stop_at = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        settings.max_depth = 1; // a/b/daemon.lock is two levels down
        settings.retry = std::chrono::seconds(0);
        detail::PathSearch search;
        QVERIFY(search.find({id}, settings).found.empty());

        settings.max_depth = 4;
        auto outcome = search.find({id}, settings);
        QCOMPARE(outcome.found.size(), std::size_t(1));
        QCOMPARE(outcome.found.at(id), file.toStdString());

        const QString moved = place.filePath(QStringLiteral("a/moved.lock"));
        QVERIFY(QFile::rename(file, moved));
        outcome = search.find({id}, settings);
        QCOMPARE(outcome.found.at(id), moved.toStdString());

        // Not found: not searched again within `retry`, so a scan every second does not walk
        // the places every second.
        QVERIFY(QFile::remove(moved));
        settings.retry = std::chrono::seconds(3600);
        outcome = search.find({id}, settings);
        QVERIFY(outcome.found.empty());
        QVERIFY(outcome.entries > 0);
        outcome = search.find({id}, settings);
        QCOMPARE(outcome.entries, std::size_t(0));

        // The budget: a place with many entries and a budget already spent.
        for (int i = 0; i < 600; ++i) {
            QFile many(place.filePath(QStringLiteral("f%1").arg(i)));
            QVERIFY(many.open(QIODevice::WriteOnly));
        }
        detail::PathSearch fresh;
        settings.stop_at = std::chrono::steady_clock::now();
        outcome = fresh.find({id}, settings);
        QVERIFY(outcome.budget_exhausted);
        QVERIFY(outcome.entries < 600);
    }

    void emptyAndBlankInput() {
        QVERIFY(parse_proc_locks("").records.empty());
        const ProcLocksParse parsed = parse_proc_locks("\n   \n\t\n");
        QVERIFY(parsed.records.empty());
        QVERIFY(parsed.problems.empty());
        // No trailing newline.
        QCOMPARE(parse_proc_locks("1: FLOCK  ADVISORY  WRITE 1 fe:00:5 0 EOF").records.size(),
                 std::size_t(1));
    }

    void garbageNeverCrashes() {
        std::mt19937 random(42);
        const std::string alphabet = "0123456789abcdef:-> \n\tEOFLCKPOSIXRDWTEnoe<>*";
        const std::string base = procLocksSample();
        for (int round = 0; round < 2000; ++round) {
            std::string text = base;
            const int edits = 1 + static_cast<int>(random() % 20);
            for (int edit = 0; edit < edits; ++edit) {
                const std::size_t position = random() % (text.size() + 1);
                switch (random() % 3) {
                case 0:
                    text.insert(position, 1, alphabet[random() % alphabet.size()]);
                    break;
                case 1:
                    if (position < text.size())
                        text.erase(position, 1);
                    break;
                default:
                    if (position < text.size())
                        text[position] = static_cast<char>(random());
                    break;
                }
            }
            const ProcLocksParse parsed = parse_proc_locks(text);
            for (std::size_t i = 0; i < parsed.records.size(); ++i)
                QVERIFY(parsed.records[i].parent == LockRecord::npos ||
                        parsed.records[i].parent < i);
        }
    }

    void fdinfoLockLines() {
        const ProcLocksParse parsed =
            parse_fdinfo_locks("pos:\t0\nflags:\t0100002\nmnt_id:\t27\nino:\t10953018\n"
                               "lock:\t1: FLOCK  ADVISORY  WRITE 4039 fe:00:10953018 0 EOF\n"
                               "lock:\t2: OFDLCK ADVISORY  READ -1 fe:00:10953018 5 9\n"
                               "lock:\tgarbage\n");
        QCOMPARE(parsed.records.size(), std::size_t(2));
        QCOMPARE(parsed.records[0].kind, LockKind::flock);
        QCOMPARE(parsed.records[0].pid, Pid(4039));
        QCOMPARE(parsed.records[1].kind, LockKind::ofd);
        QCOMPARE(*parsed.records[1].end, std::uint64_t(9));
        QCOMPARE(parsed.problems.size(), std::size_t(1));
        QCOMPARE(parsed.problems[0].line, std::size_t(7));
    }

    void namesRoundTrip() {
        for (auto kind : {LockKind::flock, LockKind::posix, LockKind::ofd, LockKind::lease,
                          LockKind::delegation, LockKind::access, LockKind::unknown})
            QCOMPARE(parse_lock_kind(proc_name(kind)), std::optional(kind));
        for (auto mode : {LockMode::read, LockMode::write, LockMode::unlock, LockMode::read_write,
                          LockMode::none})
            QCOMPARE(parse_lock_mode(proc_name(mode)), std::optional(mode));
        QCOMPARE(proc_name(LockKind::ofd), std::string_view("OFDLCK"));
        QCOMPARE(to_string(LockKind::ofd), std::string_view("ofd"));
        QCOMPARE(to_string(ProcessState::disk_wait), std::string_view("disk-wait"));
        QCOMPARE(process_state_from_letter('T'), ProcessState::stopped);
        QCOMPARE(process_state_from_letter('Z'), ProcessState::zombie);
    }
};

QTEST_GUILESS_MAIN(TestInspectParser)
#include "tst_inspect_parser.moc"
