// The helper processes of kernel waits on Linux: what ends a wait when its helper dies, what a
// granted wait leaves behind, and when it goes. A waiter returns as soon as its
// helper process reports the grant, without waiting for the helper's exit and without freeing
// its wait notice's memory there (both would sit on the hand-off path). So while the lock is
// held, the helper that brought it may still be there (exiting, then a zombie) and the notice's
// memory file may still be mapped (its descriptor is closed at once: inspectors see no notice).
// Both go at the next lock call in the process (the helper if it has exited by then) and at
// the latest after the release.

#include <portalocker/portalocker.hpp>
#include <portalocker/waitnotice.hpp>

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using portalocker::Backend;
using portalocker::Lock;

Q_DECLARE_METATYPE(portalocker::Backend)

namespace {

struct ChildState {
    int pid;
    char state; ///< as in /proc/PID/stat: R, S, Z, ...
};

/// Our children named plk-wait-helper (running or zombie), from /proc.
std::vector<ChildState> ourWaitHelpers() {
    std::vector<ChildState> helpers;
    const QByteArray self = QByteArray::number(::getpid());
    const QByteArray name = QByteArray(portalocker::wait_helper_name.data(),
                                       qsizetype(portalocker::wait_helper_name.size()));
    if (DIR* processes = ::opendir("/proc")) {
        while (dirent* entry = ::readdir(processes)) {
            QFile stat(QStringLiteral("/proc/") + QString::fromLatin1(entry->d_name) +
                       QStringLiteral("/stat"));
            if (!stat.open(QIODevice::ReadOnly))
                continue;
            // "PID (COMM) STATE PPID ..."; COMM may hold spaces, so split at the last ')'.
            const QByteArray text = stat.readAll();
            const qsizetype open = text.indexOf('(');
            const qsizetype close = text.lastIndexOf(')');
            if (open < 0 || close < open)
                continue;
            const QList<QByteArray> fields = text.mid(close + 2).split(' ');
            if (fields.size() > 1 && fields[1] == self &&
                text.mid(open + 1, close - open - 1) == name)
                helpers.push_back({text.left(open - 1).toInt(), fields[0].at(0)});
        }
        ::closedir(processes);
    }
    return helpers;
}

/// Mappings of wait-notice memory files in this process (/proc/self/maps).
int noticeMappings() {
    QFile maps(QStringLiteral("/proc/self/maps"));
    if (!maps.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray marker =
        "/memfd:" + QByteArray(portalocker::wait_notice_name.data(),
                               qsizetype(portalocker::wait_notice_name.size()));
    return int(maps.readAll().count(marker));
}

/// Open descriptors of wait notices in this process: what inspectors look for.
int noticeDescriptors() {
    int count = 0;
    const QDir fds(QStringLiteral("/proc/self/fd"));
    for (const QFileInfo& link : fds.entryInfoList(QDir::System | QDir::NoDotAndDotDot))
        count += link.symLinkTarget().contains(QLatin1String(
            portalocker::wait_notice_name.data(), qsizetype(portalocker::wait_notice_name.size())));
    return count;
}

/// A forked process holding an exclusive lock on each of `files` until release() (or its
/// end). Plain system calls in the child: the parent has threads.
class ForkedHolder {
  public:
    ForkedHolder(const QStringList& files, Backend backend) {
        if (::pipe(m_ready) != 0 || ::pipe(m_release) != 0)
            return;
        std::vector<QByteArray> names;
        for (const QString& file : files)
            names.push_back(QFile::encodeName(file));
        m_pid = ::fork();
        if (m_pid == 0) {
            char byte = 'L';
            for (const QByteArray& name : names) {
                const int fd = ::open(name.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
                struct flock range {};
                range.l_type = F_WRLCK;
                range.l_whence = SEEK_SET;
                const bool locked =
                    fd >= 0 &&
                    (backend == Backend::flock   ? ::flock(fd, LOCK_EX) == 0
                     : backend == Backend::posix ? ::fcntl(fd, F_SETLKW, &range) == 0
                                                 : ::fcntl(fd, F_OFD_SETLKW, &range) == 0);
                if (!locked)
                    byte = 'E';
            }
            (void)!::write(m_ready[1], &byte, 1);
            (void)!::read(m_release[0], &byte, 1);
            ::_exit(0); // releases the locks
        }
    }
    ~ForkedHolder() {
        release();
        for (int fd : {m_ready[0], m_ready[1], m_release[0], m_release[1]})
            if (fd >= 0)
                ::close(fd);
    }
    /// True once the child holds every lock.
    bool holding() {
        char byte = 0;
        return m_pid > 0 && ::read(m_ready[0], &byte, 1) == 1 && byte == 'L';
    }
    /// Lets the child go and reaps it; true when it ended normally.
    bool release() {
        if (m_pid <= 0)
            return false;
        const char go = 'R';
        (void)!::write(m_release[1], &go, 1);
        int status = -1;
        const bool reaped = ::waitpid(m_pid, &status, 0) == m_pid;
        m_pid = -1;
        return reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }

  private:
    pid_t m_pid = -1;
    int m_ready[2] = {-1, -1};
    int m_release[2] = {-1, -1};
};

/// Waits (up to a scaled bound) until this process has `count` wait helpers blocked in their
/// lock calls (not exited); returns them.
std::vector<ChildState> waitForBlockedHelpers(std::size_t count) {
    const auto giveUp =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(testsupport::timeBound(10000));
    for (;;) {
        std::vector<ChildState> helpers = ourWaitHelpers();
        std::erase_if(helpers, [](const ChildState& helper) { return helper.state == 'Z'; });
        if (helpers.size() >= count || std::chrono::steady_clock::now() >= giveUp)
            return helpers;
        std::this_thread::sleep_for(1ms);
    }
}

} // namespace

class TestHandoffTidy : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static std::filesystem::path fs(const QString& path) { return path.toStdString(); }

    /// Takes `lock` while another process holds its file, so that the lock comes through a
    /// wait helper: the holder (a forked child) is told to release only once our helper is
    /// there. Plain pipes and system calls, so that the releasing thread touches no Qt object.
    void acquireThroughHelper(Lock& lock, const QString& file, Backend backend) {
        int ready[2], release[2];
        QVERIFY(::pipe(ready) == 0 && ::pipe(release) == 0);
        const QByteArray name = QFile::encodeName(file);
        const pid_t holder = ::fork();
        if (holder == 0) {
            // Only async-signal-safe calls here: the parent has threads.
            const int fd = ::open(name.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            struct flock range {};
            range.l_type = F_WRLCK;
            range.l_whence = SEEK_SET;
            const bool locked =
                fd >= 0 && (backend == Backend::flock   ? ::flock(fd, LOCK_EX) == 0
                            : backend == Backend::posix ? ::fcntl(fd, F_SETLKW, &range) == 0
                                                        : ::fcntl(fd, F_OFD_SETLKW, &range) == 0);
            char byte = locked ? 'L' : 'E';
            (void)!::write(ready[1], &byte, 1);
            (void)!::read(release[0], &byte, 1);
            ::_exit(0); // releases the lock
        }
        QVERIFY(holder > 0);
        char byte = 0;
        QCOMPARE(::read(ready[0], &byte, 1), ssize_t(1));
        QCOMPARE(byte, 'L');
        std::atomic<bool> helperSeen{false};
        std::thread releaser([&] {
            const auto giveUp = std::chrono::steady_clock::now() +
                                std::chrono::milliseconds(testsupport::timeBound(10000));
            while (ourWaitHelpers().empty() && std::chrono::steady_clock::now() < giveUp)
                std::this_thread::sleep_for(1ms);
            helperSeen = !ourWaitHelpers().empty();
            const char go = 'R';
            (void)!::write(release[1], &go, 1);
        });
        const bool granted = lock.try_lock_for(std::chrono::seconds(testsupport::timeBound(20)));
        releaser.join();
        int status = -1;
        const bool reaped = ::waitpid(holder, &status, 0) == holder;
        for (int fd : {ready[0], ready[1], release[0], release[1]})
            ::close(fd);
        QVERIFY(reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        QVERIFY(helperSeen);
        QVERIFY(granted);
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QVERIFY(ourWaitHelpers().empty());
        QCOMPARE(noticeMappings(), 0);
    }

    void backends_data() {
        QTest::addColumn<Backend>("backend");
        QTest::newRow("flock") << Backend::flock;
        QTest::newRow("posix") << Backend::posix;
        QTest::newRow("ofd") << Backend::ofd;
    }

    // A helper killed from outside (an operator's kill -9, the OOM killer) while blocked in
    // its lock call ends the wait at once with ECHILD, not at the deadline: a lone helper
    // through the futex the kernel clears when it dies, several (a semaphore's slots) through
    // their pidfds. Nothing is held afterwards and nothing is left running.
    void helperKilledFromOutsideEndsTheWait_data() {
        QTest::addColumn<Backend>("backend");
        QTest::addColumn<int>("slotCount");
        QTest::newRow("Lock flock") << Backend::flock << 1;
        QTest::newRow("Lock posix") << Backend::posix << 1;
        QTest::newRow("Lock ofd") << Backend::ofd << 1;
        QTest::newRow("BoundedSemaphore flock, 2 slots") << Backend::flock << 2;
    }
    void helperKilledFromOutsideEndsTheWait() {
        QFETCH(Backend, backend);
        QFETCH(int, slotCount);
        const std::string name =
            "killed" + std::to_string(int(backend)) + "-" + std::to_string(slotCount);
        QStringList files;
        if (slotCount == 1) {
            files << path("killed.lock");
        } else {
            for (int slot = 0; slot < slotCount; ++slot)
                files << m_dir.filePath(QString::asprintf("%s.%02d.lock", name.c_str(), slot));
        }
        ForkedHolder holder(files, backend);
        QVERIFY(holder.holding());

        // Long enough that a wait which missed the helper's death would visibly run to it.
        const auto patience = std::chrono::milliseconds(testsupport::timeBound(20000));
        std::error_code waitError;
        bool granted = true;
        std::atomic<bool> waitEnded{false};
        std::thread waiter([&] {
            if (slotCount == 1) {
                Lock lock(fs(files.front()), {.backend = backend});
                granted = lock.try_lock_for(patience, waitError);
            } else {
                portalocker::BoundedSemaphore semaphore(
                    slotCount, {.name = name, .directory = fs(m_dir.path()), .backend = backend});
                granted = semaphore.try_lock_for(patience, waitError);
            }
            waitEnded = true;
        });
        const std::vector<ChildState> helpers = waitForBlockedHelpers(std::size_t(slotCount));
        const bool helpersSeen = helpers.size() == std::size_t(slotCount);
        if (helpersSeen)
            QCOMPARE(::kill(helpers.front().pid, SIGKILL), 0);
        const auto killed = std::chrono::steady_clock::now();
        const auto giveUp = killed + std::chrono::milliseconds(testsupport::timeBound(5000));
        while (!waitEnded && std::chrono::steady_clock::now() < giveUp)
            std::this_thread::sleep_for(1ms);
        const bool endedSoon = waitEnded;
        waiter.join(); // after a missed death: at the deadline
        QVERIFY(holder.release());
        QVERIFY(helpersSeen);
        QVERIFY2(endedSoon, "the wait went on after its helper was killed");
        QVERIFY(!granted);
        QVERIFY2(waitError == std::errc::no_child_process, waitError.message().c_str());
        QVERIFY(ourWaitHelpers().empty());
    }

    // While held: the notice is withdrawn (no descriptor) and at most the helper that brought
    // the lock and the notice's memory remain. After the release: nothing.
    void nothingLeftAfterRelease_data() { backends_data(); }
    void nothingLeftAfterRelease() {
        QFETCH(Backend, backend);
        const QString file = path("release.lock");
        for (int round = 0; round < 3; ++round) {
            Lock lock(fs(file), {.backend = backend});
            acquireThroughHelper(lock, file, backend);
            if (QTest::currentTestFailed())
                return;
            QCOMPARE(noticeDescriptors(), 0);
            QVERIFY(ourWaitHelpers().size() <= 1);
            QVERIFY(noticeMappings() <= 1);
            lock.unlock();
            QVERIFY(ourWaitHelpers().empty());
            QCOMPARE(noticeMappings(), 0);
        }
    }

    // Nothing reaps the helper while the program holds the lock and calls the library for
    // nothing: it stays a zombie. The next lock call, of any lock and through either API,
    // reaps it and frees the notice's memory, while the first lock is still held.
    void zombieWhileHoldingReapedByNextLockCall_data() {
        QTest::addColumn<bool>("freeFunction");
        QTest::newRow("Lock::try_lock") << false;
        QTest::newRow("portalocker::lock") << true;
    }
    void zombieWhileHoldingReapedByNextLockCall() {
        QFETCH(bool, freeFunction);
        const QString file = path("held.lock");
        Lock held(fs(file));
        acquireThroughHelper(held, file, Backend::flock);
        if (QTest::currentTestFailed())
            return;
        std::vector<ChildState> helpers = ourWaitHelpers();
        QCOMPARE(helpers.size(), std::size_t(1));
        const auto giveUp = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(testsupport::timeBound(5000));
        while (helpers.size() == 1 && helpers.front().state != 'Z' &&
               std::chrono::steady_clock::now() < giveUp) {
            std::this_thread::sleep_for(1ms);
            helpers = ourWaitHelpers();
        }
        QCOMPARE(helpers.size(), std::size_t(1));
        QCOMPARE(helpers.front().state, 'Z');
        QCOMPARE(noticeMappings(), 1);

        const QString other = path("other.lock");
        if (freeFunction) {
            const int fd = ::open(qPrintable(other), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            QVERIFY(fd >= 0);
            portalocker::lock(fd, portalocker::LockFlags::EXCLUSIVE |
                                      portalocker::LockFlags::NON_BLOCKING);
            ::close(fd);
        } else {
            Lock next(fs(other));
            QVERIFY(next.try_lock());
        }
        QVERIFY(ourWaitHelpers().empty());
        QCOMPARE(noticeMappings(), 0);
        QVERIFY(held.owns_lock());
    }
};

QTEST_GUILESS_MAIN(TestHandoffTidy)
#include "tst_handoff_tidy.moc"
