// open_atomic and AtomicFile: publication, binary content, no temporary file left behind
// (throwing writer, discard, every error), refusal of an existing target, and bad input.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QProcess>
#include <QScopeGuard>
#include <QTest>

#include <stdexcept>
#include <string>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using portalocker::AtomicFile;

namespace {

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

} // namespace

class TestOpenAtomic : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString m_readOnlyMount;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static std::filesystem::path fs(const QString& path) { return path.toStdString(); }
    /// Everything in our directory but the names given: left-over temporary files.
    QStringList strays(const QStringList& expected) const {
        QStringList names =
            QDir(m_dir.path())
                .entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
        for (const QString& name : expected)
            names.removeAll(name);
        names.removeAll(QStringLiteral("ro"));
        return names;
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void cleanupTestCase() {
        if (!m_readOnlyMount.isEmpty())
            ::umount(qPrintable(m_readOnlyMount));
    }
    void cleanup() {
        // Each test starts from an empty directory (but for the read-only mount point).
        for (const QString& name : strays({})) {
            std::error_code ignored;
            std::filesystem::remove_all(fs(m_dir.filePath(name)), ignored);
        }
    }

    void writesAndPublishes() {
        const QString target = path("result.txt");
        portalocker::open_atomic(fs(target), [](std::ostream& out) { out << "hello " << 42; });
        QCOMPARE(readAll(target), QByteArray("hello 42"));
        QCOMPARE(strays({QStringLiteral("result.txt")}), QStringList());
        struct stat status {};
        QCOMPARE(::stat(qPrintable(target), &status), 0);
        QCOMPARE(status.st_mode & 0777, mode_t(0600)); // Python's: its temporary file's mode
    }

    // Python publishes its NamedTemporaryFile, i.e. mkstemp's 0600, whatever the umask; so
    // does open_atomic, and the file Python publishes has the same mode (checked with the
    // real Python portalocker, which must be installed).
    void publishesPrivateFilesAsPython() {
        const mode_t previous = ::umask(0);
        auto restore = qScopeGuard([&] { ::umask(previous); });
        for (mode_t mask : {mode_t(0), mode_t(022), mode_t(077)}) {
            ::umask(mask);
            const QString target = path("private.txt");
            QFile::remove(target);
            portalocker::open_atomic(fs(target), [](std::ostream& out) { out << "x"; });
            struct stat status {};
            QCOMPARE(::stat(qPrintable(target), &status), 0);
            QCOMPARE(status.st_mode & 0777, mode_t(0600));
        }
        ::umask(022);
        const QString pythonTarget = path("python.txt");
        QProcess python;
        python.start(QStringLiteral("/usr/bin/python3"),
                     {QStringLiteral("-c"),
                      QStringLiteral("import portalocker, sys\n"
                                     "with portalocker.open_atomic(sys.argv[1]) as fh:\n"
                                     "    fh.write(b'x')\n"),
                      pythonTarget});
        QVERIFY(python.waitForFinished(30000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        struct stat status {};
        QCOMPARE(::stat(qPrintable(pythonTarget), &status), 0);
        QCOMPARE(status.st_mode & 0777, mode_t(0600));
    }

    // std::system_error appends the error text to what(): the description must not say it too.
    void messagesSayTheErrorOnce() {
        const QString target = path("twice.txt");
        QFile existing(target);
        QVERIFY(existing.open(QIODevice::WriteOnly));
        existing.close();
        try {
            portalocker::open_atomic(fs(target), [](std::ostream&) {});
            QFAIL("an existing target was overwritten");
        } catch (const portalocker::LockException& error) {
            const QString what = QString::fromUtf8(error.what());
            const QString text = QString::fromStdString(error.code().message());
            QCOMPARE(what.count(text), 1);
            QVERIFY2(what.endsWith(text), error.what());
        }
    }

    void binaryContentIsExact() {
        QByteArray content;
        for (int i = 0; i < 300000; ++i)
            content.append(char(i * 7 % 256));
        content.append('\0').append("\r\n\x1a", 3);
        const QString target = path("binary.dat");
        portalocker::open_atomic(fs(target), [&](std::ostream& out) {
            out.write(content.constData(), 10); // small writes through the buffer
            out.put('\0');
            out.write(content.constData() + 10, content.size() - 10); // a large one past it
        });
        QByteArray expected = content.left(10) + QByteArray(1, '\0') + content.mid(10);
        QCOMPARE(readAll(target), expected);
    }

    void refusesAnExistingTarget_data() {
        QTest::addColumn<QString>("kind");
        QTest::newRow("file") << QStringLiteral("file");
        QTest::newRow("dangling symlink") << QStringLiteral("symlink");
        QTest::newRow("directory") << QStringLiteral("directory");
    }
    void refusesAnExistingTarget() {
        QFETCH(QString, kind);
        const QString target = path("existing");
        if (kind == QStringLiteral("file")) {
            QFile file(target);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("precious");
        } else if (kind == QStringLiteral("symlink")) {
            QVERIFY(::symlink("nowhere", qPrintable(target)) == 0);
        } else {
            QVERIFY(QDir().mkpath(target));
        }
        bool called = false;
        try {
            portalocker::open_atomic(fs(target), [&](std::ostream&) { called = true; });
            QFAIL("open_atomic replaced an existing target");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), EEXIST);
            QVERIFY2(QString::fromUtf8(error.what()).contains(target), error.what());
        }
        QVERIFY(!called); // refused before anything was written
        std::error_code ec;
        portalocker::open_atomic(
            fs(target), [&](std::ostream&) { called = true; }, ec);
        QCOMPARE(ec.value(), EEXIST);
        QVERIFY(!called);
        if (kind == QStringLiteral("file"))
            QCOMPARE(readAll(target), QByteArray("precious"));
        QCOMPARE(strays({QStringLiteral("existing")}), QStringList());
    }

    void targetCreatedWhileWritingIsNotOverwritten() {
        const QString target = path("raced.txt");
        AtomicFile file = portalocker::open_atomic(fs(target));
        file.stream() << "ours";
        {
            QFile other(target);
            QVERIFY(other.open(QIODevice::WriteOnly));
            other.write("theirs");
        }
        try {
            file.commit();
            QFAIL("commit() replaced a file created meanwhile");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), EEXIST);
        }
        QCOMPARE(readAll(target), QByteArray("theirs"));
        QVERIFY(!file.is_open());
        QCOMPARE(strays({QStringLiteral("raced.txt")}), QStringList());
    }

    void throwingWriterLeavesNothing() {
        const QString target = path("thrown.txt");
        try {
            portalocker::open_atomic(fs(target), [](std::ostream& out) {
                out << std::string(200000, 'x'); // some of it already in the temporary file
                throw std::runtime_error("writer failed");
            });
            QFAIL("the writer's exception was swallowed");
        } catch (const std::runtime_error& error) {
            QCOMPARE(QByteArray(error.what()), QByteArray("writer failed"));
        }
        std::error_code ec;
        QVERIFY_THROWS_EXCEPTION(
            std::logic_error,
            portalocker::open_atomic(
                fs(target), [](std::ostream&) { throw std::logic_error("x"); }, ec));
        QVERIFY(!QFile::exists(target));
        QCOMPARE(strays({}), QStringList());
    }

    void handleDiscardsUnlessCommitted() {
        const QString target = path("handle.txt");
        QString temporary;
        {
            AtomicFile file = portalocker::open_atomic(fs(target));
            QVERIFY(file.is_open());
            temporary = QString::fromStdString(file.temporary_path().string());
            QVERIFY(QFileInfo(temporary).fileName().startsWith(QStringLiteral(".handle.txt.")));
            QCOMPARE(QFileInfo(temporary).absolutePath(), QFileInfo(target).absolutePath());
            file.stream() << "draft";
            file.stream().flush();
            QVERIFY(QFile::exists(temporary));
            QVERIFY(!QFile::exists(target)); // nothing visible before commit()
        }
        QVERIFY(!QFile::exists(temporary));
        QVERIFY(!QFile::exists(target));

        AtomicFile file(fs(target));
        file.stream() << "final";
        file.commit();
        QCOMPARE(readAll(target), QByteArray("final"));
        QVERIFY(!file.is_open());
        QVERIFY(file.temporary_path().empty());
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, file.commit()); // only once
        QVERIFY(file.stream().bad());
        file.discard(); // harmless once closed
        QCOMPARE(readAll(target), QByteArray("final"));

        AtomicFile discarded(fs(path("discarded.txt")));
        discarded.stream() << "gone";
        discarded.discard();
        QVERIFY(!discarded.is_open());
        QCOMPARE(strays({QStringLiteral("handle.txt")}), QStringList());
    }

    void badInput_data() {
        QTest::addColumn<QString>("target");
        QTest::addColumn<int>("expectedErrno");
        QTest::newRow("missing directory") << QStringLiteral("no/such/dir/x.txt") << ENOENT;
        QTest::newRow("parent is a file") << QStringLiteral("afile/x.txt") << ENOTDIR;
        if (::geteuid() == 0 && readOnlyMount())
            QTest::newRow("read-only file system") << QStringLiteral("ro/x.txt") << EROFS;
    }
    void badInput() {
        QFETCH(QString, target);
        QFETCH(int, expectedErrno);
        {
            QFile blocker(path("afile"));
            QVERIFY(blocker.open(QIODevice::WriteOnly));
        }
        const QString full = m_dir.filePath(target);
        try {
            portalocker::open_atomic(fs(full), [](std::ostream& out) { out << "x"; });
            QFAIL("open_atomic succeeded on bad input");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), expectedErrno);
            QVERIFY2(QString::fromUtf8(error.what()).contains(full), error.what());
        }
        std::error_code ec;
        AtomicFile file(fs(full), ec);
        QCOMPARE(ec.value(), expectedErrno);
        QVERIFY(!file.is_open());
        QVERIFY(file.stream().bad());
        file.stream() << "ignored";
        file.commit(ec);
        QVERIFY(ec);
        QVERIFY(!QDir(m_dir.filePath(QStringLiteral("no"))).exists()); // no directory made
        QCOMPARE(strays({QStringLiteral("afile")}), QStringList());
    }

    void permissionDenied() {
        const QString locked = path("locked");
        QVERIFY(QDir().mkpath(locked));
        QVERIFY(::chmod(qPrintable(locked), 0755) == 0);
        ::chmod(qPrintable(m_dir.path()), 0755);
        // Root ignores permission bits: try as an unprivileged user in a child process.
        const pid_t child = ::fork();
        if (child == 0) {
            if (::geteuid() == 0 && ::setuid(65534) != 0)
                ::_exit(100);
            std::error_code ec;
            AtomicFile file(fs(locked + QStringLiteral("/x.txt")), ec);
            ::_exit(file.is_open() ? 101 : ec.value());
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), EACCES);
        QVERIFY(QDir(locked).isEmpty());
        QDir(locked).removeRecursively();
    }

  private:
    bool readOnlyMount() {
        // A read-only tmpfs inside the temporary directory (root only; CI runs as root).
        if (!m_readOnlyMount.isEmpty())
            return true;
        const QString directory = m_dir.filePath(QStringLiteral("ro"));
        if (!QDir().mkpath(directory))
            return false;
        if (::mount("lockscope-test", qPrintable(directory), "tmpfs", MS_RDONLY, nullptr) != 0)
            return false;
        m_readOnlyMount = directory;
        return true;
    }
};

QTEST_GUILESS_MAIN(TestOpenAtomic)
#include "tst_openatomic.moc"
