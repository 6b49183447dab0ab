// BoundedSemaphore and NamedBoundedSemaphore: defaults, slot file names (Python's format
// language), bad input, filling with other processes then refusing then freeing, a waiter
// woken by whichever slot frees first, and each backend.

#include <portalocker/portalocker.hpp>

#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include <csignal>

using namespace std::chrono_literals;
using portalocker::Backend;
using portalocker::BoundedSemaphore;

Q_DECLARE_METATYPE(portalocker::Backend)

class TestBoundedSemaphore : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    std::filesystem::path dir() const { return m_dir.path().toStdString(); }
    static QString helper() { return testsupport::programPath("LOCKSCOPE_FAMILYHELPER"); }

    /// Starts a process that takes a slot of NAME (maximum `maximum`) in our directory.
    std::unique_ptr<testsupport::ChildProcess> holder(const QString& name, int maximum,
                                                      const QStringList& extra = {}) {
        auto child = std::make_unique<testsupport::ChildProcess>();
        if (!child->start(helper(), QStringList{QStringLiteral("semaphore"), m_dir.path(), name,
                                                QString::number(maximum)} +
                                        extra))
            return nullptr;
        return child;
    }
    static int slotOf(const QString& line) {
        // "SLOT <number> <path>"
        const QStringList words = line.split(u' ');
        return words.size() >= 3 && words[0] == QStringLiteral("SLOT") ? words[1].toInt() : -1;
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void defaultsMatchPython() {
        BoundedSemaphore semaphore(3);
        QCOMPARE(semaphore.name(), std::string("bounded_semaphore"));
        QCOMPARE(semaphore.options().filename_pattern, std::string("{name}.{number:02d}.lock"));
        QCOMPARE(semaphore.directory(), std::filesystem::temp_directory_path());
        QCOMPARE(semaphore.options().timeout, std::chrono::nanoseconds(5s));
        QCOMPARE(semaphore.options().check_interval, std::chrono::nanoseconds(250ms));
        QVERIFY(semaphore.options().fail_when_locked); // Python 4.x: True
        QVERIFY(semaphore.options().backend == Backend::flock);
        QCOMPARE(semaphore.filename(2),
                 std::filesystem::temp_directory_path() / "bounded_semaphore.02.lock");
        QCOMPARE(semaphore.filenames().size(), std::size_t(3));
    }

    static void patternRow(const char* tag, const char* pattern, int number, const char* expected) {
        QTest::newRow(tag) << QString::fromLatin1(pattern) << number
                           << QString::fromLatin1(expected);
    }
    void patterns_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<int>("number");
        QTest::addColumn<QString>("expected");
        // Expected values are what Python's str.format gives (checked against Python in
        // tst_python_interop_semaphore).
        patternRow("default", "{name}.{number:02d}.lock", 3, "jobs.03.lock");
        patternRow("wide", "{name}.{number:02d}.lock", 123, "jobs.123.lock");
        patternRow("plain", "{name}-{number}", 7, "jobs-7");
        patternRow("braces", "{{{name}}}{number}", 1, "{jobs}1");
        patternRow("right", "{number:>4}{name}", 5, "   5jobs");
        patternRow("aligned", "{name}.{number:>3}.lock", 5, "jobs.  5.lock"); // watched too
        patternRow("fill center", "{number:*^5d}", 12, "*12**");
        patternRow("sign", "{number:+d}", 3, "+3");
        patternRow("space sign", "{number: d}", 3, " 3");
        patternRow("sign aware", "{number:=+5}", 5, "+   5");
        patternRow("zero left", "{number:<05}", 5, "50000");
        patternRow("hex", "{number:#06x}", 255, "0x00ff");
        patternRow("HEX", "{number:X}", 255, "FF");
        patternRow("binary", "{number:#b}", 5, "0b101");
        patternRow("octal", "{number:o}", 8, "10");
        patternRow("name width", "{name:_<6}{number}", 0, "jobs__0");
        patternRow("name precision", "{name:.2}{number}", 0, "jo0");
        patternRow("name zero", "{name:07}{number}", 0, "jobs0000");
        patternRow("name s", "{name:s}{number:d}", 9, "jobs9");
        patternRow("twice", "{name}/{name}.{number:03}", 4, "jobs/jobs.004");
    }
    void patterns() {
        QFETCH(QString, pattern);
        QFETCH(int, number);
        QFETCH(QString, expected);
        BoundedSemaphore semaphore(
            200, {.name = "jobs", .filename_pattern = pattern.toStdString(), .directory = dir()});
        QCOMPARE(QString::fromStdString(semaphore.filename(number).string()),
                 QDir(m_dir.path()).filePath(expected));
    }

    void badInputIsRejected_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<int>("maximum");
        const char* bad[] = {"{name}.lock",          "{number",           "number}",
                             "{0}{number}",          "{}{number}",        "{number!r}",
                             "{number:,d}",          "{number:.2}",       "{name:d}{number}",
                             "{number:s}",           "{foo}{number}",     "{number:{w}}",
                             "{name.upper}{number}", "{name[0]}{number}", "{number:5q}",
                             "{name:=5}{number}",    "{number:{{}"};
        for (const char* pattern : bad)
            QTest::newRow(pattern) << QString::fromLatin1(pattern) << 2;
        QTest::newRow("maximum 0") << QStringLiteral("{name}.{number}") << 0;
        QTest::newRow("maximum -1") << QStringLiteral("{name}.{number}") << -1;
    }
    void badInputIsRejected() {
        QFETCH(QString, pattern);
        QFETCH(int, maximum);
        QTemporaryDir empty;
        BoundedSemaphore semaphore(maximum, {.name = "bad",
                                             .filename_pattern = pattern.toStdString(),
                                             .directory = empty.path().toStdString()});
        std::error_code ec;
        QVERIFY(!semaphore.try_lock(ec));
        QVERIFY2(ec == portalocker::errc::invalid_argument, ec.message().c_str());
        try {
            semaphore.lock();
            QFAIL("lock() succeeded with bad input");
        } catch (const portalocker::AlreadyLocked&) {
            QFAIL("bad input reported as contention");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_argument);
        }
        if (maximum > 0)
            QVERIFY_THROWS_EXCEPTION(portalocker::LockException, (void)semaphore.filename(0));
        QVERIFY(QDir(empty.path()).isEmpty()); // no file created
        QVERIFY(!semaphore.owns_lock());
    }

    void badPatternSaysWhy() {
        BoundedSemaphore semaphore(2, {.name = "bad", .filename_pattern = "{foo}{number}"});
        try {
            (void)semaphore.filename(0);
            QFAIL("filename() accepted an unknown field");
        } catch (const portalocker::LockException& error) {
            QVERIFY2(std::string_view(error.what()).find("unknown field '{foo}'") !=
                         std::string_view::npos,
                     error.what());
        }
    }

    void slotsInOneProcess() {
        BoundedSemaphore first(2, {.name = "local", .directory = dir()});
        BoundedSemaphore second(2, {.name = "local", .directory = dir()});
        BoundedSemaphore third(2, {.name = "local", .directory = dir(), .timeout = 50ms});
        QCOMPARE(first.acquire(), std::optional<int>(0));
        QCOMPARE(first.slot(), std::optional<int>(0));
        QCOMPARE(first.slot_path(), dir() / "local.00.lock");
        {
            std::unique_lock guard(second);
            QCOMPARE(second.slot(), std::optional<int>(1));
            QVERIFY(!third.try_lock());
            QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, third.lock());
        }
        QVERIFY(!second.owns_lock());
        QVERIFY(second.slot_path().empty());
        QVERIFY(third.try_lock());
        QCOMPARE(third.slot(), std::optional<int>(1));
        // Files are never deleted.
        third.unlock();
        first.release();
        QVERIFY(QFile::exists(QDir(m_dir.path()).filePath(QStringLiteral("local.00.lock"))));
        QVERIFY(QFile::exists(QDir(m_dir.path()).filePath(QStringLiteral("local.01.lock"))));
    }

    void backends_data() {
        QTest::addColumn<Backend>("backend");
        QTest::newRow("flock") << Backend::flock;
        QTest::newRow("posix") << Backend::posix;
        QTest::newRow("ofd") << Backend::ofd;
    }

    void fillsThenRefusesThenFrees_data() { backends_data(); }
    void fillsThenRefusesThenFrees() {
        QFETCH(Backend, backend);
        const QString name =
            QStringLiteral("fill-") + QString::fromLatin1(portalocker::to_string(backend).data());
        const QStringList backendOption{
            QStringLiteral("--backend"),
            QString::fromLatin1(portalocker::to_string(backend).data())};
        std::vector<std::unique_ptr<testsupport::ChildProcess>> holders;
        for (int expected = 0; expected < 3; ++expected) {
            holders.push_back(holder(name, 3, backendOption));
            QVERIFY(holders.back());
            QCOMPARE(slotOf(holders.back()->readLine()), expected);
        }
        auto refused = holder(
            name, 3, backendOption + QStringList{QStringLiteral("--timeout"), QStringLiteral("0")});
        QVERIFY(refused);
        QCOMPARE(refused->readLine(), QStringLiteral("TIMEOUT"));
        QCOMPARE(refused->waitForExit(), 1);

        BoundedSemaphore ours(3,
                              {.name = name.toStdString(), .directory = dir(), .backend = backend});
        QVERIFY(!ours.try_lock());
        QVERIFY(!ours.try_lock_for(50ms));

        holders[1]->writeLine(QStringLiteral("release"));
        QCOMPARE(holders[1]->readLine(), QStringLiteral("RELEASED"));
        QVERIFY(ours.try_lock());
        QCOMPARE(ours.slot(), std::optional<int>(1));
    }

    void waiterWakesWhenAnySlotFrees_data() {
        QTest::addColumn<int>("freed");
        QTest::newRow("first slot") << 0;
        QTest::newRow("last slot") << 2;
    }
    void waiterWakesWhenAnySlotFrees() {
        QFETCH(int, freed);
        const QString name = QStringLiteral("wake") + QString::number(freed);
        std::vector<std::unique_ptr<testsupport::ChildProcess>> holders;
        for (int expected = 0; expected < 3; ++expected) {
            holders.push_back(holder(name, 3));
            QVERIFY(holders.back());
            QCOMPARE(slotOf(holders.back()->readLine()), expected);
        }
        BoundedSemaphore ours(3, {.name = name.toStdString(), .directory = dir()});
        std::thread releaser([&] {
            std::this_thread::sleep_for(300ms);
            holders[std::size_t(freed)]->writeLine(QStringLiteral("release"));
        });
        QElapsedTimer timer;
        timer.start();
        const bool acquired = ours.try_lock_for(20s);
        const qint64 waited = timer.elapsed();
        releaser.join();
        QVERIFY(acquired);
        QCOMPARE(ours.slot(), std::optional<int>(freed));
        // Woken by the release (~300 ms), not by the timeout; a generous upper bound.
        QVERIFY2(waited >= 250 && waited < 5000, qPrintable(QString::number(waited)));
    }

    void holderKilledFreesItsSlot() {
        auto only = holder(QStringLiteral("killed"), 1);
        QVERIFY(only);
        QCOMPARE(slotOf(only->readLine()), 0);
        BoundedSemaphore ours(1, {.name = "killed", .directory = dir()});
        QVERIFY(!ours.try_lock());
        std::thread killer([&] {
            std::this_thread::sleep_for(100ms);
            ::kill(pid_t(only->pid()), SIGKILL);
        });
        QVERIFY(ours.try_lock_for(10s));
        killer.join();
        QCOMPARE(ours.slot(), std::optional<int>(0));
    }

    void timeoutsAndFailWhenLocked() {
        BoundedSemaphore holderSemaphore(1, {.name = "timeouts", .directory = dir()});
        QVERIFY(holderSemaphore.try_lock());
        BoundedSemaphore waiter(1, {.name = "timeouts", .directory = dir(), .timeout = 100ms});
        QElapsedTimer timer;
        timer.start();
        try {
            waiter.lock();
            QFAIL("lock() returned although every slot is held");
        } catch (const portalocker::AlreadyLocked& error) {
            QVERIFY(error.code() == portalocker::errc::already_locked);
        }
        QVERIFY(timer.elapsed() >= 95 && timer.elapsed() < testsupport::timeBound(3000));
        std::error_code ec;
        waiter.lock(ec);
        QVERIFY(ec == portalocker::errc::already_locked);
        QVERIFY(!waiter.try_lock_until(std::chrono::system_clock::now() + 20ms));
    }

    // As Python 4.x: fail_when_locked never shortens the wait. The semaphore keeps trying for
    // the whole timeout; only then does fail_when_locked choose between raising AlreadyLocked
    // (true, the default) and returning nothing (false) from acquire(). The std forms keep
    // their own contract: try_lock_for waits its full duration and answers false.
    void failWhenLockedDecidesOnlyAfterTheTimeout() {
        BoundedSemaphore holderSemaphore(1, {.name = "fwl", .directory = dir()});
        QVERIFY(holderSemaphore.try_lock());
        QElapsedTimer timer;

        BoundedSemaphore raising(
            1, {.name = "fwl", .directory = dir(), .timeout = 200ms, .fail_when_locked = true});
        timer.start();
        QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, raising.acquire());
        QVERIFY2(timer.elapsed() >= 195, qPrintable(QString::number(timer.elapsed())));
        timer.restart();
        QVERIFY_THROWS_EXCEPTION(portalocker::AlreadyLocked, raising.lock());
        QVERIFY2(timer.elapsed() >= 195, qPrintable(QString::number(timer.elapsed())));
        timer.restart();
        QVERIFY(!raising.try_lock_for(200ms));
        QVERIFY2(timer.elapsed() >= 195, qPrintable(QString::number(timer.elapsed())));

        BoundedSemaphore returning(
            1, {.name = "fwl", .directory = dir(), .timeout = 200ms, .fail_when_locked = false});
        timer.restart();
        QCOMPARE(returning.acquire(), std::optional<int>());
        QVERIFY2(timer.elapsed() >= 195, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(!returning.owns_lock());

        // A slot freed during the wait is taken, whatever fail_when_locked says.
        std::thread releaser([&] {
            std::this_thread::sleep_for(50ms);
            holderSemaphore.unlock();
        });
        BoundedSemaphore patient(
            1, {.name = "fwl", .directory = dir(), .timeout = 10s, .fail_when_locked = true});
        QCOMPARE(patient.acquire(), std::optional<int>(0));
        releaser.join();
    }

    void missingDirectoryAndUnheldRelease() {
        const QString missing = m_dir.filePath(QStringLiteral("no/such/dir"));
        BoundedSemaphore semaphore(2, {.name = "x", .directory = missing.toStdString()});
        try {
            semaphore.lock();
            QFAIL("lock() succeeded in a missing directory");
        } catch (const portalocker::AlreadyLocked&) {
            QFAIL("a missing directory reported as contention");
        } catch (const portalocker::LockException& error) {
            QCOMPARE(error.code().value(), ENOENT);
            QVERIFY2(QString::fromUtf8(error.what()).contains(missing), error.what());
        }
        std::error_code ec;
        QVERIFY(!semaphore.try_lock_for(10ms, ec));
        QCOMPARE(ec.value(), ENOENT);
        QVERIFY(!QDir(m_dir.filePath(QStringLiteral("no"))).exists());

        semaphore.unlock(ec);
        QVERIFY(ec == portalocker::errc::not_locked);
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, semaphore.unlock());
        semaphore.release(); // Python-style: a no-op when nothing is held

        BoundedSemaphore held(2, {.name = "twice", .directory = dir()});
        QVERIFY(held.try_lock());
        QVERIFY_THROWS_EXCEPTION(portalocker::LockException, (void)held.try_lock());
        QCOMPARE(held.slot(), std::optional<int>(0)); // still the one slot
    }

    void namedSemaphoreMakesUpAName() {
        portalocker::NamedBoundedSemaphore first(2, {.directory = dir()});
        portalocker::NamedBoundedSemaphore second(2, {.directory = dir()});
        QVERIFY(first.name().starts_with("bounded_semaphore."));
        QVERIFY(first.name() != second.name()); // random: a clash has odds of 1 in a million
        QVERIFY(first.try_lock());
        QVERIFY(second.try_lock());
        QCOMPARE(second.slot(), std::optional<int>(0)); // not the same slots
        portalocker::NamedBoundedSemaphore named(2, {.name = "given", .directory = dir()});
        QCOMPARE(named.name(), std::string("given"));
        QCOMPARE(named.filename(1), dir() / "given.01.lock");
    }
};

QTEST_GUILESS_MAIN(TestBoundedSemaphore)
#include "tst_boundedsemaphore.moc"
