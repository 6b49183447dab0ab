// Inspector faults (issue #6): the snapshot completes, nothing crashes and what could not be
// seen is reported, while
//   * thousands of short-lived lockers (lockchurn) come and go under a tight scanning loop,
//   * holders and the scanner itself run as another user (inspectagent, lockctl as nobody),
//   * a Redis lease is force-released and re-acquired in a loop while Redis scans run.
// Every part is bounded in count and time and stops by itself.

#include "testsupport.h"

#include <portalocker/inspect/filelockscanner.hpp>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <set>
#include <thread>

#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace portalocker::inspect;
using namespace std::chrono_literals;

namespace {

constexpr unsigned nobody = 65534;

bool mentions(const std::vector<std::string>& texts, const char* word) {
    return std::any_of(texts.begin(), texts.end(), [&](const std::string& text) {
        return text.find(word) != std::string::npos;
    });
}

std::string joined(const std::vector<std::string>& texts) {
    std::string text;
    for (const std::string& part : texts)
        text += (text.empty() ? "" : " | ") + part;
    return text;
}

bool hasProblem(const Snapshot& snapshot, Problem::Kind kind, Pid pid) {
    return std::any_of(snapshot.problems.begin(), snapshot.problems.end(),
                       [&](const Problem& p) { return p.kind == kind && p.pid == pid; });
}

/// Everything that must hold of any snapshot, whatever vanished meanwhile; "" when it does.
QString inconsistency(const Snapshot& snapshot) {
    const std::size_t count = snapshot.file_locks.size();
    std::set<std::string> ids;
    for (const FileLock& lock : snapshot.file_locks) {
        const QString where = QString::fromStdString(lock.id) + QStringLiteral(": ");
        if (!ids.insert(lock.id).second)
            return where + QStringLiteral("duplicate id");
        // No holder: the record says why and the snapshot lists it (unless the deadline cut
        // the scan short, which the caller rules out separately).
        if (lock.holders.empty() && lock.file && !mentions(lock.problems, "holder"))
            return where + QStringLiteral("no holder and no reason");
        if (lock.holders.empty() && lock.file && lock.line_pid != 0 &&
            !std::any_of(snapshot.problems.begin(), snapshot.problems.end(),
                         [&](const Problem& p) { return p.line == lock.line; }))
            return where + QStringLiteral("no holder, not in snapshot.problems");
        for (const Holder& holder : lock.holders) {
            if (holder.pid <= 0)
                return where + QStringLiteral("holder pid %1").arg(holder.pid);
            if (holder.source == Holder::Source::lock_line_unverified && lock.problems.empty())
                return where + QStringLiteral("unverified holder without a problem");
            const ProcessInfo* process = snapshot.process(holder.pid);
            if (!process)
                return where + QStringLiteral("holder %1 has no process facts").arg(holder.pid);
            if (!process->alive && !hasProblem(snapshot, Problem::Kind::vanished, holder.pid))
                return where + QStringLiteral("holder %1 gone, not reported").arg(holder.pid);
            // A zombie has closed its files: it holds nothing any more, and must say so.
            if (process->state == ProcessState::zombie && process->problem.empty() &&
                lock.problems.empty())
                return where +
                       QStringLiteral("holder %1 is a zombie, not reported").arg(holder.pid);
        }
        for (const Waiter& waiter : lock.waiters) {
            const QString who = where + QStringLiteral("waiter %1: ").arg(waiter.pid);
            if (waiter.depth < 1 || waiter.blocking_locks.empty())
                return who + QStringLiteral("no blocking lock");
            bool orphanReported = true;
            for (std::size_t index : waiter.blocking_locks) {
                if (index >= count)
                    return who + QStringLiteral("blocking lock index out of range");
                const FileLock& blocking = snapshot.file_locks[index];
                orphanReported =
                    orphanReported && blocking.holders.empty() && !blocking.problems.empty();
            }
            if (waiter.blocked_by.empty() && !orphanReported)
                return who + QStringLiteral("no blocker and not reported as orphan");
            if (waiter.pid == 0 && waiter.problems.empty())
                return who + QStringLiteral("unidentified and not reported");
            if (waiter.pid > 0) {
                const ProcessInfo* process = snapshot.process(waiter.pid);
                if (!process)
                    return who + QStringLiteral("no process facts");
                if (!process->alive && !hasProblem(snapshot, Problem::Kind::vanished, waiter.pid))
                    return who + QStringLiteral("gone, not reported");
                if (process->state == ProcessState::zombie && process->problem.empty())
                    return who + QStringLiteral("a zombie, not reported");
            }
        }
    }
    for (const WaitEdge& edge : snapshot.wait_for)
        if (edge.blocking_lock >= count || edge.queued_lock >= count ||
            edge.waiter_index >= snapshot.file_locks[edge.queued_lock].waiters.size())
            return QStringLiteral("wait-for edge out of range");
    return {};
}

struct Agent {
    testsupport::ChildProcess process;
    Pid pid = 0;
    std::uint64_t inode = 0;
    unsigned euid = 0;
};

/// Starts inspectagent holding `path` with `backend` (as `uid` when given).
bool startHolder(Agent& agent, const QString& path, const QString& backend, int uid = -1) {
    QStringList arguments{QStringLiteral("hold"), path, backend};
    if (uid >= 0)
        arguments << QString::number(uid);
    if (!agent.process.start(testsupport::programPath("LOCKSCOPE_INSPECTAGENT"), arguments))
        return false;
    const QStringList words = agent.process.readLine().split(QLatin1Char(' '));
    if (words.size() != 4 || words[0] != QStringLiteral("LOCKED")) {
        qWarning("agent: %s %s", qPrintable(words.join(QLatin1Char(' '))),
                 qPrintable(agent.process.standardError()));
        return false;
    }
    agent.pid = words[1].toLongLong();
    agent.inode = words[2].toULongLong();
    agent.euid = words[3].toUInt();
    return true;
}

/// Runs inspectagent (scan or exec) to its end; its standard output, lines.
QStringList runAgent(const QStringList& arguments, int* exitCode) {
    testsupport::ChildProcess child;
    if (!child.start(testsupport::programPath("LOCKSCOPE_INSPECTAGENT"), arguments))
        return {};
    QStringList lines;
    for (QString line = child.readLine(30000); !line.isNull() && !line.isEmpty();
         line = child.readLine(30000))
        lines << line;
    *exitCode = child.waitForExit(30000);
    if (*exitCode != 0)
        qWarning("agent stderr: %s", qPrintable(child.standardError()));
    return lines;
}

/// `lockctl list --json` run as nobody: the whole listing (empty when it did not run or
/// printed no JSON).
QJsonObject listingAsNobody() {
    int exitCode = -1;
    const QStringList json = runAgent({QStringLiteral("exec"), QString::number(nobody),
                                       testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                                       QStringLiteral("list"), QStringLiteral("--json")},
                                      &exitCode);
    if (exitCode != 0)
        return {};
    return QJsonDocument::fromJson(json.join(QLatin1Char('\n')).toUtf8()).object();
}

/// The lock on `inode` in a `lockctl list --json` listing; empty when it is not there.
QJsonObject lockOnInode(const QJsonObject& listing, std::uint64_t inode) {
    for (const QJsonValue value : listing.value(QStringLiteral("locks")).toArray())
        if (value.toObject().value(QStringLiteral("inode")).toInteger() == qint64(inode))
            return value.toObject();
    return {};
}

} // namespace

/// Case 3, in inspectleasebreak.cpp (QVERIFY and friends report into the running test).
void leaseBreakWhileScanning();

class TestStressInspect : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;    // root's, 0700: nobody cannot even enter it
    QTemporaryDir m_shared; // 1777: everybody creates files, nobody's holder among them

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QVERIFY(m_shared.isValid());
        QCOMPARE(::chmod(QFile::encodeName(m_shared.path()).constData(), 01777), 0);
    }

    // 1. Thousands of short-lived lockers and processes vanishing mid-snapshot.
    void churnUnderTightScanning() {
        const QString directory = m_dir.filePath(QStringLiteral("churn"));
        QVERIFY(QDir().mkpath(directory));
        testsupport::ChildProcess churn;
        // 6 files, 24 children alive at once (queues of waiters form), until the scans below
        // are done, at most 20,000 children and 90 s (scaled; it outlives the scans' cap).
        const qint64 scanCap = testsupport::timeBound(60000);
        QVERIFY(churn.start(testsupport::programPath("LOCKSCOPE_LOCKCHURN"),
                            {directory, QStringLiteral("6"),
                             QString::number(testsupport::timeBound(90000) / 1000),
                             QStringLiteral("20000"), QStringLiteral("24")}));
        QVERIFY(churn.readLine().startsWith(QStringLiteral("STARTED")));

        const std::string prefix = directory.toStdString() + "/churn-";
        ScanOptions options;
        options.timeout = 10s;
        // Every other scan pauses between reading /proc/locks and reading fdinfo, longer
        // than any churn child holds its lock: its pid is then gone before fdinfo is read.
        bool pause = false;
        options.on_phase = [&](ScanPhase phase) {
            if (phase == ScanPhase::holders && pause)
                std::this_thread::sleep_for(6ms);
        };
        FileLockScanner scanner(options);
        int snapshots = 0, withChurn = 0, churnLocks = 0, churnWaiters = 0, vanished = 0,
            unverified = 0, zombies = 0;
        int exitedHolders[2] = {0, 0}; // [paused]: holder gone between /proc/locks and fdinfo
        std::chrono::steady_clock::duration longest{}, total{};
        QString done;
        QElapsedTimer timer;
        timer.start();
        // At least 3 s, 30 snapshots and 2000 children, and until a paused scan has seen a
        // holder vanish (with ASan beside other sanitizer runs, a churn child spends most of
        // its life starting up, and 50 scans in 3 s met its locks only twice). At most 60 s
        // (scaled): an ASan build beside a benchmark holding 40,000 locks takes 1-3 s per
        // snapshot, and at a load average of 5 the churn made fewer than 2000 children in 25 s.
        long spawnedSoFar = 0;
        while (timer.elapsed() < scanCap && (timer.elapsed() < 3000 || snapshots < 30 ||
                                             spawnedSoFar < 2000 || exitedHolders[1] == 0)) {
            if (const QString line = churn.readLine(1); line.startsWith(QStringLiteral("SPAWNED ")))
                spawnedSoFar = line.mid(8).toLong();
            pause = snapshots % 2 == 1;
            const auto started = std::chrono::steady_clock::now();
            const Snapshot snapshot = scanner.scan();
            const auto took = std::chrono::steady_clock::now() - started;
            longest = std::max(longest, took);
            total += took;
            ++snapshots;
            QVERIFY2(snapshot.complete, snapshot.problems.empty()
                                            ? "incomplete"
                                            : snapshot.problems.back().message.c_str());
            for (const Problem& problem : snapshot.problems) {
                QVERIFY2(problem.kind != Problem::Kind::io &&
                             problem.kind != Problem::Kind::parse &&
                             problem.kind != Problem::Kind::deadline,
                         problem.message.c_str());
                vanished += problem.kind == Problem::Kind::vanished;
            }
            const QString wrong = inconsistency(snapshot);
            QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
            bool sawChurn = false;
            for (const FileLock& lock : snapshot.file_locks) {
                if (lock.path.rfind(prefix, 0) != 0)
                    continue;
                sawChurn = true;
                ++churnLocks;
                churnWaiters += int(lock.waiters.size());
                exitedHolders[pause] += mentions(lock.problems, "has exited");
                for (const Holder& holder : lock.holders) {
                    unverified += holder.source == Holder::Source::lock_line_unverified;
                    const ProcessInfo* process = snapshot.process(holder.pid);
                    zombies += process && process->state == ProcessState::zombie;
                }
            }
            withChurn += sawChurn;
        }
        const qint64 scanned = timer.elapsed();
        churn.process().closeWriteChannel(); // stop
        done = churn.waitFor(QStringLiteral("DONE"), 10000);
        QCOMPARE(churn.waitForExit(10000), 0);
        const long spawned =
            done.section(QStringLiteral("spawned="), 1).section(QLatin1Char(' '), 0, 0).toLong();
        qDebug("churn: %s", qPrintable(done));
        qDebug("snapshots %d (%d saw churn locks) in %lld ms: churn locks %d, waiters %d; "
               "holder gone between /proc/locks and fdinfo: %d locks in plain scans, %d in "
               "scans paused 6 ms there; vanished problems %d; unverified holders %d (zombie "
               "%d); per snapshot mean %.1f ms, longest %.1f ms",
               snapshots, withChurn, scanned, churnLocks, churnWaiters, exitedHolders[0],
               exitedHolders[1], vanished, unverified, zombies,
               std::chrono::duration<double, std::milli>(total).count() / snapshots,
               std::chrono::duration<double, std::milli>(longest).count());
        QVERIFY2(spawned >= 2000, qPrintable(done));
        QVERIFY(snapshots >= 10);
        QVERIFY2(withChurn > 0 && churnWaiters > 0,
                 "the scans never met the churn: proved nothing");
        QVERIFY2(exitedHolders[1] > 0, "no holder vanished between /proc/locks and fdinfo");
        QVERIFY2(longest < options.timeout + 1s, "a snapshot overran its deadline");
    }

    void zombieHolderIsReported_data() { holderOfAnotherUser_data(); }
    void zombieHolderIsReported() {
        // The churn's rarest case, made certain: the holder is found through its descriptors,
        // then exits before its facts are read but is not reaped yet. It still exists in
        // /proc, so only its process record can say that it holds nothing any more.
        QFETCH(QString, backend);
        const QByteArray file =
            QFile::encodeName(m_dir.filePath(QStringLiteral("zombie-") + backend));
        const bool useFlock = backend == QLatin1String("flock");
        const int command = backend == QLatin1String("posix") ? F_SETLK : F_OFD_SETLK;
        int ready[2];
        QCOMPARE(::pipe(ready), 0);
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) { // system calls only from here on
            const int fd = ::open(file.constData(), O_RDWR | O_CREAT, 0600);
            struct flock request {};
            request.l_type = F_WRLCK;
            const bool locked = useFlock ? ::flock(fd, LOCK_EX | LOCK_NB) == 0
                                         : ::fcntl(fd, command, &request) == 0;
            (void)!::write(ready[1], locked ? "1" : "0", 1);
            ::pause();
            ::_exit(0);
        }
        ::close(ready[1]);
        char answer = 0;
        QCOMPARE(::read(ready[0], &answer, 1), ssize_t(1));
        ::close(ready[0]);
        struct stat status {};
        QCOMPARE(::stat(file.constData(), &status), 0);
        ScanOptions options;
        options.on_phase = [&](ScanPhase phase) {
            if (phase != ScanPhase::processes)
                return;
            ::kill(child, SIGKILL);
            siginfo_t info{};
            ::waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT); // a zombie, not reaped
        };
        const Snapshot snapshot = FileLockScanner(options).scan();
        ::kill(child, SIGKILL); // in case the scan never reached its processes phase
        ::waitpid(child, nullptr, 0);
        QCOMPARE(answer, '1');
        const FileLock* lock = nullptr;
        for (const FileLock& candidate : snapshot.file_locks)
            if (candidate.file && candidate.file->inode == status.st_ino)
                lock = &candidate;
        QVERIFY(lock);
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{child});
        const ProcessInfo* process = snapshot.process(child);
        QVERIFY(process);
        QCOMPARE(process->state, ProcessState::zombie);
        QVERIFY2(!process->problem.empty(), "a zombie holder, and nothing says so");
        QVERIFY(QString::fromStdString(process->problem).contains(QStringLiteral("no locks")));
        QVERIFY(inconsistency(snapshot).isEmpty());
    }

    // 2. Processes of another user, and the scanner itself as another user.
    void holderOfAnotherUser_data() {
        QTest::addColumn<QString>("backend");
        for (const char* backend : {"flock", "posix", "ofd"})
            QTest::newRow(backend) << QString::fromLatin1(backend);
    }
    void holderOfAnotherUser() {
        // Root sees everything of nobody's holder; nobody sees all of its own holder too
        // (so what nobody cannot see of root's holder below is down to permission alone).
        QFETCH(QString, backend);
        QVERIFY2(::geteuid() == 0, "needs root to run processes as nobody (CI runs as root)");
        const QString file =
            m_shared.path() + QStringLiteral("/nobody-") + backend + QStringLiteral(".lock");
        Agent holder;
        QVERIFY(startHolder(holder, file, backend, int(nobody)));
        QCOMPARE(holder.euid, nobody);

        const Snapshot snapshot = FileLockScanner().scan();
        QVERIFY(snapshot.complete);
        const FileLock* lock = nullptr;
        for (const FileLock& candidate : snapshot.file_locks)
            if (candidate.file && candidate.file->inode == holder.inode)
                lock = &candidate;
        QVERIFY(lock);
        QCOMPARE(QString::fromStdString(lock->path), file);
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{holder.pid});
        QVERIFY2(lock->problems.empty(), joined(lock->problems).c_str());
        const ProcessInfo* process = snapshot.process(holder.pid);
        QVERIFY(process);
        QCOMPARE(process->uid, std::optional<std::uint32_t>(nobody));
        QCOMPARE(process->user, std::string("nobody"));

        int exitCode = -1;
        const QStringList lines = runAgent(
            {QStringLiteral("scan"), QString::number(nobody), QString::number(holder.inode)},
            &exitCode);
        QCOMPARE(exitCode, 0);
        QVERIFY2(lines.value(0).startsWith(QStringLiteral("SNAPSHOT euid=65534 complete=1")),
                 qPrintable(lines.join(QLatin1Char('\n'))));
        const QStringList found = lines.filter(QStringLiteral("LOCK "));
        QCOMPARE(found.size(), 1);
        const QStringList fields = found.front().split(QLatin1Char('\t'));
        QCOMPARE(fields.value(3),
                 QStringLiteral("%1:%2:nobody")
                     .arg(holder.pid)
                     .arg(backend == QStringLiteral("posix") ? QStringLiteral("lock_line")
                                                             : QStringLiteral("descriptor")));
        QCOMPARE(fields.value(4), file);
    }

    void scannerAsAnotherUser_data() { holderOfAnotherUser_data(); }
    void scannerAsAnotherUser() {
        // nobody scans while root holds a lock in a directory nobody cannot enter: the lock
        // is listed, and what nobody may not read (root's descriptors) is named as a
        // permission problem.
        QFETCH(QString, backend);
        QVERIFY2(::geteuid() == 0, "needs root to run processes as nobody (CI runs as root)");
        const QString file =
            m_dir.filePath(QStringLiteral("root-") + backend + QStringLiteral(".lock"));
        Agent holder;
        QVERIFY(startHolder(holder, file, backend));
        QCOMPARE(holder.euid, 0u);

        int exitCode = -1;
        const QStringList lines = runAgent(
            {QStringLiteral("scan"), QString::number(nobody), QString::number(holder.inode)},
            &exitCode);
        const QString all = lines.join(QLatin1Char('\n'));
        QCOMPARE(exitCode, 0);
        QVERIFY2(lines.value(0).startsWith(QStringLiteral("SNAPSHOT euid=65534 complete=1")),
                 qPrintable(all));
        QVERIFY2(!lines.filter(QStringLiteral("PROBLEM permission\t")).isEmpty(), qPrintable(all));
        const QStringList found = lines.filter(QStringLiteral("LOCK %1\t").arg(holder.inode));
        QVERIFY2(found.size() == 1, qPrintable(all)); // listed, not silently dropped
        const QStringList fields = found.front().split(QLatin1Char('\t'));
        QCOMPARE(fields.value(1), backend);
        QCOMPARE(fields.value(4), QStringLiteral("-")); // path unknown...
        const QString problems = fields.value(5);
        QVERIFY2(problems.contains(QStringLiteral("permission denied")), qPrintable(problems));
        if (backend == QStringLiteral("posix")) // the printed pid of a POSIX lock is the holder
            QCOMPARE(fields.value(3), QStringLiteral("%1:lock_line:root").arg(holder.pid));
        else if (backend == QStringLiteral("flock")) // printed pid, unconfirmed, and says so
            QCOMPARE(fields.value(3),
                     QStringLiteral("%1:lock_line_unverified:root").arg(holder.pid));
        else // OFD prints -1: nobody can name the holder
            QCOMPARE(fields.value(3), QStringLiteral("-"));
        qDebug("%s held by root, scanned as nobody: %s", qPrintable(backend),
               qPrintable(found.front()));

        // The same through lockctl list --json run as nobody.
        const QJsonObject listing = listingAsNobody();
        QVERIFY2(!listing.isEmpty(), "lockctl list --json as nobody failed");
        QCOMPARE(listing.value(QStringLiteral("complete")).toBool(), true);
        const QJsonObject entry = lockOnInode(listing, holder.inode);
        QVERIFY2(!entry.isEmpty(), "lockctl list as nobody dropped root's lock");
        QVERIFY(entry.value(QStringLiteral("path")).isNull());
        const QJsonArray lockProblems = entry.value(QStringLiteral("problems")).toArray();
        QVERIFY(!lockProblems.isEmpty());
        bool permission = false;
        for (const QJsonValue value : listing.value(QStringLiteral("problems")).toArray())
            permission = permission || value.toObject().value(QStringLiteral("kind")).toString() ==
                                           QStringLiteral("permission");
        QVERIFY(permission);
    }

    void pathFoundByInodeAsAnotherUser_data() { holderOfAnotherUser_data(); }
    void pathFoundByInodeAsAnotherUser() {
        // Root holds a lock in a directory everybody may list (a daemon's lock under
        // /run/lock): nobody cannot read root's descriptors, yet finds the path by device +
        // inode and says how it was found. (scannerAsAnotherUser above is the same holder in a
        // directory nobody may not enter: there the path stays unknown.)
        QFETCH(QString, backend);
        QVERIFY2(::geteuid() == 0, "needs root to run processes as nobody (CI runs as root)");
        const QString directory = QStringLiteral("/run/lock/lockscope-test-%1-%2")
                                      .arg(QCoreApplication::applicationPid())
                                      .arg(backend);
        QVERIFY(QDir().mkpath(directory));
        QCOMPARE(::chmod(QFile::encodeName(directory).constData(), 0755), 0);
        const auto removeDirectory =
            qScopeGuard([&directory] { QDir(directory).removeRecursively(); });
        const QString file = directory + QStringLiteral("/daemon.lock");
        Agent holder;
        QVERIFY(startHolder(holder, file, backend));
        QCOMPARE(holder.euid, 0u);

        int exitCode = -1;
        const QStringList lines = runAgent(
            {QStringLiteral("scan"), QString::number(nobody), QString::number(holder.inode)},
            &exitCode);
        const QString all = lines.join(QLatin1Char('\n'));
        QCOMPARE(exitCode, 0);
        QVERIFY2(!lines.filter(QStringLiteral("PROBLEM permission\t")).isEmpty(), qPrintable(all));
        const QStringList found = lines.filter(QStringLiteral("LOCK %1\t").arg(holder.inode));
        QVERIFY2(found.size() == 1, qPrintable(all));
        QCOMPARE(found.front().split(QLatin1Char('\t')).value(4), file);

        const QJsonObject entry = lockOnInode(listingAsNobody(), holder.inode);
        QVERIFY2(!entry.isEmpty(), "lockctl list as nobody dropped root's lock");
        QCOMPARE(entry.value(QStringLiteral("path")).toString(), file);
        QCOMPARE(entry.value(QStringLiteral("path_source")).toString(), QStringLiteral("search"));

        const QStringList text =
            runAgent({QStringLiteral("exec"), QString::number(nobody),
                      testsupport::programPath("LOCKSCOPE_LOCKCTL"), QStringLiteral("list")},
                     &exitCode);
        QCOMPARE(exitCode, 0);
        QVERIFY2(!text.filter(file + QStringLiteral(" (found by inode)")).isEmpty(),
                 qPrintable(text.join(QLatin1Char('\n'))));
    }

    // 3. Redis scans while a lease is force-released and re-acquired in a loop.
    void redisScansDuringLeaseBreak();
};

void TestStressInspect::redisScansDuringLeaseBreak() {
    leaseBreakWhileScanning(); // inspectleasebreak.cpp
}

QTEST_GUILESS_MAIN(TestStressInspect)
#include "tst_stress_inspect.moc"
