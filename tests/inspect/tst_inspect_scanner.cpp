// FileLockScanner against real processes (lockmaker): every kind of lock and its holders,
// inherited flocks, stopped holders, processes vanishing mid-scan, deleted files, watches and
// locks_on_path. Waiters and deadlocks: tst_inspect_waiters.

#include <portalocker/boundedsemaphore.hpp>
#include <portalocker/inspect/inspect.hpp>

#include "lockmakerprocess.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

using namespace inspecttest;
using namespace portalocker::inspect;

class TestInspectScanner : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static QString open(const QString& name, const QString& path, const char* mode = "rw") {
        return QStringLiteral("open ") + name + QLatin1Char(' ') + path + QLatin1Char(' ') +
               QLatin1String(mode);
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void flockHolderWithProcessFacts() {
        LockMaker maker;
        QVERIFY(maker.started());
        const QString file = path("flock.lock");
        QVERIFY(maker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(maker.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        // After its reply the maker goes back to reading stdin; under load a scan can catch it
        // running in between, so wait for the sleeping state as well.
        const Snapshot snapshot = scanUntil([&](const Snapshot& s) {
            const ProcessInfo* p = s.process(maker.pid());
            return onlyLockOn(s, file) && p && p->state == ProcessState::sleeping;
        });
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QCOMPARE(lock->kind, LockKind::flock);
        QCOMPARE(lock->mode, LockMode::write);
        QVERIFY(lock->whole_file());
        QCOMPARE(lock->path_source, PathSource::descriptor);
        QVERIFY(!lock->path_deleted);
        QCOMPARE(lock->line_pid, maker.pid());
        QVERIFY(holdsWith(lock, maker.pid(), Holder::Source::descriptor));
        QCOMPARE(lock->holders.front().fds.size(), std::size_t(1));
        struct stat status {};
        QCOMPARE(::stat(file.toLocal8Bit().constData(), &status), 0);
        QCOMPARE(lock->file->inode, std::uint64_t(status.st_ino));
        QVERIFY(lock->problems.empty());

        const ProcessInfo* process = snapshot.process(maker.pid());
        QVERIFY(process);
        QVERIFY(process->alive);
        QCOMPARE(process->command, std::string("lockmaker"));
        QVERIFY(
            QString::fromStdString(process->command_line).contains(QStringLiteral("lockmaker")));
        QCOMPARE(process->state, ProcessState::sleeping); // blocked reading its stdin
        QCOMPARE(process->uid, std::optional<std::uint32_t>(::geteuid()));
        QVERIFY(!process->user.empty());
        QCOMPARE(process->threads, 1);
        QVERIFY(process->start_time);
        const auto age = std::chrono::system_clock::now() - *process->start_time;
        QVERIFY(age > -std::chrono::seconds(2) && age < std::chrono::minutes(5));
    }

    void posixRangeHolder() {
        LockMaker maker;
        const QString file = path("posix.dat");
        QVERIFY(maker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(maker.send(QStringLiteral("posix f r 100 50 nb")), QStringLiteral("LOCKED"));
        QCOMPARE(maker.send(QStringLiteral("posix f w 1000 0 nb")), QStringLiteral("LOCKED"));
        const Snapshot snapshot =
            scanUntil([&](const Snapshot& s) { return locksOn(s, file).size() == 2; });
        auto locks = locksOn(snapshot, file);
        QCOMPARE(locks.size(), std::size_t(2));
        std::sort(locks.begin(), locks.end(), [](auto a, auto b) { return a->start < b->start; });
        QCOMPARE(locks[0]->kind, LockKind::posix);
        QCOMPARE(locks[0]->mode, LockMode::read);
        QCOMPARE(locks[0]->start, std::uint64_t(100));
        QCOMPARE(locks[0]->end, std::optional<std::uint64_t>(149));
        QCOMPARE(locks[1]->start, std::uint64_t(1000));
        QVERIFY(!locks[1]->end);
        for (const FileLock* lock : locks) {
            QVERIFY(holdsWith(lock, maker.pid(), Holder::Source::lock_line));
            QCOMPARE(lock->holders.front().fds.size(), std::size_t(1));
        }
    }

    void ofdHolderFoundThroughFdinfo() {
        LockMaker maker;
        const QString file = path("ofd.dat");
        QVERIFY(maker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(maker.send(QStringLiteral("ofd f w 0 10 nb")), QStringLiteral("LOCKED"));
        const Snapshot snapshot = scanUntil([&](const Snapshot& s) { return onlyLockOn(s, file); });
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QCOMPARE(lock->kind, LockKind::ofd);
        QCOMPARE(lock->line_pid, Pid(-1));
        QCOMPARE(lock->end, std::optional<std::uint64_t>(9));
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{maker.pid()});
        QVERIFY(holdsWith(lock, maker.pid(), Holder::Source::descriptor));
    }

    void leaseAndItsBreaker() {
        const QString file = path("lease.dat");
        {
            QFile create(file);
            QVERIFY(create.open(QIODevice::WriteOnly));
        }
        LockMaker holder;
        QVERIFY(holder.send(open(QStringLiteral("f"), file, "r")).startsWith(QStringLiteral("OK")));
        QCOMPARE(holder.send(QStringLiteral("lease f r")), QStringLiteral("OK"));
        Snapshot snapshot = scanUntil([&](const Snapshot& s) { return onlyLockOn(s, file); });
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QCOMPARE(lock->kind, LockKind::lease);
        QCOMPARE(lock->qualifier, LockQualifier::active);
        QCOMPARE(lock->mode, LockMode::read);
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{holder.pid()});

        // Opening for writing breaks the read lease: the opener blocks as a BREAKER with no
        // inode of its own ("<none>:0", the line lslocks 2.38 aborts on).
        LockMaker breaker;
        breaker.post(open(QStringLiteral("f"), file, "w"));
        snapshot = scanUntil([&](const Snapshot& s) { return waiterWithPid(s, breaker.pid()); });
        const Waiter* waiter = waiterWithPid(snapshot, breaker.pid());
        QVERIFY(waiter);
        QCOMPARE(waiter->kind, LockKind::lease);
        QCOMPARE(waiter->qualifier, LockQualifier::breaker);
        QCOMPARE(waiter->blocked_by, std::vector<Pid>{holder.pid()});
        lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QCOMPARE(lock->qualifier, LockQualifier::breaking);

        QCOMPARE(holder.send(QStringLiteral("lease f u")), QStringLiteral("OK"));
        QVERIFY(breaker.readLine().startsWith(QStringLiteral("OK")));
    }

    void inheritedFlockAfterTheLockerExited() {
        const QString file = path("inherited.lock");
        LockMaker locker;
        QVERIFY(locker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(locker.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        const QString child = locker.send(QStringLiteral("fork 60"));
        QVERIFY(child.startsWith(QStringLiteral("CHILD")));
        const Pid childPid = child.section(QLatin1Char(' '), 1).toLongLong();
        const Pid lockerPid = locker.pid();
        locker.post(QStringLiteral("exit"));
        QCOMPARE(locker.waitForExit(), 0);

        const Snapshot snapshot = scanUntil([&](const Snapshot& s) {
            const FileLock* lock = onlyLockOn(s, file);
            return lock && lock->holder_pids() == std::vector<Pid>{childPid};
        });
        ::kill(static_cast<pid_t>(childPid), SIGKILL);
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QCOMPARE(lock->line_pid, lockerPid); // the dead locker, as the kernel prints it
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{childPid});
        QVERIFY(holdsWith(lock, childPid, Holder::Source::descriptor));
        QVERIFY(lock->problems.empty());
    }

    void inheritedFlockLockerAliveButClosed() {
        // The locker lives on but closed its descriptor: only the child holds.
        const QString file = path("inherited2.lock");
        LockMaker locker;
        QVERIFY(locker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(locker.send(QStringLiteral("flock f sh nb")), QStringLiteral("LOCKED"));
        const Pid childPid =
            locker.send(QStringLiteral("fork 60")).section(QLatin1Char(' '), 1).toLongLong();
        QVERIFY(childPid > 0);
        QCOMPARE(locker.send(QStringLiteral("close f")), QStringLiteral("OK"));
        const Snapshot snapshot = scanUntil([&](const Snapshot& s) { return onlyLockOn(s, file); });
        ::kill(static_cast<pid_t>(childPid), SIGKILL);
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QCOMPARE(lock->line_pid, locker.pid());
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{childPid});
    }

    void stoppedHolderShownAsStopped() {
        const QString file = path("stopped.lock");
        LockMaker maker;
        QVERIFY(maker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(maker.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        maker.signal(SIGSTOP);
        const Snapshot snapshot = scanUntil([&](const Snapshot& s) {
            const ProcessInfo* process = s.process(maker.pid());
            return process && process->state == ProcessState::stopped;
        });
        maker.signal(SIGCONT);
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{maker.pid()});
        QCOMPARE(snapshot.process(maker.pid())->state, ProcessState::stopped);
        QCOMPARE(snapshot.process(maker.pid())->state_letter, 'T');
    }

    void holderVanishesBeforeItsHoldersAreResolved() {
        const QString file = path("vanish1.dat");
        LockMaker maker;
        QVERIFY(maker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(maker.send(QStringLiteral("posix f w 0 0 nb")), QStringLiteral("LOCKED"));
        const Pid pid = maker.pid();
        ScanOptions options;
        options.on_phase = [&](ScanPhase phase) {
            if (phase == ScanPhase::holders)
                maker.kill(); // after /proc/locks and the descriptors were read
        };
        const Snapshot snapshot = FileLockScanner(options).scan();
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock); // still reported, with what is missing
        QCOMPARE(lock->line_pid, pid);
        QVERIFY(lock->holders.empty());
        QVERIFY(!lock->problems.empty());
        QVERIFY(QString::fromStdString(lock->problems.front()).contains(QString::number(pid)));
        QVERIFY(snapshot.complete);
    }

    void holderVanishesBeforeItsFactsAreRead() {
        const QString file = path("vanish2.lock");
        LockMaker maker;
        QVERIFY(maker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(maker.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        const Pid pid = maker.pid();
        ScanOptions options;
        options.on_phase = [&](ScanPhase phase) {
            if (phase == ScanPhase::processes)
                maker.kill();
        };
        const Snapshot snapshot = FileLockScanner(options).scan();
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{pid});
        const ProcessInfo* process = snapshot.process(pid);
        QVERIFY(process);
        QVERIFY(!process->alive);
        QCOMPARE(process->state, ProcessState::gone);
        bool reported = false;
        for (const Problem& problem : snapshot.problems)
            reported = reported || (problem.kind == Problem::Kind::vanished && problem.pid == pid);
        QVERIFY(reported);
    }

    void deletedFileIsMarked() {
        const QString file = path("deleted.lock");
        LockMaker maker;
        QVERIFY(maker.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(maker.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(QFile::remove(file));
        const Snapshot snapshot = scanUntil([&](const Snapshot& s) { return onlyLockOn(s, file); });
        const FileLock* lock = onlyLockOn(snapshot, file);
        QVERIFY(lock);
        QVERIFY(lock->path_deleted);
        QCOMPARE(lock->holder_pids(), std::vector<Pid>{maker.pid()});
    }

    void watchesShowFreeFilesToo() {
        const QString directory = path("semaphore");
        QVERIFY(QDir().mkpath(directory));
        const QString slot0 = directory + QStringLiteral("/jobs.00.lock");
        const QString slot1 = directory + QStringLiteral("/jobs.01.lock");
        LockMaker maker, waiter;
        QVERIFY(maker.send(open(QStringLiteral("f"), slot0)).startsWith(QStringLiteral("OK")));
        QCOMPARE(maker.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(waiter.send(open(QStringLiteral("f"), slot0)).startsWith(QStringLiteral("OK")));
        QVERIFY(waiter.sendBlocking(QStringLiteral("flock f ex")));
        QVERIFY(maker.send(open(QStringLiteral("g"), slot1)).startsWith(QStringLiteral("OK")));

        ScanOptions options;
        options.watches = {
            Watch::semaphore(directory.toStdString(), "jobs", 3),
            Watch::glob(QString(directory + QStringLiteral("/*.lock")).toStdString()),
            Watch::directory(directory.toStdString()),
            Watch::file(path("never-created.lock").toStdString())};
        Snapshot snapshot =
            scanUntil([&](const Snapshot& s) { return waiterWithPid(s, waiter.pid()); }, options);
        SnapshotTracker tracker;
        tracker.update(snapshot);
        QCOMPARE(snapshot.watched_files.size(), std::size_t(3 + 2 + 2 + 1));
        const WatchedFile& held = snapshot.watched_files[0];
        QCOMPARE(held.slot, std::optional<unsigned>(0));
        QCOMPARE(QString::fromStdString(held.path), slot0);
        QCOMPARE(held.state, WatchedFile::State::contended);
        QCOMPARE(held.holders, std::vector<Pid>{maker.pid()});
        QCOMPARE(held.waiters, std::vector<Pid>{waiter.pid()});
        QVERIFY(held.held_since);
        const WatchedFile& free = snapshot.watched_files[1];
        QCOMPARE(free.state, WatchedFile::State::free);
        QVERIFY(free.exists);
        const WatchedFile& missing = snapshot.watched_files[2];
        QCOMPARE(missing.state, WatchedFile::State::free);
        QVERIFY(!missing.exists);
        QCOMPARE(missing.slot, std::optional<unsigned>(2));
        QCOMPARE(snapshot.watched_files[3].state, WatchedFile::State::contended); // glob: 00
        QCOMPARE(snapshot.watched_files[4].state, WatchedFile::State::free);      // glob: 01
        QCOMPARE(snapshot.watched_files[5].watch, std::size_t(2));
        QCOMPARE(snapshot.watched_files[7].state, WatchedFile::State::free);
        QVERIFY(!snapshot.watched_files[7].exists);
        // A watched path names the lock in the operator's words.
        QCOMPARE(snapshot.file_locks[held.locks.front()].path_source, PathSource::watch);
    }

    void semaphoreWatchFindsAnyPatternTheLibraryTakes() {
        // The watch formats slot names with the library's formatter: a pattern beyond
        // "[0][width][d]" (here right-aligned, space-filled) names the same files.
        const QString directory = path("aligned");
        QVERIFY(QDir().mkpath(directory));
        const std::string pattern = "{name}.{number:>3}.lock";
        portalocker::BoundedSemaphoreOptions options;
        options.name = "jobs";
        options.filename_pattern = pattern;
        options.directory = directory.toStdString();
        portalocker::BoundedSemaphore semaphore(2, options);
        QVERIFY(semaphore.try_lock()); // slot 0, held by this process
        QCOMPARE(semaphore.filename(0).filename().string(), std::string("jobs.  0.lock"));

        ScanOptions scan;
        scan.watches = {Watch::semaphore(directory.toStdString(), "jobs", 2, pattern)};
        const Snapshot snapshot = scanUntil(
            [](const Snapshot& s) {
                return !s.watched_files.empty() &&
                       s.watched_files[0].state == WatchedFile::State::held;
            },
            scan);
        QCOMPARE(snapshot.watched_files.size(), std::size_t(2));
        const WatchedFile& held = snapshot.watched_files[0];
        QCOMPARE(held.path, semaphore.filename(0).string());
        QCOMPARE(held.state, WatchedFile::State::held);
        QCOMPARE(held.holders, std::vector<Pid>{::getpid()});
        QCOMPARE(snapshot.watched_files[1].path, semaphore.filename(1).string());
        QCOMPARE(snapshot.watched_files[1].state, WatchedFile::State::free);
    }

    void locksOnOnePath() {
        const QString file = path("who.lock");
        LockMaker holder, waiter;
        QVERIFY(holder.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(holder.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(waiter.send(open(QStringLiteral("f"), file)).startsWith(QStringLiteral("OK")));
        QVERIFY(waiter.sendBlocking(QStringLiteral("flock f sh")));
        scanUntil([&](const Snapshot& s) { return waiterWithPid(s, waiter.pid()); });
        const PathLocks locks = locks_on_path(file.toStdString());
        QVERIFY(locks.held());
        QCOMPARE(locks.file.holders, std::vector<Pid>{holder.pid()});
        QCOMPARE(locks.file.waiters, std::vector<Pid>{waiter.pid()});
        QCOMPARE(locks.locks().size(), std::size_t(1));
        const QString description = QString::fromStdString(describe_holders(locks));
        QVERIFY2(description.startsWith(
                     QStringLiteral("pid %1 (lockmaker, sleeping, user ").arg(holder.pid())),
                 qPrintable(description));

        const PathLocks free = locks_on_path(path("nobody.lock").toStdString());
        QVERIFY(!free.held());
        QVERIFY(!free.file.exists);
        QCOMPARE(describe_holders(free), std::string());
    }
};

QTEST_GUILESS_MAIN(TestInspectScanner)
#include "tst_inspect_scanner.moc"
