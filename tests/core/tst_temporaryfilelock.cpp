// TemporaryFileLock: defaults, the file removed on release (and only our own file), the
// inode re-check when the file is replaced or deleted between open and lock, and two
// processes hammering one lock file without ever holding it at once.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <functional>

#include <cstdio>
#include <cstring>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace std::chrono_literals;
using portalocker::TemporaryFileLock;

namespace {

ino_t inodeOf(const QString& path) {
    struct stat status {};
    return ::stat(qPrintable(path), &status) == 0 ? status.st_ino : 0;
}

ino_t inodeOf(int fd) {
    struct stat status {};
    return ::fstat(fd, &status) == 0 ? status.st_ino : 0;
}

/// A TemporaryFileLock that runs `meddle` in the window between the grant and the inode check,
/// where another process could replace or delete the file.
class MeddledLock : public TemporaryFileLock {
  public:
    MeddledLock(const QString& path, portalocker::TemporaryFileLockOptions options,
                std::function<void(int attempt)> meddle)
        : TemporaryFileLock(path.toStdString(), options), m_meddle(std::move(meddle)) {}
    ~MeddledLock() override { release(); }
    int attempts = 0;

  protected:
    std::error_code after_lock(portalocker::native_handle_type fd) noexcept override {
        m_meddle(++attempts);
        return TemporaryFileLock::after_lock(fd);
    }

  private:
    std::function<void(int)> m_meddle;
};

/// Puts a new file (with `content`) at `path` by rename, as a racing process would.
void replaceFile(const QString& path, const QByteArray& content) {
    const QString fresh = path + QStringLiteral(".fresh");
    QFile file(fresh);
    if (file.open(QIODevice::WriteOnly))
        file.write(content);
    file.close();
    std::rename(qPrintable(fresh), qPrintable(path));
}

} // namespace

class TestTemporaryFileLock : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static std::filesystem::path fs(const QString& path) { return path.toStdString(); }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void defaultsMatchPython() {
        TemporaryFileLock lock;
        QCOMPARE(lock.path(), std::filesystem::path(".lock"));
        QCOMPARE(lock.options().mode, std::string("w"));
        QVERIFY(lock.options().fail_when_locked);
        QCOMPARE(lock.options().timeout, std::chrono::nanoseconds(5s));
        QVERIFY(lock.options().flags ==
                (portalocker::LockFlags::EXCLUSIVE | portalocker::LockFlags::NON_BLOCKING));
    }

    void fileRemovedOnRelease() {
        const QString file = path("removed.lock");
        {
            TemporaryFileLock lock(fs(file));
            lock.lock();
            QVERIFY(QFile::exists(file));
            lock.unlock();
            QVERIFY(!QFile::exists(file));
            QVERIFY(lock.try_lock());
            QVERIFY(QFile::exists(file));
        } // the destructor releases and removes
        QVERIFY(!QFile::exists(file));
        std::error_code ec;
        TemporaryFileLock unheld(fs(file));
        unheld.unlock(ec);
        QVERIFY(ec == portalocker::errc::not_locked);
    }

    void failsAtOnceWhenHeldByAnotherProcess() {
        const QString file = path("held.lock");
        testsupport::ChildProcess holder;
        QVERIFY(holder.startHelper({QStringLiteral("hold"), file}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));
        {
            TemporaryFileLock lock(fs(file)); // fail_when_locked, as in Python
            QElapsedTimer timer;
            timer.start();
            QVERIFY(!lock.try_lock_for(10s));
            QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, lock.lock());
            QVERIFY(timer.elapsed() < testsupport::timeBound(2000));
        }
        // A contender that gave up must not delete the holder's file.
        QVERIFY(QFile::exists(file));

        TemporaryFileLock waiter(fs(file), {.fail_when_locked = false});
        holder.writeLine(QStringLiteral("release"));
        QVERIFY(waiter.try_lock_for(10s));
    }

    void fileReplacedBetweenOpenAndLock() {
        const QString file = path("replaced.lock");
        MeddledLock lock(file, {}, [&](int attempt) {
            if (attempt == 1)
                replaceFile(file, "somebody else's");
        });
        QVERIFY(lock.try_lock());
        QCOMPARE(lock.attempts, 2); // the first grant was on the replaced file: tried again
        QCOMPARE(inodeOf(lock.fd()), inodeOf(file));
        lock.unlock();
        QVERIFY(!QFile::exists(file));
    }

    void fileDeletedBetweenOpenAndLock() {
        // What a releasing holder does: it deletes the file we have just opened.
        const QString file = path("deleted.lock");
        MeddledLock lock(file, {}, [&](int attempt) {
            if (attempt == 1)
                QFile::remove(file);
        });
        QVERIFY(lock.try_lock());
        QCOMPARE(lock.attempts, 2);
        QVERIFY(QFile::exists(file));
        QCOMPARE(inodeOf(lock.fd()), inodeOf(file));
    }

    void fileThatKeepsChangingCountsAsContention() {
        const QString file = path("churn.lock");
        MeddledLock once(file, {}, [&](int) { replaceFile(file, "x"); });
        QVERIFY(!once.try_lock());
        QVERIFY(!once.owns_lock());
        QVERIFY(once.attempts >= 2);
        QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, once.lock());

        MeddledLock waiting(file, {.fail_when_locked = false},
                            [&](int) { replaceFile(file, "y"); });
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!waiting.try_lock_for(100ms));
        QVERIFY(timer.elapsed() >= 95);
        QVERIFY(!waiting.owns_lock());
        QVERIFY(QFile::exists(file)); // the churner's file is left alone
    }

    void releaseDeletesOnlyItsOwnFile() {
        const QString file = path("own.lock");
        TemporaryFileLock lock(fs(file));
        lock.lock();
        replaceFile(file, "not yours"); // somebody ignoring the protocol
        lock.unlock();
        QVERIFY(QFile::exists(file));
        QFile check(file);
        QVERIFY(check.open(QIODevice::ReadOnly));
        QCOMPARE(check.readAll(), QByteArray("not yours"));
    }

    void twoProcessesNeverHoldItAtOnce() {
        // Each iteration creates, locks and deletes the file; without the inode re-check the
        // two processes would now and then both hold a lock (on different inodes) and lose
        // increments of the counter.
        const QString file = path("hammer.lock");
        const QString counter = path("hammer.count");
        const QString iterations = QStringLiteral("400");
        const QString helper = testsupport::programPath("LOCKSCOPE_FAMILYHELPER");
        testsupport::ChildProcess first, second;
        QVERIFY(first.start(helper, {QStringLiteral("tempcount"), file, counter, iterations}));
        QVERIFY(second.start(helper, {QStringLiteral("tempcount"), file, counter, iterations}));
        QCOMPARE(first.readLine(120000), QStringLiteral("DONE"));
        QCOMPARE(second.readLine(120000), QStringLiteral("DONE"));
        QFile count(counter);
        QVERIFY(count.open(QIODevice::ReadOnly));
        QCOMPARE(count.readAll().trimmed(), QByteArray("800"));
        QVERIFY(!QFile::exists(file));
    }

    // Used through a Lock&, unlock() still deletes the file and reports when it cannot.
    // A mount point cannot be deleted, not even by root (EBUSY): a file is bind-mounted over
    // the lock file (root only; CI runs as root).
    void removeFailureReportedThroughLockReference() {
        const QString file = path("busy.lock");
        const QString source = path("busy.source");
        for (const QString& name : {file, source}) {
            QFile created(name);
            QVERIFY(created.open(QIODevice::WriteOnly));
        }
        QVERIFY2(::mount(qPrintable(source), qPrintable(file), nullptr, MS_BIND, nullptr) == 0,
                 std::strerror(errno));
        auto unmount = qScopeGuard([&] { ::umount2(qPrintable(file), MNT_DETACH); });

        TemporaryFileLock temporary(fs(file));
        portalocker::Lock& lock = temporary;
        QVERIFY(lock.try_lock());
        std::error_code ec;
        lock.unlock(ec);
        QCOMPARE(ec.value(), EBUSY);
        QVERIFY(!lock.owns_lock()); // released anyway

        QVERIFY(lock.try_lock());
        try {
            lock.unlock();
            QFAIL("unlock() through a Lock& hid that the file could not be deleted");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), EBUSY);
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("cannot delete")),
                     error.what());
        }
        QVERIFY(!lock.owns_lock());
    }

    void badInputChangesNothing() {
        const QString missing = m_dir.filePath(QStringLiteral("no/such/dir/x.lock"));
        TemporaryFileLock lock(fs(missing));
        try {
            lock.lock();
            QFAIL("lock() succeeded in a missing directory");
        } catch (const portalocker::AlreadyLocked&) {
            QFAIL("a missing directory reported as contention");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), ENOENT);
            QVERIFY2(QString::fromUtf8(error.what()).contains(missing), error.what());
        }
        std::error_code ec;
        TemporaryFileLock directory(fs(m_dir.path()));
        QVERIFY(!directory.try_lock(ec));
        QCOMPARE(ec.value(), EISDIR);
        QVERIFY(QFile::exists(m_dir.path())); // the directory is not "released" away
    }
};

QTEST_GUILESS_MAIN(TestTemporaryFileLock)
#include "tst_temporaryfilelock.moc"
