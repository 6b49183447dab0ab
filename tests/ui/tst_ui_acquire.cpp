// The acquire panel takes and releases real locks: a file lock that another Lock then cannot
// take and that the file-lock table shows as ours; a wait that is cancelled promptly; a wait
// that times out; a wait that ends when the other process releases; semaphore slots.

#include "testsupport.h"

#include "workers/acquirejob.h"
#include "widgets/acquirepage.h"
#include "session/appsettings.h"
#include "models/filelockmodel.h"
#include "models/heldlockmodel.h"
#include "session/inspectorsession.h"

#include <portalocker/boundedsemaphore.hpp>
#include <portalocker/lock.hpp>
#include <portalocker/waitnotice.hpp>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using testsupport::ChildProcess;

class TestUiAcquire : public QObject {
    Q_OBJECT

  private slots:
    void init();
    void cleanup();
    void takeAndReleaseFileLock();
    void cancelWait();
    void oneWaitOneHelper_data();
    void oneWaitOneHelper();
    void cancelAtOnce();
    void closingEndsWaits();
    void waitTimesOut();
    void waitEndsWhenReleased();
    void semaphoreSlots();

  private:
    bool othersCanLock(const QString& path);
    QModelIndex ourLock(const QString& path) const;

    std::unique_ptr<QTemporaryDir> m_directory;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<InspectorSession> m_session;
    std::unique_ptr<AcquirePage> m_page;
};

void TestUiAcquire::init() {
    m_directory = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<AppSettings>(m_directory->filePath(u"settings.ini"_s));
    m_session = std::make_unique<InspectorSession>(m_settings.get());
    m_session->setRefreshInterval(100);
    m_page = std::make_unique<AcquirePage>(m_session.get());
    m_page->show();
    m_session->start();
}

void TestUiAcquire::cleanup() {
    m_page.reset();
    m_session.reset();
    m_settings.reset();
    m_directory.reset();
}

bool TestUiAcquire::othersCanLock(const QString& path) {
    portalocker::Lock other(path.toStdString());
    std::error_code ec;
    const bool locked = other.try_lock(ec);
    if (locked)
        other.unlock(ec);
    return locked;
}

QModelIndex TestUiAcquire::ourLock(const QString& path) const {
    FileLockModel* model = m_session->fileLocks();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, 0);
        if (index.data(FileLockModel::PathRole).toString() == path &&
            index.data(FileLockModel::PidRole).toLongLong() == QCoreApplication::applicationPid())
            return index;
    }
    return {};
}

void TestUiAcquire::takeAndReleaseFileLock() {
    const QString path = m_directory->filePath(u"mine.lock"_s);
    m_page->prefillFile(path);
    m_page->setTimeoutMs(2000);
    AcquireJob* job = m_page->acquire();
    QVERIFY(job);
    QTRY_COMPARE(job->state(), AcquireJob::State::held);
    QVERIFY(!othersCanLock(path));
    // The inspector sees its own lock, with this process as holder.
    QTRY_VERIFY_WITH_TIMEOUT(ourLock(path).isValid(), 10000);
    HeldLockModel* held = m_session->heldLocks();
    QCOMPARE(held->rowCount(), 1);
    QVERIFY(held->index(0, HeldLockModel::TimeColumn).data().toString().startsWith(u"held"_s));

    job->release();
    QTRY_COMPARE(job->state(), AcquireJob::State::released);
    QVERIFY(othersCanLock(path));
    QTRY_VERIFY_WITH_TIMEOUT(!ourLock(path).isValid(), 10000);
}

void TestUiAcquire::cancelWait() {
    const QString path = m_directory->filePath(u"busy.lock"_s);
    ChildProcess holder;
    QVERIFY(holder.startHelper({u"hold"_s, path}));
    QVERIFY(!holder.waitFor(u"LOCKED"_s).isEmpty());
    m_page->prefillFile(path);
    m_page->setTimeoutMs(-1);
    AcquireJob* job = m_page->acquire();
    QTest::qWait(300);
    QCOMPARE(job->state(), AcquireJob::State::waiting);
    QElapsedTimer clock;
    clock.start();
    job->cancel();
    QTRY_COMPARE(job->state(), AcquireJob::State::cancelled);
    QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
}

namespace {

/// The portalocker wait helpers this process runs now (children of any of its threads).
QSet<qint64> ourWaitHelpers() {
    QSet<qint64> helpers;
    const QDir tasks(u"/proc/self/task"_s);
    for (const QString& task : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile children(tasks.filePath(task + u"/children"_s));
        if (!children.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray& word : children.readAll().split(' ')) {
            const qint64 pid = word.trimmed().toLongLong();
            QFile comm(u"/proc/%1/comm"_s.arg(pid));
            if (pid > 0 && comm.open(QIODevice::ReadOnly) &&
                comm.readAll().trimmed() == QByteArray(portalocker::wait_helper_name.data(),
                                                       portalocker::wait_helper_name.size()))
                helpers.insert(pid);
        }
    }
    return helpers;
}

} // namespace

void TestUiAcquire::oneWaitOneHelper_data() {
    QTest::addColumn<bool>("semaphore");
    QTest::newRow("file") << false;
    QTest::newRow("semaphore") << true;
}

void TestUiAcquire::oneWaitOneHelper() {
    // The panel's wait is one wait of the library with its real deadline: the kernel sees the
    // same waiter (helper) all along, so no snapshot can find it cut into pieces.
    QFETCH(bool, semaphore);
    const QString path = m_directory->filePath(u"busy.lock"_s);
    ChildProcess holder;
    if (semaphore) {
        QVERIFY(holder.startHelper({u"hold"_s, m_directory->filePath(u"pool.00.lock"_s)}));
        QVERIFY(!holder.waitFor(u"LOCKED"_s).isEmpty());
        m_page->prefillSemaphore(m_directory->path(), u"pool"_s, 1);
    } else {
        QVERIFY(holder.startHelper({u"hold"_s, path}));
        QVERIFY(!holder.waitFor(u"LOCKED"_s).isEmpty());
        m_page->prefillFile(path);
    }
    m_page->setTimeoutMs(5000);
    AcquireJob* job = m_page->acquire();
    QVERIFY(job);
    QSet<qint64> seen;
    for (int sample = 0; sample < 30; ++sample) {
        seen += ourWaitHelpers();
        QTest::qWait(20);
    }
    QCOMPARE(job->state(), AcquireJob::State::waiting);
    QVERIFY2(seen.size() == 1, qPrintable(u"helpers seen: %1"_s.arg(seen.size())));
    job->cancel();
    QTRY_COMPARE(job->state(), AcquireJob::State::cancelled);
    QTRY_VERIFY(ourWaitHelpers().isEmpty());
}

void TestUiAcquire::cancelAtOnce() {
    // Cancelled at once, also right after the start (before the wait's helper exists).
    const QString path = m_directory->filePath(u"busy.lock"_s);
    ChildProcess holder;
    QVERIFY(holder.startHelper({u"hold"_s, path}));
    QVERIFY(!holder.waitFor(u"LOCKED"_s).isEmpty());
    m_page->prefillFile(path);
    m_page->setTimeoutMs(-1);
    for (const int delayMs : {0, 1, 5, 50}) {
        AcquireJob* job = m_page->acquire();
        QTest::qWait(delayMs);
        QElapsedTimer clock;
        clock.start();
        job->cancel();
        QTRY_COMPARE(job->state(), AcquireJob::State::cancelled);
        QVERIFY2(clock.elapsed() < testsupport::timeBound(300),
                 qPrintable(u"cancel after %1 ms took %2 ms"_s.arg(delayMs).arg(clock.elapsed())));
        QVERIFY(job->error().isEmpty());
    }
    QTRY_VERIFY(ourWaitHelpers().isEmpty());
}

void TestUiAcquire::closingEndsWaits() {
    // Closing the window with waits going on (no time limit) ends them at once: the session's
    // pool waits for its jobs, and a kernel wait would otherwise run on to its deadline.
    const QString path = m_directory->filePath(u"busy.lock"_s);
    ChildProcess holder;
    QVERIFY(holder.startHelper({u"hold"_s, path}));
    QVERIFY(!holder.waitFor(u"LOCKED"_s).isEmpty());
    m_page->prefillFile(path);
    m_page->setTimeoutMs(-1);
    for (int i = 0; i < 3; ++i)
        QVERIFY(m_page->acquire());
    QTRY_COMPARE(ourWaitHelpers().size(), 3);
    QElapsedTimer clock;
    clock.start();
    m_page.reset();
    m_session.reset();
    const qint64 elapsed = clock.elapsed();
    QVERIFY2(elapsed < testsupport::timeBound(500), qPrintable(QString::number(elapsed)));
    QVERIFY(ourWaitHelpers().isEmpty());
}

void TestUiAcquire::waitTimesOut() {
    const QString path = m_directory->filePath(u"busy.lock"_s);
    ChildProcess holder;
    QVERIFY(holder.startHelper({u"hold"_s, path}));
    QVERIFY(!holder.waitFor(u"LOCKED"_s).isEmpty());
    m_page->prefillFile(path);
    m_page->setTimeoutMs(500);
    QElapsedTimer clock;
    clock.start();
    AcquireJob* job = m_page->acquire();
    QTRY_COMPARE(job->state(), AcquireJob::State::timedOut);
    QVERIFY(clock.elapsed() >= 450);
    QVERIFY(clock.elapsed() < 5000);
}

void TestUiAcquire::waitEndsWhenReleased() {
    const QString path = m_directory->filePath(u"handoff.lock"_s);
    ChildProcess holder;
    QVERIFY(holder.startHelper({u"hold"_s, path}));
    QVERIFY(!holder.waitFor(u"LOCKED"_s).isEmpty());
    m_page->prefillFile(path);
    m_page->setShared(false);
    m_page->setTimeoutMs(20000);
    AcquireJob* job = m_page->acquire();
    QTest::qWait(200);
    QCOMPARE(job->state(), AcquireJob::State::waiting);
    holder.writeLine(u"release"_s);
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), AcquireJob::State::held, 10000);
    job->release();
    QTRY_COMPARE(job->state(), AcquireJob::State::released);
}

void TestUiAcquire::semaphoreSlots() {
    const QString directory = m_directory->path();
    m_page->prefillSemaphore(directory, u"slots"_s, 2);
    m_page->setTimeoutMs(300);
    AcquireJob* first = m_page->acquire();
    QTRY_COMPARE(first->state(), AcquireJob::State::held);
    QVERIFY(first->details().startsWith(u"slot 0"_s));
    AcquireJob* second = m_page->acquire();
    QTRY_COMPARE(second->state(), AcquireJob::State::held);
    QVERIFY(second->details().startsWith(u"slot 1"_s));
    AcquireJob* third = m_page->acquire();
    QTRY_COMPARE(third->state(), AcquireJob::State::timedOut);
    // A semaphore user elsewhere sees the semaphore full.
    portalocker::BoundedSemaphoreOptions options;
    options.name = "slots";
    options.directory = directory.toStdString();
    portalocker::BoundedSemaphore other(2, options);
    std::error_code ec;
    QVERIFY(!other.try_lock(ec));
    first->release();
    QTRY_COMPARE(first->state(), AcquireJob::State::released);
    QVERIFY(other.try_lock(ec));
    QCOMPARE(other.slot().value_or(-1), 0);
    other.unlock(ec);
    m_session->heldLocks()->releaseAll();
    QTRY_COMPARE(second->state(), AcquireJob::State::released);
}

QTEST_MAIN(TestUiAcquire)
#include "tst_ui_acquire.moc"
