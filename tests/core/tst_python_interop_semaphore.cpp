// BoundedSemaphore against Python portalocker's (Debian's python3-portalocker, run with
// /usr/bin/python3): the same slot file names for a range of patterns, and holders of each
// side skipped by the other on the same files. A missing Python portalocker is a failure.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <memory>
#include <thread>

using namespace std::chrono_literals;
using portalocker::BoundedSemaphore;

namespace {

const QString python = QStringLiteral("/usr/bin/python3");

// Lines of ours start with "PY": portalocker 2.2.1 prints debugging lines of its own.
const QString script = QStringLiteral(R"(
import sys, portalocker
mode = sys.argv[1]
if mode == 'names':
    maximum, name, directory, pattern = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    semaphore = portalocker.BoundedSemaphore(maximum, name=name, directory=directory,
                                             filename_pattern=pattern)
    for number in range(maximum):
        print('PYNAME', semaphore.get_filename(number), flush=True)
elif mode == 'hold':
    maximum, name, directory = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    timeout = float(sys.argv[5])
    semaphore = portalocker.BoundedSemaphore(maximum, name=name, directory=directory,
                                             timeout=timeout)
    try:
        lock = semaphore.acquire()
    except portalocker.AlreadyLocked:
        lock = None
    if lock is None:
        print('PYNONE', flush=True)
        sys.exit(1)
    print('PYSLOT', lock.filename, flush=True)
    for line in sys.stdin:
        if line.strip() == 'release':
            semaphore.release()
            print('PYRELEASED', flush=True)
        elif line.strip() == 'exit':
            break
)");

} // namespace

class TestPythonInteropSemaphore : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    std::filesystem::path dir() const { return m_dir.path().toStdString(); }

    /// A Python process holding (or trying to take) a slot of NAME.
    std::unique_ptr<testsupport::ChildProcess> pythonHolder(const QString& name, int maximum,
                                                            double timeout = 0) {
        auto child = std::make_unique<testsupport::ChildProcess>();
        if (!child->start(python,
                          {QStringLiteral("-c"), script, QStringLiteral("hold"),
                           QString::number(maximum), name, m_dir.path(), QString::number(timeout)}))
            return nullptr;
        return child;
    }
    QString slotFile(const QString& name, int number) const {
        return QDir(m_dir.path())
            .filePath(name + QStringLiteral(".%1.lock").arg(number, 2, 10, QLatin1Char('0')));
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QProcess probe;
        probe.start(python, {QStringLiteral("-c"),
                             QStringLiteral("import portalocker; print(portalocker.__version__)")});
        QVERIFY2(probe.waitForFinished(30000), "cannot run /usr/bin/python3");
        QVERIFY2(probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0,
                 "/usr/bin/python3 cannot import portalocker: install python3-portalocker");
        qInfo("Python portalocker %s", probe.readAllStandardOutput().trimmed().constData());
    }

    void filenamesMatchPython_data() {
        QTest::addColumn<QString>("pattern");
        const char* patterns[] = {"{name}.{number:02d}.lock",
                                  "{number:>4}{name}",
                                  "{number:*^5d}",
                                  "{number:=+5}",
                                  "{number:<05}",
                                  "{number:#06x}",
                                  "{name:_<9}{number}",
                                  "{name:.2}{number}",
                                  "{name:07}{number}",
                                  "{{{name}}}{number:X}",
                                  "{number:#b}-{name:s}",
                                  "{number: d}{name:^11}"};
        for (const char* pattern : patterns)
            QTest::newRow(pattern) << QString::fromLatin1(pattern);
    }
    void filenamesMatchPython() {
        QFETCH(QString, pattern);
        const int maximum = 12;
        QProcess names;
        names.start(python,
                    {QStringLiteral("-c"), script, QStringLiteral("names"),
                     QString::number(maximum), QStringLiteral("jobs"), m_dir.path(), pattern});
        QVERIFY(names.waitForFinished(30000));
        QCOMPARE(names.exitCode(), 0);
        QStringList pythonNames;
        for (const QByteArray& line : names.readAllStandardOutput().split('\n'))
            if (line.startsWith("PYNAME "))
                pythonNames << QString::fromUtf8(line.mid(7));
        QCOMPARE(pythonNames.size(), maximum);
        BoundedSemaphore ours(
            maximum,
            {.name = "jobs", .filename_pattern = pattern.toStdString(), .directory = dir()});
        for (int number = 0; number < maximum; ++number)
            QCOMPARE(QString::fromStdString(ours.filename(number).string()), pythonNames[number]);
    }

    void pythonHolderIsSkippedByUs() {
        const QString name = QStringLiteral("py-first");
        auto holder = pythonHolder(name, 2);
        QVERIFY(holder);
        QCOMPARE(holder->waitFor(QStringLiteral("PY")),
                 QStringLiteral("PYSLOT ") + slotFile(name, 0));

        BoundedSemaphore first(2, {.name = name.toStdString(), .directory = dir()});
        QVERIFY(first.try_lock());
        QCOMPARE(first.slot(), std::optional<int>(1));
        BoundedSemaphore second(2, {.name = name.toStdString(), .directory = dir()});
        QVERIFY(!second.try_lock());

        holder->writeLine(QStringLiteral("release"));
        QCOMPARE(holder->waitFor(QStringLiteral("PY")), QStringLiteral("PYRELEASED"));
        QVERIFY(second.try_lock());
        QCOMPARE(second.slot(), std::optional<int>(0));
    }

    void ourHolderIsSkippedByPython() {
        const QString name = QStringLiteral("cpp-first");
        BoundedSemaphore ours(2, {.name = name.toStdString(), .directory = dir()});
        QVERIFY(ours.try_lock());
        QCOMPARE(ours.slot(), std::optional<int>(0));

        auto python1 = pythonHolder(name, 2);
        QVERIFY(python1);
        QCOMPARE(python1->waitFor(QStringLiteral("PY")),
                 QStringLiteral("PYSLOT ") + slotFile(name, 1));
        auto python2 = pythonHolder(name, 2);
        QVERIFY(python2);
        QCOMPARE(python2->waitFor(QStringLiteral("PY")), QStringLiteral("PYNONE"));
        QCOMPARE(python2->waitForExit(), 1);

        ours.unlock();
        auto python3 = pythonHolder(name, 2);
        QVERIFY(python3);
        QCOMPARE(python3->waitFor(QStringLiteral("PY")),
                 QStringLiteral("PYSLOT ") + slotFile(name, 0));
    }

    void ourWaiterWakesWhenPythonReleases() {
        const QString name = QStringLiteral("py-release");
        auto holder = pythonHolder(name, 1);
        QVERIFY(holder);
        QVERIFY(holder->waitFor(QStringLiteral("PY")).startsWith(QStringLiteral("PYSLOT")));
        BoundedSemaphore ours(1, {.name = name.toStdString(), .directory = dir()});
        std::thread releaser([&] {
            std::this_thread::sleep_for(300ms);
            holder->writeLine(QStringLiteral("release"));
        });
        QElapsedTimer timer;
        timer.start();
        const bool acquired = ours.try_lock_for(20s);
        const qint64 waited = timer.elapsed();
        releaser.join();
        QVERIFY(acquired);
        QVERIFY2(waited >= 250 && waited < 5000, qPrintable(QString::number(waited)));
    }

    void pythonWaiterGetsTheSlotWeRelease() {
        const QString name = QStringLiteral("cpp-release");
        BoundedSemaphore ours(1, {.name = name.toStdString(), .directory = dir()});
        QVERIFY(ours.try_lock());
        auto waiter = pythonHolder(name, 1, 20);
        QVERIFY(waiter);
        QTest::qWait(300);
        ours.unlock();
        QCOMPARE(waiter->waitFor(QStringLiteral("PY"), 20000),
                 QStringLiteral("PYSLOT ") + slotFile(name, 0));
        QVERIFY(!ours.try_lock()); // now Python's
    }
};

QTEST_GUILESS_MAIN(TestPythonInteropSemaphore)
#include "tst_python_interop_semaphore.moc"
