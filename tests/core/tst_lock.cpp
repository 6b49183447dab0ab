// Lock: options and defaults, TimedLockable behaviour, bad input, each backend, and other
// processes (lockhelper) holding, waiting and dying.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QElapsedTimer>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace std::chrono_literals;
using portalocker::Backend;
using portalocker::Lock;
using portalocker::LockFlags;

Q_DECLARE_METATYPE(portalocker::Backend)

namespace {

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<cannot open>");
}

int threadCount() {
    int count = 0;
    if (DIR* tasks = ::opendir("/proc/self/task")) {
        while (dirent* entry = ::readdir(tasks))
            count += entry->d_name[0] != '.';
        ::closedir(tasks);
    }
    return count;
}

int childCount() {
    // Children of ours that are still around (running or zombie), from /proc.
    int count = 0;
    const QString self = QString::number(::getpid());
    if (DIR* processes = ::opendir("/proc")) {
        while (dirent* entry = ::readdir(processes)) {
            QFile stat(QStringLiteral("/proc/") + QString::fromLatin1(entry->d_name) +
                       QStringLiteral("/stat"));
            if (!stat.open(QIODevice::ReadOnly))
                continue;
            const QByteArray text = stat.readAll();
            const qsizetype close = text.lastIndexOf(')');
            const QList<QByteArray> fields = text.mid(close + 2).split(' ');
            if (fields.size() > 1 && QString::fromLatin1(fields[1]) == self)
                ++count;
        }
        ::closedir(processes);
    }
    return count;
}

} // namespace

class TestLock : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static std::filesystem::path fs(const QString& path) { return path.toStdString(); }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void cleanupTestCase() {
        if (!m_readOnlyMount.isEmpty())
            ::umount(qPrintable(m_readOnlyMount));
    }

    void defaultsMatchPython() {
        portalocker::LockOptions options;
        QCOMPARE(options.mode, std::string("a"));
        QCOMPARE(options.timeout, std::chrono::nanoseconds(5s));
        QCOMPARE(options.check_interval, std::chrono::nanoseconds(250ms));
        QCOMPARE(options.fail_when_locked, false);
        QVERIFY(options.flags == (LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING));
        QVERIFY(options.backend == Backend::flock);
    }

    void backends_data() {
        QTest::addColumn<Backend>("backend");
        QTest::newRow("flock") << Backend::flock;
        QTest::newRow("posix") << Backend::posix;
        QTest::newRow("ofd") << Backend::ofd;
    }

    void exclusiveExcludesOtherProcess_data() { backends_data(); }
    void exclusiveExcludesOtherProcess() {
        QFETCH(Backend, backend);
        const QString file = path("exclusive.lock");
        Lock lock(fs(file), {.backend = backend});
        QVERIFY(lock.try_lock());
        QVERIFY(lock.owns_lock());

        testsupport::ChildProcess other;
        QVERIFY(other.startHelper({QStringLiteral("hold"), file, QStringLiteral("--backend"),
                                   QString::fromLatin1(portalocker::to_string(backend).data()),
                                   QStringLiteral("--timeout"), QStringLiteral("0")}));
        QCOMPARE(other.readLine(), QStringLiteral("TIMEOUT"));
        QCOMPARE(other.waitForExit(), 1);

        lock.unlock();
        QVERIFY(!lock.owns_lock());
        testsupport::ChildProcess again;
        QVERIFY(again.startHelper({QStringLiteral("hold"), file, QStringLiteral("--backend"),
                                   QString::fromLatin1(portalocker::to_string(backend).data()),
                                   QStringLiteral("--timeout"), QStringLiteral("0")}));
        QVERIFY(again.readLine().startsWith(QStringLiteral("LOCKED")));
    }

    void sharedAllowsSharedButNotExclusive_data() { backends_data(); }
    void sharedAllowsSharedButNotExclusive() {
        QFETCH(Backend, backend);
        const QString file = path("shared.lock");
        const QString backendName = QString::fromLatin1(portalocker::to_string(backend).data());
        Lock lock(fs(file), {.mode = "a+", .backend = backend});
        QVERIFY(lock.try_lock_shared());

        testsupport::ChildProcess reader;
        QVERIFY(reader.startHelper({QStringLiteral("hold"), file, QStringLiteral("--shared"),
                                    QStringLiteral("--mode"), QStringLiteral("a+"),
                                    QStringLiteral("--backend"), backendName,
                                    QStringLiteral("--timeout"), QStringLiteral("0")}));
        QVERIFY(reader.readLine().startsWith(QStringLiteral("LOCKED")));

        testsupport::ChildProcess writer;
        QVERIFY(
            writer.startHelper({QStringLiteral("hold"), file, QStringLiteral("--backend"),
                                backendName, QStringLiteral("--timeout"), QStringLiteral("0.2")}));
        QCOMPARE(writer.readLine(), QStringLiteral("TIMEOUT"));
    }

    // The shared forms have error_code twins like the exclusive ones: contention is false
    // with an empty code, a real failure a code, never an exception.
    void sharedFormsHaveErrorCodeTwins() {
        const QString file = path("sharedtwins.lock");
        Lock reader(fs(file), {.mode = "a+"});
        std::error_code ec;
        reader.lock_shared(ec);
        QVERIFY2(!ec, ec.message().c_str());
        QVERIFY(reader.owns_lock());
        Lock other(fs(file), {.mode = "a+"});
        QVERIFY(other.try_lock_shared(ec));
        other.unlock_shared(ec);
        QVERIFY(!ec);
        QVERIFY(other.try_lock_shared_for(10ms, ec));
        other.unlock(ec);
        QVERIFY(other.try_lock_shared_until(std::chrono::system_clock::now() + 10ms, ec));
        other.unlock(ec);
        Lock writer(fs(file));
        QVERIFY(!writer.try_lock_for(20ms, ec));
        QVERIFY(!ec);
        reader.unlock_shared(ec);
        QVERIFY(!ec);

        Lock missing(fs(m_dir.filePath(QStringLiteral("no/such/dir/x.lock"))));
        QVERIFY(!missing.try_lock_shared(ec));
        QCOMPARE(ec.value(), ENOENT);
        missing.lock_shared(ec);
        QCOMPARE(ec.value(), ENOENT);
        QVERIFY(!missing.try_lock_shared_for(10ms, ec));
        QCOMPARE(ec.value(), ENOENT);
    }

    void waiterWakesOnRelease_data() { backends_data(); }
    void waiterWakesOnRelease() {
        QFETCH(Backend, backend);
        const QString file = path("handoff.lock");
        testsupport::ChildProcess holder;
        QVERIFY(holder.startHelper({QStringLiteral("hold"), file, QStringLiteral("--backend"),
                                    QString::fromLatin1(portalocker::to_string(backend).data())}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));

        const int threadsBefore = threadCount();
        Lock lock(fs(file), {.backend = backend});
        std::thread releaser([&] {
            std::this_thread::sleep_for(200ms);
            holder.writeLine(QStringLiteral("release"));
        });
        QElapsedTimer timer;
        timer.start();
        const bool acquired = lock.try_lock_for(20s);
        const qint64 waited = timer.elapsed();
        releaser.join();
        QVERIFY(acquired);
        // Woken by the release (~200 ms), not by a timeout or a coarse poll; generous bound.
        QVERIFY2(waited >= 150 && waited < 5000, qPrintable(QString::number(waited)));
        QCOMPARE(threadCount(), threadsBefore);
        QCOMPARE(holder.readLine(), QStringLiteral("RELEASED"));
    }

    void timeoutExpiresOnTime_data() { backends_data(); }
    void timeoutExpiresOnTime() {
        QFETCH(Backend, backend);
        const QString file = path("timeout.lock");
        Lock holder(fs(file), {.backend = backend});
        QVERIFY(holder.try_lock());
        if (backend == Backend::posix) {
            // fcntl locks belong to the process: test against another process instead.
            holder.unlock();
            testsupport::ChildProcess other;
            QVERIFY(other.startHelper({QStringLiteral("hold"), file, QStringLiteral("--backend"),
                                       QStringLiteral("posix")}));
            QVERIFY(other.readLine().startsWith(QStringLiteral("LOCKED")));
            checkTimeout(file, backend);
            return;
        }
        checkTimeout(file, backend);
    }

    void noHelperLeftBehind() {
        const QString file = path("leftovers.lock");
        Lock holder(fs(file));
        QVERIFY(holder.try_lock());
        const int threads = threadCount();
        const int children = childCount();
        for (int i = 0; i < 20; ++i) {
            Lock waiter(fs(file));
            QVERIFY(!waiter.try_lock_for(2ms));
        }
        QCOMPARE(threadCount(), threads);
        QCOMPARE(childCount(), children);
    }

    // A waiter returns as soon as its helper reports the grant, without waiting for the
    // helper's exit; the helper is reaped at the latest when the lock is released, so no
    // process outlives the hold it served.
    void grantingHelperReapedByRelease_data() { backends_data(); }
    void grantingHelperReapedByRelease() {
        QFETCH(Backend, backend);
        const QString file = path("handoff-reap.lock");
        const QString backendName = QString::fromLatin1(portalocker::to_string(backend).data());
        const int children = childCount();
        const int threads = threadCount();
        for (int round = 0; round < 5; ++round) {
            testsupport::ChildProcess holder;
            QVERIFY(holder.startHelper(
                {QStringLiteral("hold"), file, QStringLiteral("--backend"), backendName}));
            QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));
            Lock waiter(fs(file), {.backend = backend});
            std::thread releaser([&] {
                std::this_thread::sleep_for(20ms);
                holder.writeLine(QStringLiteral("release"));
            });
            const bool granted = waiter.try_lock_for(10s);
            releaser.join();
            QVERIFY(granted);
            QCOMPARE(holder.readLine(), QStringLiteral("RELEASED"));
            holder.writeLine(QStringLiteral("exit"));
            QCOMPARE(holder.waitForExit(), 0);
            waiter.unlock();
            QCOMPARE(childCount(), children);
            QCOMPARE(threadCount(), threads);
        }
    }

    // Opened for writing, the descriptor keeps the O_NONBLOCK of its open until fd() or
    // file() hands it out: on a FIFO it must then be blocking, as Python's.
    void descriptorHandedOutBlocking() {
        const QString fifo = path("handed.fifo");
        QVERIFY(::mkfifo(qPrintable(fifo), 0600) == 0);
        const int reader = ::open(qPrintable(fifo), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        QVERIFY(reader >= 0);
        Lock lock(fs(fifo), {.mode = "a"});
        QVERIFY(lock.try_lock());
        QCOMPARE(::fcntl(lock.fd(), F_GETFL) & O_NONBLOCK, 0);
        QVERIFY(lock.file() != nullptr);
        lock.unlock();
        Lock again(fs(fifo), {.mode = "a"});
        QVERIFY(again.try_lock());
        QVERIFY(again.file() != nullptr); // file() first also readies the descriptor
        QCOMPARE(::fcntl(again.fd(), F_GETFL) & O_NONBLOCK, 0);
        again.unlock();
        ::close(reader);
    }

    void zeroTimeoutTriesOnce() {
        const QString file = path("zero.lock");
        Lock holder(fs(file));
        QVERIFY(holder.try_lock());
        Lock waiter(fs(file), {.timeout = 0s});
        QElapsedTimer timer;
        timer.start();
        QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, waiter.lock());
        QVERIFY(timer.elapsed() < testsupport::timeBound(1000));
        QVERIFY(!waiter.try_lock());
        QVERIFY(!waiter.try_lock_for(0ms));
        QVERIFY(!waiter.try_lock_for(-5s));
    }

    void lockThrowsAlreadyLockedAfterTimeout() {
        const QString file = path("lock-timeout.lock");
        Lock holder(fs(file));
        QVERIFY(holder.try_lock());
        Lock waiter(fs(file), {.timeout = 100ms});
        QElapsedTimer timer;
        timer.start();
        try {
            waiter.lock();
            QFAIL("lock() returned although the file is locked");
        } catch (const portalocker::AlreadyLocked& error) {
            QVERIFY(error.code() == portalocker::errc::already_locked);
            QVERIFY(QString::fromUtf8(error.what()).contains(file));
        }
        QVERIFY(timer.elapsed() >= 95 && timer.elapsed() < testsupport::timeBound(3000));
        std::error_code ec;
        waiter.lock(ec);
        QVERIFY(ec == portalocker::errc::already_locked);
    }

    void failWhenLockedStopsAtOnce() {
        const QString file = path("fail.lock");
        Lock holder(fs(file));
        QVERIFY(holder.try_lock());
        Lock waiter(fs(file), {.timeout = 10s, .fail_when_locked = true});
        QElapsedTimer timer;
        timer.start();
        QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, waiter.lock());
        QVERIFY(!waiter.try_lock_for(10s));
        QVERIFY(timer.elapsed() < testsupport::timeBound(1000));
    }

    void blockingFlagsWaitForever() {
        // Without NON_BLOCKING the timeout has no effect, as in Python: lock() waits.
        const QString file = path("blocking.lock");
        testsupport::ChildProcess holder;
        QVERIFY(holder.startHelper({QStringLiteral("hold"), file}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));
        Lock lock(fs(file), {.timeout = 10ms, .flags = LockFlags::EXCLUSIVE});
        std::thread releaser([&] {
            std::this_thread::sleep_for(300ms);
            holder.writeLine(QStringLiteral("release"));
        });
        lock.lock();
        releaser.join();
        QVERIFY(lock.owns_lock());
    }

    void standardLockGuards() {
        const QString file = path("guards.lock");
        Lock lock(fs(file));
        {
            std::unique_lock guard(lock);
            QVERIFY(lock.owns_lock());
        }
        QVERIFY(!lock.owns_lock());
        {
            std::unique_lock guard(lock, 1s);
            QVERIFY(guard.owns_lock());
        }
        {
            std::shared_lock guard(lock);
            QVERIFY(lock.owns_lock());
        }
        Lock second(fs(path("guards2.lock")));
        {
            std::scoped_lock both(lock, second);
            QVERIFY(lock.owns_lock() && second.owns_lock());
        }
        QVERIFY(!lock.owns_lock() && !second.owns_lock());
    }

    void otherClocksAreAccepted() {
        const QString file = path("clocks.lock");
        Lock holder(fs(file));
        QVERIFY(holder.try_lock());
        Lock waiter(fs(file));
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!waiter.try_lock_until(std::chrono::system_clock::now() + 50ms));
        QVERIFY(timer.elapsed() >= 45);
    }

    void truncateOnlyAfterLock() {
        const QString file = path("truncate.lock");
        {
            QFile seed(file);
            QVERIFY(seed.open(QIODevice::WriteOnly));
            seed.write("precious");
        }
        testsupport::ChildProcess holder;
        QVERIFY(holder.startHelper({QStringLiteral("hold"), file}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));

        Lock writer(fs(file), {.mode = "w"});
        QVERIFY(!writer.try_lock_for(50ms));
        QCOMPARE(readAll(file), QByteArray("precious")); // not truncated by the failed attempt

        holder.writeLine(QStringLiteral("release"));
        QCOMPARE(holder.readLine(), QStringLiteral("RELEASED"));
        QVERIFY(writer.try_lock_for(5s));
        QCOMPARE(readAll(file), QByteArray(""));
        std::fputs("new", writer.file());
        writer.sync();
        QCOMPARE(readAll(file), QByteArray("new"));
    }

    void fileIsUsableWhileHeld() {
        const QString file = path("file.lock");
        Lock lock(fs(file), {.mode = "a+"});
        QVERIFY(lock.file() == nullptr);
        std::FILE* handle = lock.acquire();
        QVERIFY(handle);
        QCOMPARE(lock.acquire(), handle); // acquire() again returns the same file
        QVERIFY(std::fputs("hello", handle) >= 0);
        lock.unlock(); // flushes
        QCOMPARE(readAll(file), QByteArray("hello"));
        lock.release(); // a no-op when not held, as in Python
    }

    void badInput_data() {
        QTest::addColumn<QString>("target");
        QTest::addColumn<std::string>("mode");
        QTest::addColumn<int>("expectedErrno");
        QTest::newRow("missing directory")
            << QStringLiteral("no/such/dir/x.lock") << std::string("a") << ENOENT;
        QTest::newRow("path is a directory") << QStringLiteral(".") << std::string("a") << EISDIR;
        QTest::newRow("directory read-only mode")
            << QStringLiteral(".") << std::string("r") << EISDIR;
        QTest::newRow("read mode, missing file")
            << QStringLiteral("absent.lock") << std::string("r") << ENOENT;
        if (::geteuid() == 0 && readOnlyMount())
            QTest::newRow("read-only file system")
                << QStringLiteral("ro/new.lock") << std::string("a") << EROFS;
    }
    void badInput() {
        QFETCH(QString, target);
        QFETCH(std::string, mode);
        QFETCH(int, expectedErrno);
        const QString full = target.startsWith(u'/') ? target : m_dir.filePath(target);
        Lock lock(fs(full), {.mode = mode});
        try {
            lock.lock();
            QFAIL("lock() succeeded on bad input");
        } catch (const portalocker::AlreadyLocked&) {
            QFAIL("bad input reported as contention");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), expectedErrno);
            QVERIFY2(QString::fromUtf8(error.what()).contains(full), error.what());
        }
        std::error_code ec;
        QVERIFY(!lock.try_lock_for(10ms, ec));
        QCOMPARE(ec.value(), expectedErrno);
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("no"))));
    }

    // Python raises LockException for flags that name no lock type or both; so does every
    // acquisition form here, before opening anything (flags 0 used to block without a
    // timeout, EXCLUSIVE | SHARED used to take a shared lock).
    void invalidFlagsRaiseLikePython_data() {
        QTest::addColumn<unsigned>("flags");
        QTest::newRow("none") << 0u;
        QTest::newRow("NON_BLOCKING alone") << unsigned(LockFlags::NON_BLOCKING);
        QTest::newRow("EXCLUSIVE | SHARED") << unsigned(LockFlags::EXCLUSIVE | LockFlags::SHARED);
        QTest::newRow("EXCLUSIVE | SHARED | NON_BLOCKING")
            << unsigned(LockFlags::EXCLUSIVE | LockFlags::SHARED | LockFlags::NON_BLOCKING);
        QTest::newRow("UNBLOCK") << unsigned(LockFlags::EXCLUSIVE | LockFlags::UNBLOCK);
    }
    void invalidFlagsRaiseLikePython() {
        QFETCH(unsigned, flags);
        const QString file = path("flags.lock");
        QFile::remove(file);
        const portalocker::LockOptions options{.flags = static_cast<LockFlags>(flags)};
        Lock lock(fs(file), options);
        try {
            lock.lock();
            QFAIL("lock() with invalid flags took a lock");
        } catch (const portalocker::AlreadyLocked&) {
            QFAIL("invalid flags reported as contention");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_argument);
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("EXCLUSIVE")),
                     error.what());
        }
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, lock.try_lock_for(10ms));
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, lock.try_lock_shared());
        std::error_code ec;
        QVERIFY(!lock.try_lock(ec));
        QVERIFY(ec == portalocker::errc::invalid_argument);
        QVERIFY(!lock.owns_lock());
        QVERIFY(!QFile::exists(file)); // refused before opening (creating) anything

        portalocker::RLock reentrant(fs(file), options);
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, reentrant.lock());
        portalocker::TemporaryFileLock temporary(fs(file),
                                                 {.flags = static_cast<LockFlags>(flags)});
        QVERIFY(!temporary.try_lock(ec));
        QVERIFY(ec == portalocker::errc::invalid_argument);
        QVERIFY(!QFile::exists(file));
    }

    // std::system_error appends the error text to what(): the description must not say it too.
    void messagesSayTheErrorOnce() {
        Lock lock(fs(m_dir.filePath(QStringLiteral("no/such/dir/x.lock"))));
        try {
            lock.lock();
            QFAIL("lock() succeeded in a missing directory");
        } catch (const portalocker::LockException& error) {
            const QString what = QString::fromUtf8(error.what());
            const QString text = QString::fromStdString(error.code().message());
            QCOMPARE(what.count(text), 1);
            QVERIFY2(what.endsWith(text), error.what());
        }
    }

    void permissionDenied() {
        const QString file = path("forbidden.lock");
        QFile create(file);
        QVERIFY(create.open(QIODevice::WriteOnly));
        create.close();
        QVERIFY(::chmod(qPrintable(file), 0600) == 0);
        ::chmod(qPrintable(m_dir.path()), 0755);
        // Root ignores permission bits: try as an unprivileged user in a child process.
        const pid_t child = ::fork();
        if (child == 0) {
            if (::geteuid() == 0 && ::setuid(65534) != 0)
                ::_exit(100);
            Lock lock(fs(file));
            std::error_code ec;
            const bool locked = lock.try_lock(ec);
            ::_exit(locked ? 101 : ec.value());
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), EACCES);
    }

    void invalidModeIsRejected() {
        Lock lock(fs(path("mode.lock")), {.mode = "q"});
        std::error_code ec;
        QVERIFY(!lock.try_lock(ec));
        QVERIFY(ec == portalocker::errc::invalid_argument);
        QVERIFY(!QFile::exists(path("mode.lock")));
    }

    void unlockWithoutHolding() {
        Lock lock(fs(path("unheld.lock")));
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, lock.unlock());
        std::error_code ec;
        lock.unlock(ec);
        QVERIFY(ec == portalocker::errc::not_locked);
        QVERIFY(lock.try_lock());
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, (void)lock.try_lock());
        lock.unlock();
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, lock.unlock());
    }

    void holderKilledFreesTheLock_data() { backends_data(); }
    void holderKilledFreesTheLock() {
        QFETCH(Backend, backend);
        const QString file = path("killed.lock");
        testsupport::ChildProcess holder;
        QVERIFY(holder.startHelper({QStringLiteral("hold"), file, QStringLiteral("--backend"),
                                    QString::fromLatin1(portalocker::to_string(backend).data())}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));
        Lock lock(fs(file), {.backend = backend});
        QVERIFY(!lock.try_lock());
        std::thread killer([&] {
            std::this_thread::sleep_for(100ms);
            ::kill(pid_t(holder.pid()), SIGKILL);
        });
        QVERIFY(lock.try_lock_for(10s));
        killer.join();
    }

    void freeFunctionsLockDescriptors() {
        const QString file = path("fd.lock");
        std::FILE* first = std::fopen(qPrintable(file), "a");
        std::FILE* second = std::fopen(qPrintable(file), "a");
        QVERIFY(first && second);
        portalocker::lock(first, LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING);
        QVERIFY_THROWS_EXCEPTION(
            portalocker::AlreadyLocked,
            portalocker::lock(second, LockFlags::EXCLUSIVE | LockFlags::NON_BLOCKING));
        std::error_code ec;
        portalocker::lock(portalocker::native_handle(second),
                          LockFlags::SHARED | LockFlags::NON_BLOCKING, Backend::flock, ec);
        QVERIFY(ec == portalocker::errc::already_locked);
        portalocker::unlock(first);
        portalocker::lock(second, LockFlags::SHARED | LockFlags::NON_BLOCKING);
        portalocker::lock(first, LockFlags::SHARED | LockFlags::NON_BLOCKING);
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException,
                                 portalocker::lock(first, LockFlags::NON_BLOCKING)); // no mode
        std::fclose(first);
        std::fclose(second);
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException,
                                 portalocker::lock(-1, LockFlags::EXCLUSIVE));
    }

  private:
    bool readOnlyMount() {
        // A read-only tmpfs inside the temporary directory (root only; CI runs as root).
        const QString directory = m_dir.filePath(QStringLiteral("ro"));
        if (!QDir().mkpath(directory))
            return false;
        m_readOnlyMount = directory;
        return ::mount("lockscope-test", qPrintable(directory), "tmpfs", MS_RDONLY, nullptr) == 0;
    }
    QString m_readOnlyMount;

    void checkTimeout(const QString& file, Backend backend) {
        Lock waiter(fs(file), {.backend = backend});
        for (auto timeout : {10ms, 100ms, 300ms}) {
            QElapsedTimer timer;
            timer.start();
            QVERIFY(!waiter.try_lock_for(timeout));
            const qint64 elapsed = timer.nsecsElapsed() / 1000000;
            // Gives up on time: not before the deadline, and not long after it.
            QVERIFY2(elapsed >= timeout.count() - 1 && elapsed < timeout.count() + 500,
                     qPrintable(QString::number(elapsed)));
        }
    }
};

QTEST_GUILESS_MAIN(TestLock)
#include "tst_lock.moc"
