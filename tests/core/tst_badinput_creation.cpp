// Bad input for what creates files (issue #6): bounded semaphores (maximum, name, directory),
// open_atomic (missing directory, a directory or file at the target, NUL, long names) and PID
// files. Each must fail precisely and leave nothing behind; run by main() in tst_badinput.cpp.

#include <portalocker/portalocker.hpp>

#include "badinputsupport.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <climits>

using badinput::isPrintableLine;
using badinput::Outcome;

class TestBadCreation : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_root;

  private slots:
    void initTestCase() { QVERIFY(m_root.isValid()); }

    // --- semaphores ------------------------------------------------------------------------

    void semaphoreMaximum_data() {
        QTest::addColumn<int>("maximum");
        QTest::newRow("0") << 0;
        QTest::newRow("-1") << -1;
        QTest::newRow("INT_MIN") << INT_MIN;
    }
    void semaphoreMaximum() {
        QFETCH(int, maximum);
        QTemporaryDir directory(m_root.path() + QStringLiteral("/sem-XXXXXX"));
        portalocker::BoundedSemaphore semaphore(
            maximum, {.name = "jobs", .directory = directory.path().toStdString()});
        std::error_code ec;
        QVERIFY(!semaphore.try_lock(ec));
        COMPARE_EC(ec, make_error_code(portalocker::errc::invalid_argument));
        try {
            semaphore.lock();
            QFAIL("no exception");
        } catch (const portalocker::AlreadyLocked& e) {
            QFAIL(e.what());
        } catch (const portalocker::LockException& e) {
            COMPARE_EC(e.code(), make_error_code(portalocker::errc::invalid_argument));
            QVERIFY2(QByteArray(e.what()).contains("maximum"), e.what());
        }
        QVERIFY(!semaphore.owns_lock());
        QCOMPARE(badinput::entries(directory.path()), QStringList());
    }

    void semaphoreHugeMaximum() {
        QTemporaryDir directory(m_root.path() + QStringLiteral("/sem-XXXXXX"));
        portalocker::BoundedSemaphore semaphore(
            INT_MAX, {.name = "jobs", .directory = directory.path().toStdString()});
        QVERIFY(semaphore.try_lock()); // slot 0: the maximum is a bound, nothing is made up front
        QCOMPARE(semaphore.slot(), std::optional<int>(0));
        QCOMPARE(QString::fromStdString(semaphore.filename(INT_MAX - 1).filename().string()),
                 QStringLiteral("jobs.2147483646.lock"));
        semaphore.unlock();
        QCOMPARE(badinput::entries(directory.path()), QStringList{QStringLiteral("jobs.00.lock")});
    }

    void lockctlSemaphoreArguments_data() {
        QTest::addColumn<QStringList>("arguments"); // DIRECTORY NAME MAXIMUM
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QByteArray>("message");
        const QString dir = QStringLiteral("@DIR@");
        QTest::newRow("maximum 0")
            << QStringList{dir, QStringLiteral("s"), QStringLiteral("0")} << 2
            << QByteArray("MAXIMUM must be a whole number of at least 1, not '0'");
        QTest::newRow("maximum -1") << QStringList{dir, QStringLiteral("s"), QStringLiteral("-1")}
                                    << 2 << QByteArray("not '-1'");
        QTest::newRow("maximum letters")
            << QStringList{dir, QStringLiteral("s"), QStringLiteral("3x")} << 2
            << QByteArray("not '3x'");
        QTest::newRow("maximum > INT_MAX")
            << QStringList{dir, QStringLiteral("s"), QStringLiteral("99999999999")} << 2
            << QByteArray("not '99999999999'");
        QTest::newRow("empty name") << QStringList{dir, QString(), QStringLiteral("2")} << 2
                                    << QByteArray("DIRECTORY and NAME must not be empty");
        QTest::newRow("name with a slash")
            << QStringList{dir, QStringLiteral("../escape"), QStringLiteral("2")} << 2
            << QByteArray("NAME must not contain '/'");
        QTest::newRow("missing directory")
            << QStringList{dir + QStringLiteral("/missing"), QStringLiteral("s"),
                           QStringLiteral("2")}
            << 3 << QByteArray("missing/s.00.lock): No such file or directory");
        QTest::newRow("directory is a file")
            << QStringList{dir + QStringLiteral("/file"), QStringLiteral("s"), QStringLiteral("2")}
            << 3 << QByteArray("file/s.00.lock): Not a directory");
        QTest::newRow("control characters in the name")
            << QStringList{dir + QStringLiteral("/missing"), QStringLiteral("a\nb\x1b"),
                           QStringLiteral("2")}
            << 3 << QByteArray("cannot take a slot of 'a\\nb\\x1b'");
        QTest::newRow("huge maximum")
            << QStringList{dir, QStringLiteral("s"), QStringLiteral("2147483647")} << 0
            << QByteArray("holding slot 0 of 2147483647");
    }
    void lockctlSemaphoreArguments() {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QByteArray, message);
        QTemporaryDir directory(m_root.path() + QStringLiteral("/sem-XXXXXX"));
        QVERIFY(QFile(directory.filePath(QStringLiteral("file"))).open(QIODevice::WriteOnly));
        arguments.replaceInStrings(QStringLiteral("@DIR@"), directory.path());
        const Outcome outcome =
            badinput::lockctl(QStringList{QStringLiteral("semaphore")} + arguments +
                              QStringList{QStringLiteral("--timeout"), QStringLiteral("0"),
                                          QStringLiteral("--"), QStringLiteral("true")});
        QVERIFY2(outcome.exitCode == exitCode, qPrintable(outcome.describe()));
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.describe()));
        QVERIFY2(isPrintableLine(outcome.err.split('\n').first()), qPrintable(outcome.describe()));
        QStringList expected{QStringLiteral("file")};
        if (exitCode == 0)
            expected.append(QStringLiteral("s.00.lock"));
        QCOMPARE(badinput::entries(directory.path()), expected);
        QVERIFY(!QFile::exists(m_root.path() + QStringLiteral("/escape.00.lock")));
    }

    // --- open_atomic ----------------------------------------------------------------------

    void openAtomicRefuses_data() {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<int>("error");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("missing directory")
            << QByteArray("missing/out.txt") << ENOENT
            << QByteArray("missing/out.txt': No such file or directory");
        QTest::newRow("onto a directory")
            << QByteArray("adir") << EEXIST << QByteArray("refusing to overwrite '");
        QTest::newRow("onto a file")
            << QByteArray("existing.txt") << EEXIST << QByteArray("existing.txt': File exists");
        QTest::newRow("NUL byte") << QByteArray("existing.txt\0.new", 17) << EINVAL
                                  << QByteArray("existing.txt\\x00.new': Invalid argument");
        QTest::newRow("name > NAME_MAX")
            << QByteArray(NAME_MAX + 1, 'n') << ENAMETOOLONG << QByteArray("File name too long");
        QTest::newRow("directory is a file")
            << QByteArray("existing.txt/out") << ENOTDIR << QByteArray("Not a directory");
    }
    void openAtomicRefuses() {
        QFETCH(QByteArray, target);
        QFETCH(int, error);
        QFETCH(QByteArray, message);
        QTemporaryDir directory(m_root.path() + QStringLiteral("/atomic-XXXXXX"));
        QVERIFY(QDir(directory.path()).mkdir(QStringLiteral("adir")));
        {
            QFile keep(directory.filePath(QStringLiteral("adir/keep")));
            QVERIFY(keep.open(QIODevice::WriteOnly));
            QFile existing(directory.filePath(QStringLiteral("existing.txt")));
            QVERIFY(existing.open(QIODevice::WriteOnly));
            existing.write("original\n");
        }
        const QStringList before = badinput::entries(directory.path());
        const std::string path =
            QByteArray(QFile::encodeName(directory.path()) + '/' + target).toStdString();
        bool writerCalled = false;
        try {
            portalocker::open_atomic(path, [&](std::ostream& out) {
                writerCalled = true;
                out << "replacement\n";
            });
            QFAIL("not refused");
        } catch (const portalocker::LockException& e) {
            COMPARE_ERRNO(e.code(), error);
            QVERIFY2(QByteArray(e.what()).contains(message), e.what());
            QVERIFY2(isPrintableLine(e.what()), e.what());
        }
        QVERIFY(!writerCalled);
        std::error_code ec;
        portalocker::AtomicFile file(path, ec);
        COMPARE_ERRNO(ec, error);
        QVERIFY(!file.is_open());
        QCOMPARE(badinput::entries(directory.path()), before);
        QFile existing(directory.filePath(QStringLiteral("existing.txt")));
        QVERIFY(existing.open(QIODevice::ReadOnly));
        QCOMPARE(existing.readAll(), QByteArray("original\n"));
    }

    // A target name of exactly NAME_MAX is legal: the temporary name is cut to fit.
    void openAtomicLongestName() {
        QTemporaryDir directory(m_root.path() + QStringLiteral("/atomic-XXXXXX"));
        const QString name(NAME_MAX, QLatin1Char('n'));
        portalocker::open_atomic(directory.filePath(name).toStdString(),
                                 [](std::ostream& out) { out << "ok"; });
        QCOMPARE(badinput::entries(directory.path()), QStringList{name});
    }

    // --- PID files ------------------------------------------------------------------------

    void pidFileLockRefuses() {
        QTemporaryDir directory(m_root.path() + QStringLiteral("/pid-XXXXXX"));
        portalocker::PidFileLock missing(
            directory.filePath(QStringLiteral("missing/app.pid")).toStdString());
        try {
            missing.lock();
            QFAIL("not refused");
        } catch (const portalocker::AlreadyLocked& e) {
            QFAIL(e.what());
        } catch (const portalocker::LockException& e) {
            COMPARE_EC(e.code(), std::error_code(ENOENT, std::system_category()));
            QVERIFY2(QByteArray(e.what()).contains("missing/app.pid.lock"), e.what());
        }
        QVERIFY(QDir(directory.path()).mkdir(QStringLiteral("app.pid")));
        portalocker::PidFileLock onDirectory(
            directory.filePath(QStringLiteral("app.pid")).toStdString());
        std::error_code ec;
        const bool acquired = onDirectory.try_lock(ec);
        QVERIFY(!acquired);
        COMPARE_EC(ec, std::error_code(EISDIR, std::system_category()));
        QVERIFY(!onDirectory.owns_lock());
        // The sidecar it had to create is gone again; the directory is untouched.
        QCOMPARE(badinput::entries(directory.path()), QStringList{QStringLiteral("app.pid")});
    }
};

int runCreationTests(int argc, char** argv) {
    TestBadCreation creation;
    return QTest::qExec(&creation, argc, argv);
}

#include "tst_badinput_creation.moc"
