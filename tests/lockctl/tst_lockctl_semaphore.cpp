// lockctl semaphore: exit statuses, the command run while a slot is held, the slot named on
// stderr, waiting, holding until SIGTERM, signal forwarding, and usage errors.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <memory>
#include <thread>

#include <csignal>

using namespace std::chrono_literals;
using portalocker::BoundedSemaphore;

class TestLockctlSemaphore : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    std::filesystem::path dir() const { return m_dir.path().toStdString(); }
    static QString lockctl() { return testsupport::programPath("LOCKSCOPE_LOCKCTL"); }
    QString slotFile(const QString& name, int number) const {
        return QDir(m_dir.path())
            .filePath(name + QStringLiteral(".%1.lock").arg(number, 2, 10, QLatin1Char('0')));
    }
    /// lockctl semaphore OUR-DIRECTORY NAME MAXIMUM + `more`.
    bool start(testsupport::ChildProcess& process, const QString& name, int maximum,
               const QStringList& more = {}) {
        return process.start(lockctl(), QStringList{QStringLiteral("semaphore"), m_dir.path(), name,
                                                    QString::number(maximum)} +
                                            more);
    }
    /// Waits until `text` shows on the process's stderr.
    static bool waitForStderr(testsupport::ChildProcess& process, const QString& text) {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 10000) {
            if (process.standardError().contains(text))
                return true;
            process.process().waitForReadyRead(100);
        }
        return false;
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void help() {
        testsupport::ChildProcess process;
        QVERIFY(process.start(lockctl(), {QStringLiteral("semaphore"), QStringLiteral("--help")}));
        QVERIFY(process.readLine().startsWith(QStringLiteral("usage: lockctl semaphore")));
        QCOMPARE(process.waitForExit(), 0);
    }

    void usageErrors_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("nothing") << QStringList{};
        QTest::newRow("no maximum") << QStringList{QStringLiteral("/tmp"), QStringLiteral("x")};
        QTest::newRow("maximum 0")
            << QStringList{QStringLiteral("/tmp"), QStringLiteral("x"), QStringLiteral("0")};
        QTest::newRow("maximum text")
            << QStringList{QStringLiteral("/tmp"), QStringLiteral("x"), QStringLiteral("three")};
        QTest::newRow("bad timeout")
            << QStringList{QStringLiteral("/tmp"), QStringLiteral("x"), QStringLiteral("2"),
                           QStringLiteral("--timeout"), QStringLiteral("-1")};
        QTest::newRow("bad backend")
            << QStringList{QStringLiteral("/tmp"), QStringLiteral("x"), QStringLiteral("2"),
                           QStringLiteral("--backend"), QStringLiteral("carrier-pigeon")};
        QTest::newRow("unknown option") << QStringList{QStringLiteral("--frobnicate")};
    }
    void usageErrors() {
        QFETCH(QStringList, arguments);
        testsupport::ChildProcess process;
        QVERIFY(process.start(lockctl(), QStringList{QStringLiteral("semaphore")} + arguments));
        QCOMPARE(process.waitForExit(), 2);
        QVERIFY(process.standardError().contains(QStringLiteral("usage: lockctl semaphore")));
    }

    void runsTheCommandWhileHoldingASlot() {
        // flock(1) -n on the slot file fails while lockctl holds it: the command exits 11 then.
        const QString name = QStringLiteral("run");
        testsupport::ChildProcess process;
        QVERIFY(start(process, name, 2,
                      {QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                       QStringLiteral("if flock -n \"$0\" true; then exit 10; else exit 11; fi"),
                       slotFile(name, 0)}));
        QCOMPARE(process.waitForExit(), 11);
        QVERIFY2(process.standardError().contains(slotFile(name, 0)),
                 qPrintable(process.standardError()));
        BoundedSemaphore after(2, {.name = name.toStdString(), .directory = dir()});
        QVERIFY(after.try_lock()); // released on exit
        QCOMPARE(after.slot(), std::optional<int>(0));
    }

    void takesTheNextFreeSlot() {
        const QString name = QStringLiteral("next");
        BoundedSemaphore ours(2, {.name = name.toStdString(), .directory = dir()});
        QVERIFY(ours.try_lock());
        testsupport::ChildProcess process;
        QVERIFY(start(process, name, 2, {QStringLiteral("--"), QStringLiteral("true")}));
        QCOMPARE(process.waitForExit(), 0);
        QVERIFY(process.standardError().contains(QStringLiteral("slot 1 of 2")));
        QVERIFY(process.standardError().contains(slotFile(name, 1)));
    }

    void commandStatusAndSignals() {
        testsupport::ChildProcess failing;
        QVERIFY(start(failing, QStringLiteral("status"), 1,
                      {QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                       QStringLiteral("exit 7")}));
        QCOMPARE(failing.waitForExit(), 7);
        testsupport::ChildProcess killed;
        QVERIFY(start(killed, QStringLiteral("status"), 1,
                      {QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                       QStringLiteral("kill -9 $$")}));
        QCOMPARE(killed.waitForExit(), 128 + SIGKILL);

        // SIGTERM to lockctl is forwarded to the command, which dies of it.
        testsupport::ChildProcess forwarded;
        QVERIFY(start(forwarded, QStringLiteral("status"), 1,
                      {QStringLiteral("--"), QStringLiteral("sleep"), QStringLiteral("30")}));
        QVERIFY(waitForStderr(forwarded, QStringLiteral("holding slot 0")));
        QTest::qWait(200); // let the command start
        ::kill(pid_t(forwarded.pid()), SIGTERM);
        QCOMPARE(forwarded.waitForExit(), 128 + SIGTERM);
    }

    void notAcquiredNamesTheHolders() {
        const QString name = QStringLiteral("full");
        testsupport::ChildProcess holder;
        QVERIFY(
            holder.start(testsupport::programPath("LOCKSCOPE_FAMILYHELPER"),
                         {QStringLiteral("semaphore"), m_dir.path(), name, QStringLiteral("1")}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("SLOT 0")));

        testsupport::ChildProcess once;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(start(once, name, 1,
                      {QStringLiteral("--timeout"), QStringLiteral("0"), QStringLiteral("--"),
                       QStringLiteral("true")}));
        QCOMPARE(once.waitForExit(), 1);
        QVERIFY(timer.elapsed() < testsupport::timeBound(3000));
        const QString message = once.standardError();
        QVERIFY2(message.contains(QStringLiteral("pid ") + QString::number(holder.pid())),
                 qPrintable(message));
        QCOMPARE(message.count(u'\n'), 1); // one line

        testsupport::ChildProcess waiting;
        timer.restart();
        QVERIFY(start(waiting, name, 1,
                      {QStringLiteral("--timeout"), QStringLiteral("0.3"), QStringLiteral("--"),
                       QStringLiteral("true")}));
        QCOMPARE(waiting.waitForExit(), 1);
        QVERIFY(timer.elapsed() >= 250);
    }

    void waitsForeverByDefault() {
        const QString name = QStringLiteral("forever");
        BoundedSemaphore ours(1, {.name = name.toStdString(), .directory = dir()});
        QVERIFY(ours.try_lock());
        testsupport::ChildProcess process;
        QVERIFY(start(process, name, 1, {QStringLiteral("--"), QStringLiteral("true")}));
        QVERIFY(!process.process().waitForFinished(1000)); // still waiting after a second
        ours.unlock();
        QCOMPARE(process.waitForExit(), 0);
    }

    void holdsUntilSigterm() {
        const QString name = QStringLiteral("hold");
        testsupport::ChildProcess process;
        QVERIFY(start(process, name, 1));
        QVERIFY(waitForStderr(process, QStringLiteral("holding slot 0")));
        BoundedSemaphore ours(1, {.name = name.toStdString(), .directory = dir()});
        QVERIFY(!ours.try_lock());
        ::kill(pid_t(process.pid()), SIGTERM);
        QCOMPARE(process.waitForExit(), 0);
        QVERIFY(ours.try_lock());
    }

    void otherFailuresExit3() {
        testsupport::ChildProcess process;
        QVERIFY(process.start(lockctl(),
                              {QStringLiteral("semaphore"),
                               m_dir.filePath(QStringLiteral("no/such/dir")), QStringLiteral("x"),
                               QStringLiteral("2"), QStringLiteral("--"), QStringLiteral("true")}));
        QCOMPARE(process.waitForExit(), 3);
        QVERIFY(process.standardError().contains(QStringLiteral("No such file or directory")));
        QVERIFY(!QDir(m_dir.filePath(QStringLiteral("no"))).exists());
    }
};

QTEST_GUILESS_MAIN(TestLockctlSemaphore)
#include "tst_lockctl_semaphore.moc"
