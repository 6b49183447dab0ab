// RLock: counting, over-release, TimedLockable, bad input, and another process (lockhelper)
// seeing the lock held until the last release.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <mutex>

using namespace std::chrono_literals;
using portalocker::RLock;

class TestRLock : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static std::filesystem::path fs(const QString& path) { return path.toStdString(); }

    /// True when another process finds `file` locked (one attempt).
    static bool heldForOthers(const QString& file) {
        testsupport::ChildProcess other;
        if (!other.startHelper(
                {QStringLiteral("hold"), file, QStringLiteral("--timeout"), QStringLiteral("0")}))
            return false;
        const QString answer = other.readLine();
        other.writeLine(QStringLiteral("exit"));
        other.waitForExit();
        return answer == QStringLiteral("TIMEOUT");
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void countsAcquisitions() {
        const QString file = path("count.lock");
        RLock lock(fs(file));
        QCOMPARE(lock.count(), std::size_t(0));
        lock.lock();
        QVERIFY(lock.try_lock());
        QVERIFY(lock.try_lock_for(0s)); // reentry never waits, whatever the timeout
        QCOMPARE(lock.count(), std::size_t(3));
        QVERIFY(heldForOthers(file));

        lock.unlock();
        lock.unlock();
        QCOMPARE(lock.count(), std::size_t(1));
        QVERIFY(lock.owns_lock());
        QVERIFY(heldForOthers(file)); // still held: one acquisition left

        lock.unlock();
        QCOMPARE(lock.count(), std::size_t(0));
        QVERIFY(!lock.owns_lock());
        QVERIFY(!heldForOthers(file));
    }

    void overReleaseThrows() {
        RLock lock(fs(path("over.lock")));
        try {
            lock.unlock();
            QFAIL("unlock() of an unheld RLock did not throw");
        } catch (const portalocker::AlreadyLocked&) {
            QFAIL("over-release reported as contention");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::not_locked);
            QVERIFY2(QByteArray(error.what()).contains("Cannot release more times than acquired"),
                     error.what());
        }
        lock.lock();
        lock.unlock();
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, lock.release());
        std::error_code ec;
        lock.unlock(ec);
        QVERIFY(ec == portalocker::errc::not_locked);
        QCOMPARE(lock.count(), std::size_t(0)); // the failed release changed nothing
        QVERIFY(lock.try_lock());
        QCOMPARE(lock.count(), std::size_t(1));
    }

    void errorCodeTwins() {
        RLock lock(fs(path("twins.lock")));
        std::error_code ec;
        lock.lock(ec);
        QVERIFY(!ec);
        QVERIFY(lock.try_lock(ec));
        QVERIFY(lock.try_lock_for(10ms, ec));
        QVERIFY(lock.try_lock_until(std::chrono::steady_clock::now() + 10ms, ec));
        QCOMPARE(lock.count(), std::size_t(4));
        for (int i = 0; i < 4; ++i) {
            lock.unlock(ec);
            QVERIFY(!ec);
        }
        QVERIFY(!lock.owns_lock());
    }

    void nestedStandardGuards() {
        const QString file = path("guards.lock");
        RLock lock(fs(file));
        {
            std::unique_lock outer(lock);
            {
                std::unique_lock inner(lock, 1s);
                QVERIFY(inner.owns_lock());
                QCOMPARE(lock.count(), std::size_t(2));
            }
            QVERIFY(lock.owns_lock());
        }
        QVERIFY(!lock.owns_lock());
    }

    void otherProcessHolderMakesItWait() {
        const QString file = path("other.lock");
        testsupport::ChildProcess holder;
        QVERIFY(holder.startHelper({QStringLiteral("hold"), file}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));
        RLock lock(fs(file), {.timeout = 100ms});
        QVERIFY(!lock.try_lock());
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!lock.try_lock_for(100ms));
        QVERIFY(timer.elapsed() >= 95);
        QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, lock.lock());
        QCOMPARE(lock.count(), std::size_t(0));
        holder.writeLine(QStringLiteral("release"));
        QCOMPARE(holder.readLine(), QStringLiteral("RELEASED"));
        QVERIFY(lock.try_lock_for(5s));
        QCOMPARE(lock.count(), std::size_t(1));
    }

    void acquireReturnsTheSameFile() {
        RLock lock(fs(path("file.lock")), {.mode = "a+"});
        std::FILE* first = lock.acquire();
        QVERIFY(first);
        QCOMPARE(lock.acquire(), first);
        QCOMPARE(lock.count(), std::size_t(2));
        lock.release();
        lock.release();
        QVERIFY(!lock.owns_lock());
    }

    void moveKeepsTheCount() {
        RLock lock(fs(path("move.lock")));
        lock.lock();
        lock.lock();
        RLock moved(std::move(lock));
        QCOMPARE(moved.count(), std::size_t(2));
        QCOMPARE(lock.count(),
                 std::size_t(0)); // NOLINT(bugprone-use-after-move): checked on purpose
        moved.unlock();
        moved.unlock();
        QVERIFY(!moved.owns_lock());
    }

    void badInputLeavesNothingHeld() {
        RLock lock(fs(m_dir.filePath(QStringLiteral("no/such/dir/x.lock"))));
        try {
            lock.lock();
            QFAIL("lock() succeeded in a missing directory");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), ENOENT);
        }
        std::error_code ec;
        QVERIFY(!lock.try_lock(ec));
        QCOMPARE(ec.value(), ENOENT);
        QCOMPARE(lock.count(), std::size_t(0));
        RLock directory(fs(m_dir.path()));
        QVERIFY(!directory.try_lock_for(10ms, ec));
        QCOMPARE(ec.value(), EISDIR);
    }
};

QTEST_GUILESS_MAIN(TestRLock)
#include "tst_rlock.moc"
