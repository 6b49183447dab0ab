// PidFileLock: the PID file's content and life, the holder's pid as a contender (another
// process) reads it, stale files, a killed holder, and bad input.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <thread>

#include <csignal>
#include <unistd.h>

using namespace std::chrono_literals;
using portalocker::PidFileLock;

namespace {

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

void writeFile(const QString& path, const QByteArray& content) {
    QFile file(path);
    if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        file.write(content);
}

} // namespace

class TestPidFileLock : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static std::filesystem::path fs(const QString& path) { return path.toStdString(); }
    static QString helper() { return testsupport::programPath("LOCKSCOPE_FAMILYHELPER"); }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void defaultsMatchPython() {
        PidFileLock lock;
        QCOMPARE(lock.path(), std::filesystem::path(".pid"));
        QCOMPARE(lock.lock_path(), std::filesystem::path(".pid.lock"));
        QVERIFY(lock.options().fail_when_locked);
    }

    void writesItsPidAndRemovesItOnRelease() {
        const QString file = path("own.pid");
        {
            PidFileLock lock(fs(file));
            auto attempt = lock.acquire();
            QVERIFY(attempt.acquired);
            QVERIFY(!attempt.holder);
            QCOMPARE(readAll(file), QByteArray::number(::getpid())); // decimal, no newline
            QVERIFY(QFile::exists(file + QStringLiteral(".lock")));
            QCOMPARE(lock.read_pid(), std::optional<portalocker::pid_type>(::getpid()));
            lock.unlock();
            QVERIFY(!QFile::exists(file));
            QVERIFY(!QFile::exists(file + QStringLiteral(".lock")));
            QVERIFY(lock.try_lock());
        } // the destructor releases
        QVERIFY(!QFile::exists(file));
        QVERIFY(!QFile::exists(file + QStringLiteral(".lock")));
    }

    void contenderReadsTheHoldersPid() {
        const QString file = path("other.pid");
        testsupport::ChildProcess holder;
        QVERIFY(holder.start(helper(), {QStringLiteral("pidfile"), file}));
        const QString locked = holder.readLine();
        QCOMPARE(locked, QStringLiteral("LOCKED ") + QString::number(holder.pid()));

        PidFileLock lock(fs(file));
        auto attempt = lock.acquire();
        QVERIFY(!attempt.acquired);
        QVERIFY(attempt.holder);
        QCOMPARE(qint64(*attempt.holder), holder.pid());
        QCOMPARE(qint64(lock.read_pid().value_or(0)), holder.pid());
        QVERIFY(!lock.try_lock());
        QVERIFY(!lock.try_lock_for(50ms));
        QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, lock.lock());
        QCOMPARE(readAll(file), QByteArray::number(holder.pid())); // the contender changed nothing

        PidFileLock waiter(fs(file), {.fail_when_locked = false});
        holder.writeLine(QStringLiteral("release"));
        QVERIFY(waiter.try_lock_for(10s));
        QCOMPARE(readAll(file), QByteArray::number(::getpid()));
    }

    void otherProcessReadsOurPid() {
        const QString file = path("ours.pid");
        PidFileLock lock(fs(file));
        QVERIFY(lock.try_lock());
        testsupport::ChildProcess contender;
        QVERIFY(contender.start(helper(), {QStringLiteral("pidfile"), file}));
        QCOMPARE(contender.readLine(), QStringLiteral("HELD ") + QString::number(::getpid()));
        QCOMPARE(contender.waitForExit(), 1);
        QVERIFY(QFile::exists(file)); // the contender deleted nothing of ours
        QVERIFY(lock.owns_lock());
    }

    void staleFileFromAKilledHolderIsOverwritten() {
        const QString file = path("killed.pid");
        testsupport::ChildProcess holder;
        QVERIFY(holder.start(helper(), {QStringLiteral("pidfile"), file}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));
        const qint64 holderPid = holder.pid();
        ::kill(pid_t(holderPid), SIGKILL);
        holder.waitForExit();
        // The killed holder's files stay, with its pid; the lock does not.
        QCOMPARE(readAll(file), QByteArray::number(holderPid));
        writeFile(file, "99999999999\n"); // longer than our pid: truncated, not overwritten in part
        PidFileLock lock(fs(file));
        QVERIFY(lock.try_lock());
        QCOMPARE(readAll(file), QByteArray::number(::getpid()));
    }

    void readPidToleratesOtherContent_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<int>("expected"); // 0: nullopt
        QTest::newRow("python 4.x") << QByteArray("1234") << 1234;
        QTest::newRow("white space") << QByteArray("  77 \n") << 77;
        QTest::newRow("empty") << QByteArray("") << 0;
        QTest::newRow("garbage") << QByteArray("abc") << 0;
        QTest::newRow("trailing garbage") << QByteArray("12x") << 0;
        QTest::newRow("negative") << QByteArray("-5") << 0;
        QTest::newRow("zero") << QByteArray("0") << 0;
        QTest::newRow("huge") << QByteArray(100, '9') << 0;
    }
    void readPidToleratesOtherContent() {
        QFETCH(QByteArray, content);
        QFETCH(int, expected);
        const QString file = path("content.pid");
        writeFile(file, content);
        PidFileLock lock(fs(file));
        auto pid = lock.read_pid();
        QCOMPARE(pid.value_or(0), expected);
        QFile::remove(file);
        QVERIFY(!lock.read_pid());
    }

    void badInputChangesNothing() {
        const QString missing = m_dir.filePath(QStringLiteral("no/such/dir/x.pid"));
        PidFileLock lock(fs(missing));
        try {
            lock.lock();
            QFAIL("lock() succeeded in a missing directory");
        } catch (const portalocker::AlreadyLocked&) {
            QFAIL("a missing directory reported as contention");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), ENOENT);
            QVERIFY2(QString::fromUtf8(error.what()).contains(missing), error.what());
        }
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, (void)lock.acquire());
        QVERIFY(!QDir(m_dir.filePath(QStringLiteral("no"))).exists());

        // A directory where the PID file should be: the sidecar lock works, the write fails,
        // and the sidecar is released and removed again.
        const QString directory = path("dir.pid");
        QVERIFY(QDir().mkpath(directory));
        PidFileLock onDirectory(fs(directory));
        std::error_code ec;
        QVERIFY(!onDirectory.try_lock(ec));
        QCOMPARE(ec.value(), EISDIR);
        QVERIFY(!onDirectory.owns_lock());
        QVERIFY(!QFile::exists(directory + QStringLiteral(".lock")));
        QVERIFY(QDir(directory).exists());
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, onDirectory.lock());

        lock.unlock(ec);
        QVERIFY(ec == portalocker::errc::not_locked);
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, lock.unlock());
    }

    void standardGuard() {
        const QString file = path("guard.pid");
        PidFileLock lock(fs(file));
        {
            std::unique_lock guard(lock, 1s);
            QVERIFY(guard.owns_lock());
            QVERIFY(QFile::exists(file));
        }
        QVERIFY(!QFile::exists(file));
    }
};

QTEST_GUILESS_MAIN(TestPidFileLock)
#include "tst_pidfilelock.moc"
