// Interoperability with Python portalocker (Debian's python3-portalocker 2.2.1): a Python
// holder blocks our Lock and `lockctl hold`, and ours blocks Python's, on the same file.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace std::chrono_literals;

namespace {

const QString python = QStringLiteral("/usr/bin/python3");

// Holds a portalocker.Lock until a line arrives on stdin; prints LOCKED / TIMEOUT.
const QString pythonHolder = QStringLiteral(R"(
import sys, portalocker
path, shared, timeout = sys.argv[1], sys.argv[2] == 'shared', float(sys.argv[3])
flags = (portalocker.LockFlags.SHARED if shared else portalocker.LockFlags.EXCLUSIVE) | portalocker.LockFlags.NON_BLOCKING
lock = portalocker.Lock(path, mode='a', timeout=timeout, flags=flags)
try:
    lock.acquire()
except portalocker.exceptions.LockException:
    print('TIMEOUT', flush=True)
    sys.exit(1)
print('LOCKED', flush=True)
sys.stdin.readline()
lock.release()
print('RELEASED', flush=True)
)");

} // namespace

class TestPythonInterop : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    bool startPython(testsupport::ChildProcess& child, const QString& path, bool shared,
                     double timeout) {
        return child.start(python, {QStringLiteral("-c"), pythonHolder, path,
                                    shared ? QStringLiteral("shared") : QStringLiteral("exclusive"),
                                    QString::number(timeout)});
    }

  private slots:
    void pythonPortalockerIsInstalled() {
        // A missing dependency is a failure, not a skip: CI installs python3-portalocker.
        testsupport::ChildProcess probe;
        QVERIFY(probe.start(
            python, {QStringLiteral("-c"),
                     QStringLiteral("import portalocker; print(portalocker.__version__)")}));
        const QString version = probe.readLine();
        QCOMPARE(probe.waitForExit(), 0);
        QVERIFY2(!version.isEmpty(), "/usr/bin/python3 cannot import portalocker");
    }

    void pythonHolderBlocksOurLock() {
        const QString path = m_dir.filePath(QStringLiteral("py-holds.lock"));
        testsupport::ChildProcess holder;
        QVERIFY(startPython(holder, path, false, 5));
        QCOMPARE(holder.readLine(), QStringLiteral("LOCKED"));

        portalocker::Lock ours(path.toStdString());
        QVERIFY(!ours.try_lock());
        QVERIFY(!ours.try_lock_shared());
        QVERIFY(!ours.try_lock_for(100ms));

        // And ours wakes as soon as Python releases.
        std::thread releaser([&] {
            std::this_thread::sleep_for(150ms);
            holder.writeLine(QStringLiteral("release"));
        });
        QElapsedTimer timer;
        timer.start();
        QVERIFY(ours.try_lock_for(10s));
        releaser.join();
        QVERIFY(timer.elapsed() < testsupport::timeBound(5000));
    }

    void pythonHolderBlocksLockctlHold() {
        const QString path = m_dir.filePath(QStringLiteral("py-holds-cli.lock"));
        testsupport::ChildProcess holder;
        QVERIFY(startPython(holder, path, false, 5));
        QCOMPARE(holder.readLine(), QStringLiteral("LOCKED"));

        testsupport::ChildProcess cli;
        QVERIFY(cli.start(testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                          {QStringLiteral("hold"), path, QStringLiteral("--timeout"),
                           QStringLiteral("0"), QStringLiteral("--"), QStringLiteral("true")}));
        QCOMPARE(cli.waitForExit(), 1);
        QVERIFY2(cli.standardError().contains(QString::number(holder.pid())),
                 qPrintable(cli.standardError()));
    }

    void ourLockBlocksPython() {
        const QString path = m_dir.filePath(QStringLiteral("we-hold.lock"));
        portalocker::Lock ours(path.toStdString());
        QVERIFY(ours.try_lock());
        testsupport::ChildProcess contender;
        QVERIFY(startPython(contender, path, false, 0.3));
        QCOMPARE(contender.readLine(), QStringLiteral("TIMEOUT"));
        QCOMPARE(contender.waitForExit(), 1);

        testsupport::ChildProcess reader;
        QVERIFY(startPython(reader, path, true, 0.3));
        QCOMPARE(reader.readLine(), QStringLiteral("TIMEOUT"));

        ours.unlock();
        testsupport::ChildProcess after;
        QVERIFY(startPython(after, path, false, 1));
        QCOMPARE(after.readLine(), QStringLiteral("LOCKED"));
    }

    void sharedLocksCoexistAcrossLanguages() {
        const QString path = m_dir.filePath(QStringLiteral("shared.lock"));
        portalocker::Lock ours(path.toStdString(), {.mode = "a+"});
        QVERIFY(ours.try_lock_shared());
        testsupport::ChildProcess reader;
        QVERIFY(startPython(reader, path, true, 1));
        QCOMPARE(reader.readLine(), QStringLiteral("LOCKED"));
        portalocker::Lock writer(path.toStdString());
        QVERIFY(!writer.try_lock());
    }

    void lockctlHoldBlocksPython() {
        const QString path = m_dir.filePath(QStringLiteral("cli-holds.lock"));
        testsupport::ChildProcess cli;
        QVERIFY(cli.start(testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                          {QStringLiteral("hold"), path, QStringLiteral("--"), QStringLiteral("sh"),
                           QStringLiteral("-c"), QStringLiteral("echo HOLDING; read line")}));
        QCOMPARE(cli.readLine(), QStringLiteral("HOLDING"));
        testsupport::ChildProcess contender;
        QVERIFY(startPython(contender, path, false, 0.2));
        QCOMPARE(contender.readLine(), QStringLiteral("TIMEOUT"));
        cli.writeLine(QStringLiteral("done"));
        QCOMPARE(cli.waitForExit(), 0);
        testsupport::ChildProcess after;
        QVERIFY(startPython(after, path, false, 1));
        QCOMPARE(after.readLine(), QStringLiteral("LOCKED"));
    }
};

QTEST_GUILESS_MAIN(TestPythonInterop)
#include "tst_python_interop.moc"
