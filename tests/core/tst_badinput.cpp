// Bad input for file locks (issue #6): every path that can go wrong, through the library and
// through lockctl. Semaphores, open_atomic and PID files are in tst_badinput_creation.cpp;
// main() below runs both. Each must give a precise error that names
// the problem, within a deadline, and leave nothing behind (no file, no descriptor, no lock,
// no process).

#include <portalocker/portalocker.hpp>

#include "badinputsupport.h"
#include "testsupport.h"

#include <QDir>
#include <QScopeGuard>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <climits>
#include <sys/stat.h>
#include <unistd.h>

using badinput::Outcome;

using badinput::bytes;
using badinput::isPrintableLine;
using badinput::lockctlWithRawPath;

class TestBadInput : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_root;

    QByteArray root() const { return QFile::encodeName(m_root.path()); }

  private slots:
    void initTestCase() {
        QVERIFY(m_root.isValid());
        testsupport::programPath("LOCKSCOPE_LOCKCTL");
        testsupport::programPath("LOCKSCOPE_LOCKHELPER");
    }

    // --- Lock: paths that cannot be locked -----------------------------------------------

    void lockRefusesBadPaths_data() {
        QTest::addColumn<QByteArray>("path");  // relative to the case's directory unless absolute
        QTest::addColumn<int>("error");        // errno
        QTest::addColumn<QByteArray>("shown"); // how the path appears in messages
        QTest::addColumn<QString>("reason");   // strerror text
        QTest::addColumn<bool>("viaLockctl");

        const QString noEntry = QStringLiteral("No such file or directory");
        const QString tooLong = QStringLiteral("File name too long");
        QTest::newRow("missing directory") << QByteArray("missing/x.lock") << ENOENT
                                           << QByteArray("missing/x.lock") << noEntry << true;
        QTest::newRow("a directory") << QByteArray("adir") << EISDIR << QByteArray("adir")
                                     << QStringLiteral("Is a directory") << true;
        QTest::newRow("empty path")
            << QByteArray("") << ENOENT << QByteArray("''") << noEntry << false;
        QTest::newRow("NUL byte") << QByteArray("nul\0tail.lock", 13) << EINVAL
                                  << QByteArray("nul\\x00tail.lock")
                                  << QStringLiteral("Invalid argument") << false;
        QTest::newRow("newline and escape")
            << QByteArray("no\nsuch\x1b[31m/x.lock") << ENOENT
            << QByteArray("no\\nsuch\\x1b[31m/x.lock") << noEntry << true;
        // A right-to-left override would make the rest of the message read backwards.
        QTest::newRow("newline and right-to-left override")
            << QByteArray("no\nsuch\xe2\x80\xae/x.lock") << ENOENT
            << QByteArray("no\\nsuch\\u{202e}/x.lock") << noEntry << true;
        QTest::newRow("tab and DEL") << QByteArray("no\tsuch\x7f/x.lock") << ENOENT
                                     << QByteArray("no\\tsuch\\x7f/x.lock") << noEntry << true;
        QTest::newRow("invalid UTF-8") << QByteArray("\xff\xfe\xc3/x.lock") << ENOENT
                                       << QByteArray("\\xff\\xfe\\xc3/x.lock") << noEntry << true;
        QByteArray longPath;
        while (longPath.size() <= PATH_MAX)
            longPath += QByteArray(200, 'd') + '/';
        longPath += "x.lock";
        QTest::newRow("path > PATH_MAX")
            << longPath << ENAMETOOLONG << QByteArray("ddddd/ddd") << tooLong << true;
        QTest::newRow("name > NAME_MAX") << QByteArray(NAME_MAX + 1, 'n') << ENAMETOOLONG
                                         << QByteArray(NAME_MAX + 1, 'n') << tooLong << true;
        // As root, sysfs still refuses to create files: EACCES without dropping privileges.
        QTest::newRow("new file in /sys")
            << QByteArray("/sys/badinput.lock") << EACCES << QByteArray("/sys/badinput.lock")
            << QStringLiteral("Permission denied") << true;
    }
    void lockRefusesBadPaths() {
        QFETCH(QByteArray, path);
        QFETCH(int, error);
        QFETCH(QByteArray, shown);
        QFETCH(QString, reason);
        QFETCH(bool, viaLockctl);

        QTemporaryDir directory(m_root.path() + QStringLiteral("/case-XXXXXX"));
        QVERIFY(QDir(directory.path()).mkdir(QStringLiteral("adir")));
        QVERIFY(QFile(directory.filePath(QStringLiteral("adir/keep"))).open(QIODevice::WriteOnly));
        const QByteArray fullPath = path.startsWith('/') || path.isEmpty()
                                        ? path
                                        : QFile::encodeName(directory.path()) + '/' + path;
        const QStringList before = badinput::entries(directory.path());
        const int descriptors = badinput::openDescriptors();

        for (auto backend : {portalocker::Backend::flock, portalocker::Backend::posix,
                             portalocker::Backend::ofd}) {
            portalocker::Lock lock(std::filesystem::path(fullPath.toStdString()),
                                   {.backend = backend});
            std::error_code ec;
            QVERIFY(!lock.try_lock(ec));
            COMPARE_EC(ec, std::error_code(error, std::system_category()));
            QVERIFY(!lock.owns_lock());
            try {
                lock.lock();
                QFAIL("lock() did not throw");
            } catch (const portalocker::AlreadyLocked& e) {
                QFAIL(e.what());
            } catch (const portalocker::LockException& e) {
                const QByteArray what(e.what());
                COMPARE_EC(e.code(), std::error_code(error, std::system_category()));
                QVERIFY2(what.startsWith("cannot lock '"), e.what());
                QVERIFY2(what.contains(shown == "''" ? QByteArray("cannot lock ''") : shown),
                         e.what());
                QVERIFY2(what.contains(reason.toUtf8()), e.what());
                QVERIFY2(isPrintableLine(what), e.what());
            }
        }
        QCOMPARE(badinput::entries(directory.path()), before);
        QCOMPARE(badinput::openDescriptors(), descriptors);

        if (!viaLockctl)
            return;
        const Outcome hold = lockctlWithRawPath(QStringLiteral("hold"), fullPath,
                                                {QStringLiteral("--timeout"), QStringLiteral("0"),
                                                 QStringLiteral("--"), QStringLiteral("true")});
        QVERIFY2(hold.exitCode == 3, qPrintable(hold.describe()));
        QVERIFY2(hold.err.startsWith("lockctl hold: cannot lock '"), qPrintable(hold.describe()));
        QVERIFY2(hold.err.contains(shown.left(40)), qPrintable(hold.describe()));
        QVERIFY2(hold.err.contains(reason.toUtf8()), qPrintable(hold.describe()));
        QVERIFY2(isPrintableLine(hold.err), qPrintable(hold.describe()));
        QCOMPARE(badinput::entries(directory.path()), before);
    }

    // An empty PATH and a NUL byte cannot reach lockctl as a path at all.
    void lockctlRejectsEmptyPath() {
        const Outcome hold = badinput::lockctl(
            {QStringLiteral("hold"), QString(), QStringLiteral("--"), QStringLiteral("true")});
        QVERIFY2(hold.exitCode == 2, qPrintable(hold.describe()));
        QVERIFY2(hold.err.startsWith("lockctl hold: PATH is missing"), qPrintable(hold.describe()));
    }

    // Legal names that merely look odd: they are locked like any other (nothing is refused
    // that the file system accepts), and shown escaped.
    void oddButLegalNamesWork_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<QByteArray>("shown");
        QTest::newRow("newline") << QByteArray("a\nb.lock") << QByteArray("a\\nb.lock");
        QTest::newRow("escape sequence")
            << QByteArray("\x1b[2J.lock") << QByteArray("\\x1b[2J.lock");
        QTest::newRow("invalid UTF-8")
            << QByteArray("\xff\xfe.lock") << QByteArray("\\xff\\xfe.lock");
        QTest::newRow("spaces") << QByteArray(" a b .lock") << QByteArray(" a b .lock");
        QTest::newRow("NAME_MAX") << QByteArray(NAME_MAX, 'm') << QByteArray(NAME_MAX, 'm');
    }
    void oddButLegalNamesWork() {
        QFETCH(QByteArray, name);
        QFETCH(QByteArray, shown);
        QTemporaryDir directory(m_root.path() + QStringLiteral("/odd-XXXXXX"));
        const std::string path =
            QByteArray(QFile::encodeName(directory.path()) + '/' + name).toStdString();
        {
            portalocker::Lock lock(path);
            QVERIFY(lock.try_lock());
            // A second lock on it reports contention naming the path escaped.
            portalocker::Lock other(path, {.timeout = std::chrono::milliseconds(50)});
            try {
                other.lock();
                QFAIL("not refused");
            } catch (const portalocker::AlreadyLocked& e) {
                QVERIFY2(QByteArray(e.what()).contains(shown), e.what());
                QVERIFY2(isPrintableLine(e.what()), e.what());
            }
            // lockctl sees it held: exit 1 with one printable line.
            const Outcome busy =
                lockctlWithRawPath(QStringLiteral("hold"), bytes(path),
                                   {QStringLiteral("--timeout"), QStringLiteral("0"),
                                    QStringLiteral("--"), QStringLiteral("true")});
            QVERIFY2(busy.exitCode == 1, qPrintable(busy.describe()));
            QVERIFY2(busy.err.contains(shown) && busy.err.contains("is locked"),
                     qPrintable(busy.describe()));
            QVERIFY2(isPrintableLine(busy.err), qPrintable(busy.describe()));
            // Listings show it escaped: a name cannot garble or fake lines on a terminal.
            const Outcome who = lockctlWithRawPath(QStringLiteral("who"), bytes(path), {});
            QVERIFY2(who.exitCode == 0, qPrintable(who.describe()));
            QVERIFY2(who.out.contains(QByteArray(shown + ": HELD")), qPrintable(who.describe()));
            for (const QByteArray& line : who.out.split('\n'))
                QVERIFY2(isPrintableLine(line), qPrintable(who.describe()));
            // JSON stays valid (bytes that are not UTF-8 become U+FFFD there).
            const Outcome json =
                lockctlWithRawPath(QStringLiteral("who"), bytes(path), {QStringLiteral("--json")});
            QVERIFY2(json.exitCode == 0, qPrintable(json.describe()));
            QJsonParseError error{};
            const QJsonObject object = QJsonDocument::fromJson(json.out, &error).object();
            QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
            QCOMPARE(object.value(QStringLiteral("state")).toString(), QStringLiteral("held"));
        }
        const Outcome free = lockctlWithRawPath(QStringLiteral("hold"), bytes(path),
                                                {QStringLiteral("--timeout"), QStringLiteral("0"),
                                                 QStringLiteral("--"), QStringLiteral("true")});
        // QDir cannot name files that are not UTF-8: removed by their bytes.
        QVERIFY(::unlink(path.c_str()) == 0);
        QVERIFY2(free.exitCode == 0, qPrintable(free.describe()));
    }

    // --- permissions and file systems ----------------------------------------------------

    void permissionDenied() {
        // CI runs as root, which permissions do not stop: the children drop to nobody. Run
        // by anybody else, the files are closed to their owner too.
        const bool root = ::geteuid() == 0;
        QTemporaryDir directory(m_root.path() + QStringLiteral("/perm-XXXXXX"));
        const QByteArray directoryName = QFile::encodeName(directory.path());
        QVERIFY(::chmod(QFile::encodeName(m_root.path()).constData(), 0755) == 0);
        QFile secret(directory.filePath(QStringLiteral("secret.lock")));
        QVERIFY(secret.open(QIODevice::WriteOnly));
        secret.write("root's");
        secret.close();
        QVERIFY(::chmod(QFile::encodeName(secret.fileName()).constData(), root ? 0600 : 0000) == 0);
        QVERIFY(::chmod(directoryName.constData(), 0555) == 0); // nobody creates files here
        auto reopen = qScopeGuard([&] {
            ::chmod(directoryName.constData(), 0755);
            ::chmod(QFile::encodeName(secret.fileName()).constData(), 0600);
        });
        const QStringList before = badinput::entries(directory.path());

        for (const QString& name : {QStringLiteral("secret.lock"), QStringLiteral("new.lock")}) {
            const QString path = directory.filePath(name);
            const Outcome helper = badinput::run(
                testsupport::programPath("LOCKSCOPE_LOCKHELPER"),
                {QStringLiteral("hold"), path, QStringLiteral("--timeout"), QStringLiteral("0")},
                20000, root);
            QVERIFY2(helper.exitCode == 2, qPrintable(helper.describe()));
            QVERIFY2(helper.out.startsWith(
                         QByteArray("ERROR cannot lock '" + QFile::encodeName(path) + "'")),
                     qPrintable(helper.describe()));
            QVERIFY2(helper.out.contains("Permission denied"), qPrintable(helper.describe()));

            // lockctl falls back to a read-only open; the reason reported stays the real one
            // (it said "No such file or directory" for a file it may not create).
            const Outcome hold = badinput::lockctl(
                {QStringLiteral("hold"), path, QStringLiteral("--timeout"), QStringLiteral("0"),
                 QStringLiteral("--"), QStringLiteral("true")},
                20000, root);
            QVERIFY2(hold.exitCode == 3, qPrintable(hold.describe()));
            QVERIFY2(hold.err.contains(QByteArray("cannot lock '" + QFile::encodeName(path) +
                                                  "': Permission denied")),
                     qPrintable(hold.describe()));
        }
        const Outcome semaphore = badinput::lockctl(
            {QStringLiteral("semaphore"), directory.path(), QStringLiteral("jobs"),
             QStringLiteral("2"), QStringLiteral("--timeout"), QStringLiteral("0"),
             QStringLiteral("--"), QStringLiteral("true")},
            20000, root);
        QVERIFY2(semaphore.exitCode == 3, qPrintable(semaphore.describe()));
        QVERIFY2(semaphore.err.contains("jobs.00.lock") &&
                     semaphore.err.contains("Permission denied"),
                 qPrintable(semaphore.describe()));
        QCOMPARE(badinput::entries(directory.path()), before);
        reopen.dismiss();
        QVERIFY(::chmod(directoryName.constData(), 0755) == 0);
        QVERIFY(::chmod(QFile::encodeName(secret.fileName()).constData(), 0600) == 0);
        QFile check(directory.filePath(QStringLiteral("secret.lock")));
        QVERIFY(check.open(QIODevice::ReadOnly));
        QCOMPARE(check.readAll(), QByteArray("root's"));
    }

    void readOnlyFileSystem() {
        // A read-only tmpfs mounted over a directory in a mount namespace of the child's own.
        const Outcome probe = badinput::run(QStringLiteral("unshare"),
                                            {QStringLiteral("-m"), QStringLiteral("true")});
        // Needs root (as CI runs) for a mount namespace; without it this fails, saying why.
        QVERIFY2(probe.exitCode == 0,
                 qPrintable(QStringLiteral("unshare -m failed (run as root): %1")
                                .arg(QString::fromUtf8(probe.err.trimmed()))));
        QTemporaryDir directory(m_root.path() + QStringLiteral("/rofs-XXXXXX"));
        const QString script = QStringLiteral("mount -t tmpfs -o ro none \"$1\" || exit 99; "
                                              "shift; exec \"$@\"");
        const QString path = directory.filePath(QStringLiteral("x.lock"));
        const QStringList prefix{QStringLiteral("-m"), QStringLiteral("sh"),
                                 QStringLiteral("-c"), script,
                                 QStringLiteral("sh"), directory.path()};
        const Outcome helper =
            badinput::run(QStringLiteral("unshare"),
                          prefix + QStringList{testsupport::programPath("LOCKSCOPE_LOCKHELPER"),
                                               QStringLiteral("hold"), path,
                                               QStringLiteral("--timeout"), QStringLiteral("0")});
        QVERIFY2(helper.exitCode == 2, qPrintable(helper.describe()));
        QVERIFY2(helper.out.contains("Read-only file system"), qPrintable(helper.describe()));
        const Outcome hold =
            badinput::run(QStringLiteral("unshare"),
                          prefix + QStringList{testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                                               QStringLiteral("hold"), path,
                                               QStringLiteral("--timeout"), QStringLiteral("0"),
                                               QStringLiteral("--"), QStringLiteral("true")});
        QVERIFY2(hold.exitCode == 3, qPrintable(hold.describe()));
        QVERIFY2(hold.err.contains(QByteArray("cannot lock '" + QFile::encodeName(path) +
                                              "': Read-only file system")),
                 qPrintable(hold.describe()));
        QCOMPARE(badinput::entries(directory.path()), QStringList());
    }

    // Opening a FIFO for writing blocks until a reader comes; Lock opened it that way (mode
    // "a") and hung forever. Now: ENXIO at once, and the message says it is a FIFO.
    void fifoDoesNotHang() {
        QTemporaryDir directory(m_root.path() + QStringLiteral("/fifo-XXXXXX"));
        const QByteArray fifo = QFile::encodeName(directory.filePath(QStringLiteral("pipe")));
        QVERIFY(::mkfifo(fifo.constData(), 0600) == 0);
        const Outcome helper = badinput::run(testsupport::programPath("LOCKSCOPE_LOCKHELPER"),
                                             {QStringLiteral("hold"), QString::fromUtf8(fifo),
                                              QStringLiteral("--timeout"), QStringLiteral("0")},
                                             10000);
        QVERIFY2(helper.finished && helper.exitCode == 2, qPrintable(helper.describe()));
        QVERIFY2(helper.out.contains("(a FIFO without a reader") &&
                     helper.out.contains("): No such device or address"),
                 qPrintable(helper.describe()));

        portalocker::Lock lock(fifo.toStdString());
        std::error_code ec;
        QVERIFY(!lock.try_lock(ec));
        COMPARE_EC(ec, std::error_code(ENXIO, std::system_category()));

        // Read-write (lockctl's "a+") opens a FIFO without waiting: it is locked like a file.
        const Outcome hold = badinput::lockctl({QStringLiteral("hold"), QString::fromUtf8(fifo),
                                                QStringLiteral("--timeout"), QStringLiteral("0"),
                                                QStringLiteral("--"), QStringLiteral("true")},
                                               10000);
        QVERIFY2(hold.exitCode == 0, qPrintable(hold.describe()));
        QCOMPARE(badinput::entries(directory.path()), QStringList{QStringLiteral("pipe")});
    }

    // A character device locks like a file (flock works on any descriptor); mode "w" would
    // truncate it and says why it cannot.
    void deviceInsteadOfFile() {
        portalocker::Lock lock("/dev/null");
        QVERIFY(lock.try_lock());
        lock.unlock();
        const Outcome hold = badinput::lockctl({QStringLiteral("hold"), QStringLiteral("/dev/null"),
                                                QStringLiteral("--timeout"), QStringLiteral("0"),
                                                QStringLiteral("--"), QStringLiteral("true")});
        QVERIFY2(hold.exitCode == 0, qPrintable(hold.describe()));
        portalocker::Lock truncating("/dev/null", {.mode = "w"});
        std::error_code ec;
        const bool truncated = truncating.try_lock(ec);
        // ftruncate() of a character device: EINVAL, and the lock is not kept.
        QVERIFY(!truncated);
        COMPARE_EC(ec, std::error_code(EINVAL, std::system_category()));
        QVERIFY(!truncating.owns_lock());
    }
};

int runCreationTests(int argc, char** argv); // tst_badinput_creation.cpp

int main(int argc, char** argv) {
    QCoreApplication application(argc, argv);
    TestBadInput paths;
    int failures = QTest::qExec(&paths, argc, argv);
    failures += runCreationTests(argc, argv);
    return failures;
}
#include "tst_badinput.moc"
