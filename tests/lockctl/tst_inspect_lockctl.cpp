// lockctl list / who against real processes: the JSON contract of issue 4, the text an
// operator reads, usage errors, --watch events, and a cross-check with lslocks --json on the
// same state.

#include <portalocker/inspect/inspect.hpp>
#include <portalocker/pidfilelock.hpp>

#include "lockmakerprocess.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace inspecttest;
using portalocker::inspect::Pid;

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run run(const QString& program, const QStringList& arguments, int timeoutMs = 60000) {
    QProcess process;
    process.start(program, arguments);
    Run result;
    if (!process.waitForStarted(10000) || !process.waitForFinished(timeoutMs))
        return result;
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

Run lockctl(const QStringList& arguments) {
    return run(testsupport::programPath("LOCKSCOPE_LOCKCTL"), arguments);
}

QJsonObject jsonOf(const Run& result) {
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(result.out, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("not JSON (%s): %s", qPrintable(error.errorString()),
                 result.out.left(400).constData());
    return document.object();
}

QList<QJsonObject> locksUnder(const QJsonObject& list, const QString& directory) {
    QList<QJsonObject> locks;
    for (const auto& value : list.value(QStringLiteral("locks")).toArray()) {
        const QJsonObject lock = value.toObject();
        if (lock.value(QStringLiteral("path")).toString().startsWith(directory))
            locks.append(lock);
    }
    return locks;
}

QList<qint64> pidsOf(const QJsonArray& array, const QString& key = QStringLiteral("pid")) {
    QList<qint64> pids;
    for (const auto& value : array)
        pids.append(value.isObject() ? value.toObject().value(key).toInteger() : value.toInteger());
    std::sort(pids.begin(), pids.end());
    return pids;
}

} // namespace

class TestInspectLockctl : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir m_dir;
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    static QString open(const QString& path) {
        return QStringLiteral("open f ") + path + QStringLiteral(" rw");
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void usageErrorsExitTwo_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("list extra") << QStringList{QStringLiteral("list"), QStringLiteral("x")};
        QTest::newRow("list watch no number")
            << QStringList{QStringLiteral("list"), QStringLiteral("--watch")};
        QTest::newRow("list watch zero")
            << QStringList{QStringLiteral("list"), QStringLiteral("--watch"), QStringLiteral("0")};
        QTest::newRow("list watch word") << QStringList{
            QStringLiteral("list"), QStringLiteral("--watch"), QStringLiteral("soon")};
        QTest::newRow("who no path") << QStringList{QStringLiteral("who")};
        QTest::newRow("who two paths")
            << QStringList{QStringLiteral("who"), QStringLiteral("/a"), QStringLiteral("/b")};
        QTest::newRow("who bad option")
            << QStringList{QStringLiteral("who"), QStringLiteral("/a"), QStringLiteral("--bogus")};
        QTest::newRow("who semaphore short")
            << QStringList{QStringLiteral("who"), QStringLiteral("/tmp"),
                           QStringLiteral("--semaphore"), QStringLiteral("jobs")};
        QTest::newRow("who semaphore zero") << QStringList{
            QStringLiteral("who"), QStringLiteral("/tmp"), QStringLiteral("--semaphore"),
            QStringLiteral("jobs"), QStringLiteral("0")};
        QTest::newRow("who bad pattern") << QStringList{
            QStringLiteral("who"),   QStringLiteral("/tmp"), QStringLiteral("--semaphore"),
            QStringLiteral("jobs"),  QStringLiteral("2"),    QStringLiteral("--pattern"),
            QStringLiteral("{nope}")};
    }

    void usageErrorsExitTwo() {
        QFETCH(QStringList, arguments);
        const Run result = lockctl(arguments);
        QCOMPARE(result.exitCode, 2);
        QVERIFY(result.err.contains("usage: lockctl"));
    }

    void helpExitsZero() {
        for (const char* command : {"list", "who"}) {
            const Run result = lockctl({QString::fromLatin1(command), QStringLiteral("--help")});
            QCOMPARE(result.exitCode, 0);
            QVERIFY(result.out.startsWith(
                QByteArray(QByteArray("usage: lockctl ") + QByteArray(command))));
        }
        const Run help = lockctl({QStringLiteral("--help")});
        QVERIFY(help.out.contains("  list ") && help.out.contains("  who "));
    }

    void listJsonContract() {
        const QString file = path("json.lock");
        LockMaker holder, waiter;
        QVERIFY(holder.send(open(file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(holder.send(QStringLiteral("posix f w 5 10 nb")), QStringLiteral("LOCKED"));
        QVERIFY(waiter.send(open(file)).startsWith(QStringLiteral("OK")));
        QVERIFY(waiter.sendBlocking(QStringLiteral("posix f r 0 0")));
        scanUntil([&](const auto& s) { return waitersOn(s, file) == 1; });

        const Run result = lockctl({QStringLiteral("list"), QStringLiteral("--json")});
        QCOMPARE(result.exitCode, 0);
        const QJsonObject list = jsonOf(result);
        for (const char* key : {"locks", "deadlocks", "problems"})
            QVERIFY2(list.value(QLatin1String(key)).isArray(), key);
        const auto locks = locksUnder(list, file);
        QCOMPARE(locks.size(), 1);
        const QJsonObject lock = locks.front();
        QCOMPARE(lock.value(QStringLiteral("kind")).toString(), QStringLiteral("posix"));
        QCOMPARE(lock.value(QStringLiteral("mode")).toString(), QStringLiteral("write"));
        QCOMPARE(lock.value(QStringLiteral("path")).toString(), file);
        QCOMPARE(lock.value(QStringLiteral("start")).toInteger(), 5);
        QCOMPARE(lock.value(QStringLiteral("end")).toInteger(), 14);
        QVERIFY(lock.value(QStringLiteral("inode")).toInteger() > 0);
        QVERIFY(lock.value(QStringLiteral("device")).toString().contains(QLatin1Char(':')));
        QVERIFY(lock.value(QStringLiteral("held_since")).isString());
        const QJsonArray holders = lock.value(QStringLiteral("holders")).toArray();
        QCOMPARE(holders.size(), 1);
        const QJsonObject holderObject = holders[0].toObject();
        QCOMPARE(holderObject.value(QStringLiteral("pid")).toInteger(), holder.pid());
        QCOMPARE(holderObject.value(QStringLiteral("command")).toString(),
                 QStringLiteral("lockmaker"));
        QCOMPARE(holderObject.value(QStringLiteral("state")).toString(),
                 QStringLiteral("sleeping"));
        QVERIFY(!holderObject.value(QStringLiteral("user")).toString().isEmpty());
        const QJsonArray waiters = lock.value(QStringLiteral("waiters")).toArray();
        QCOMPARE(waiters.size(), 1);
        const QJsonObject waiterObject = waiters[0].toObject();
        QCOMPARE(waiterObject.value(QStringLiteral("pid")).toInteger(), waiter.pid());
        QCOMPARE(waiterObject.value(QStringLiteral("command")).toString(),
                 QStringLiteral("lockmaker"));
        QCOMPARE(waiterObject.value(QStringLiteral("mode")).toString(), QStringLiteral("read"));
        QVERIFY(waiterObject.value(QStringLiteral("end")).isNull()); // EOF
        QCOMPARE(pidsOf(waiterObject.value(QStringLiteral("blocked_by")).toArray()),
                 QList<qint64>{holder.pid()});
    }

    void listTextIsReadable() {
        const QString file = path("text.lock");
        LockMaker holder;
        QVERIFY(holder.send(open(file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(holder.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(holder.stop());
        const Run result = lockctl({QStringLiteral("list")});
        holder.signal(SIGCONT);
        QCOMPARE(result.exitCode, 0);
        const QString text = QString::fromUtf8(result.out);
        QVERIFY(text.startsWith(QStringLiteral("KIND")));
        const QStringList lines = text.split(QLatin1Char('\n'));
        const auto line = std::find_if(lines.begin(), lines.end(),
                                       [&](const QString& l) { return l.endsWith(file); });
        QVERIFY2(line != lines.end(), qPrintable(text));
        // Columns are aligned to whatever else is locked on the system right now.
        static const QRegularExpression columns(QStringLiteral("^FLOCK +WRITE +whole file +"));
        QVERIFY2(line->contains(columns), qPrintable(*line));
        QVERIFY2(line->contains(QStringLiteral("%1 lockmaker (STOPPED, ").arg(holder.pid())),
                 qPrintable(*line));
    }

    void whoShowsHolderWaiterAndFree() {
        const QString file = path("who.lock");
        LockMaker holder, waiter;
        QVERIFY(holder.send(open(file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(holder.send(QStringLiteral("flock f sh nb")), QStringLiteral("LOCKED"));
        QVERIFY(waiter.send(open(file)).startsWith(QStringLiteral("OK")));
        QVERIFY(waiter.sendBlocking(QStringLiteral("flock f ex")));
        scanUntil([&](const auto& s) { return waitersOn(s, file) == 1; });

        const QJsonObject who =
            jsonOf(lockctl({QStringLiteral("who"), file, QStringLiteral("--json")}));
        QCOMPARE(who.value(QStringLiteral("state")).toString(), QStringLiteral("contended"));
        QCOMPARE(pidsOf(who.value(QStringLiteral("holders")).toArray()),
                 QList<qint64>{holder.pid()});
        QCOMPARE(pidsOf(who.value(QStringLiteral("waiters")).toArray()),
                 QList<qint64>{waiter.pid()});
        QCOMPARE(who.value(QStringLiteral("locks")).toArray().size(), 1);

        const Run text = lockctl({QStringLiteral("who"), file});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.startsWith((file + QStringLiteral(": HELD, 1 waiting")).toUtf8()),
                 text.out.constData());
        QVERIFY(
            text.out.contains(QStringLiteral("waiting: %1 lockmaker").arg(waiter.pid()).toUtf8()));

        const Run free = lockctl({QStringLiteral("who"), path("free.lock")});
        QCOMPARE(free.exitCode, 0);
        QCOMPARE(free.out,
                 (path("free.lock") + QStringLiteral(": free (no such file)\n")).toUtf8());
    }

    // A PidFileLock locks "<pid file>.lock", not the PID file: `who app.pid` says so and
    // who holds it, instead of calling the PID file free.
    void whoFollowsAPidFileToItsLock() {
        const QString pidFile = path("app.pid");
        portalocker::PidFileLock lock(pidFile.toStdString());
        QVERIFY(lock.try_lock());
        const qint64 ourPid = QCoreApplication::applicationPid();

        const Run text = lockctl({QStringLiteral("who"), pidFile});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.startsWith(
                     (pidFile + QStringLiteral(": PID file of a PidFileLock (it names pid %1); "
                                               "the lock is on %2.lock\n%2.lock: HELD")
                                    .arg(ourPid)
                                    .arg(pidFile))
                         .toUtf8()),
                 text.out.constData());

        const QJsonObject who =
            jsonOf(lockctl({QStringLiteral("who"), pidFile, QStringLiteral("--json")}));
        QCOMPARE(who.value(QStringLiteral("state")).toString(), QStringLiteral("free"));
        const QJsonObject pidInfo = who.value(QStringLiteral("pid_file")).toObject();
        QCOMPARE(pidInfo.value(QStringLiteral("pid")).toInteger(), ourPid);
        const QJsonObject sidecar = pidInfo.value(QStringLiteral("lock")).toObject();
        QCOMPARE(sidecar.value(QStringLiteral("path")).toString(),
                 pidFile + QStringLiteral(".lock"));
        QCOMPARE(sidecar.value(QStringLiteral("state")).toString(), QStringLiteral("held"));
        QCOMPARE(pidsOf(sidecar.value(QStringLiteral("holders")).toArray()), QList<qint64>{ourPid});

        lock.unlock(); // deletes both files: nothing left to follow
        const Run after = lockctl({QStringLiteral("who"), pidFile});
        QCOMPARE(after.out, (pidFile + QStringLiteral(": free (no such file)\n")).toUtf8());
    }

    void whoSemaphoreSlots() {
        const QString directory = path("sem");
        QVERIFY(QDir().mkpath(directory));
        LockMaker holder;
        QVERIFY(holder.send(open(directory + QStringLiteral("/jobs.01.lock")))
                    .startsWith(QStringLiteral("OK")));
        QCOMPARE(holder.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        const Run result =
            lockctl({QStringLiteral("who"), directory, QStringLiteral("--semaphore"),
                     QStringLiteral("jobs"), QStringLiteral("3"), QStringLiteral("--json")});
        QCOMPARE(result.exitCode, 0);
        const QJsonObject who = jsonOf(result);
        const QJsonArray slotArray = who.value(QStringLiteral("slots")).toArray();
        QCOMPARE(slotArray.size(), 3);
        QCOMPARE(slotArray[0].toObject().value(QStringLiteral("state")).toString(),
                 QStringLiteral("free"));
        QCOMPARE(slotArray[1].toObject().value(QStringLiteral("state")).toString(),
                 QStringLiteral("held"));
        QCOMPARE(pidsOf(slotArray[1].toObject().value(QStringLiteral("holders")).toArray()),
                 QList<qint64>{holder.pid()});
        QCOMPARE(who.value(QStringLiteral("free_slots")).toInt(), 2);

        const Run text = lockctl({QStringLiteral("who"), directory, QStringLiteral("--semaphore"),
                                  QStringLiteral("jobs"), QStringLiteral("3")});
        QVERIFY2(text.out.contains("1 of 3 slots held"), text.out.constData());
        QVERIFY(text.out.contains(QStringLiteral("slot 01  %1/jobs.01.lock  held by %2 lockmaker")
                                      .arg(directory)
                                      .arg(holder.pid())
                                      .toUtf8()));
    }

    void deadlockInJson() {
        const QString f1 = path("jd1.lock"), f2 = path("jd2.lock");
        LockMaker a, b;
        for (LockMaker* maker : {&a, &b}) {
            QVERIFY(maker->send(QStringLiteral("open one ") + f1 + QStringLiteral(" rw"))
                        .startsWith(QStringLiteral("OK")));
            QVERIFY(maker->send(QStringLiteral("open two ") + f2 + QStringLiteral(" rw"))
                        .startsWith(QStringLiteral("OK")));
        }
        QCOMPARE(a.send(QStringLiteral("flock one ex nb")), QStringLiteral("LOCKED"));
        QCOMPARE(b.send(QStringLiteral("flock two ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(a.sendBlocking(QStringLiteral("flock two ex")));
        QVERIFY(b.sendBlocking(QStringLiteral("flock one ex")));
        scanUntil([&](const auto& s) { return waitersOn(s, f1) == 1 && waitersOn(s, f2) == 1; });
        const QJsonObject list =
            jsonOf(lockctl({QStringLiteral("list"), QStringLiteral("--json")}));
        const QList<qint64> expected = pidsOf(QJsonArray{qint64(a.pid()), qint64(b.pid())});
        bool found = false;
        for (const auto& deadlock : list.value(QStringLiteral("deadlocks")).toArray())
            found = found || pidsOf(deadlock.toArray()) == expected;
        QVERIFY(found);
        const Run text = lockctl({QStringLiteral("list")});
        QVERIFY(text.out.contains("DEADLOCK: "));
    }

    void watchPrintsEvents() {
        const QString file = path("watch.lock");
        QProcess watch;
        watch.start(testsupport::programPath("LOCKSCOPE_LOCKCTL"),
                    {QStringLiteral("list"), QStringLiteral("--watch"), QStringLiteral("0.1")});
        QVERIFY(watch.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(watch.bytesAvailable() > 0 || watch.canReadLine(), 10000);
        LockMaker holder;
        QVERIFY(holder.send(open(file)).startsWith(QStringLiteral("OK")));
        QCOMPARE(holder.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        QByteArray output;
        const QByteArray acquired = "acquired     flock write " + file.toUtf8();
        const QByteArray released = "released     flock write " + file.toUtf8();
        QTRY_VERIFY_WITH_TIMEOUT((output += watch.readAllStandardOutput()).contains(acquired),
                                 10000);
        holder.kill();
        QTRY_VERIFY_WITH_TIMEOUT((output += watch.readAllStandardOutput()).contains(released),
                                 10000);
        ::kill(static_cast<pid_t>(watch.processId()), SIGTERM);
        QVERIFY(watch.waitForFinished(10000));
        QCOMPARE(watch.exitStatus(), QProcess::NormalExit);
        QCOMPARE(watch.exitCode(), 0);
    }

    void crossCheckWithLslocks() {
        const QString lslocks = QStandardPaths::findExecutable(QStringLiteral("lslocks"));
        // util-linux is installed everywhere the tests run; a missing lslocks is a failure.
        if (lslocks.isEmpty())
            QFAIL("lslocks is not installed (util-linux)");
        const QString f1 = path("cross1.lock"), f2 = path("cross2.dat");
        LockMaker a, b, c;
        QVERIFY(a.send(open(f1)).startsWith(QStringLiteral("OK")));
        QCOMPARE(a.send(QStringLiteral("flock f ex nb")), QStringLiteral("LOCKED"));
        QVERIFY(b.send(open(f2)).startsWith(QStringLiteral("OK")));
        QCOMPARE(b.send(QStringLiteral("posix f w 10 10 nb")), QStringLiteral("LOCKED"));
        QCOMPARE(b.send(QStringLiteral("posix f r 100 0 nb")), QStringLiteral("LOCKED"));
        QVERIFY(c.send(open(f1)).startsWith(QStringLiteral("OK")));
        QVERIFY(c.sendBlocking(QStringLiteral("flock f ex")));
        scanUntil([&](const auto& s) { return waitersOn(s, f1) == 1; });

        const QJsonObject ours =
            jsonOf(lockctl({QStringLiteral("list"), QStringLiteral("--json")}));
        const Run theirs =
            run(lslocks, {QStringLiteral("--json"), QStringLiteral("--output"),
                          QStringLiteral("COMMAND,PID,TYPE,MODE,START,END,PATH,BLOCKER")});
        if (theirs.exitCode != 0)
            QFAIL(qPrintable(QStringLiteral("lslocks failed here: ") +
                             QString::fromUtf8(theirs.err)));

        // Granted locks and waiters as "pid type mode start end path [blocker]" in lslocks' terms.
        QSet<QString> expected;
        for (const QJsonObject& lock : locksUnder(ours, m_dir.path())) {
            const QString type =
                lock.value(QStringLiteral("kind")).toString() == QStringLiteral("flock")
                    ? QStringLiteral("FLOCK")
                    : QStringLiteral("POSIX");
            const qint64 start = lock.value(QStringLiteral("start")).toInteger();
            const qint64 end = lock.value(QStringLiteral("end")).isNull()
                                   ? 0
                                   : lock.value(QStringLiteral("end")).toInteger();
            const QString path = lock.value(QStringLiteral("path")).toString();
            for (const auto& holder : lock.value(QStringLiteral("holders")).toArray())
                expected.insert(QStringLiteral("%1 %2 %3 %4 %5 %6 -")
                                    .arg(holder.toObject().value(QStringLiteral("pid")).toInteger())
                                    .arg(type)
                                    .arg(lock.value(QStringLiteral("mode")).toString().toUpper())
                                    .arg(start)
                                    .arg(end)
                                    .arg(path));
            for (const auto& value : lock.value(QStringLiteral("waiters")).toArray()) {
                const QJsonObject waiter = value.toObject();
                const QJsonArray blockers = waiter.value(QStringLiteral("blocked_by")).toArray();
                QCOMPARE(blockers.size(), 1); // one holder: lslocks' root blocker is the same pid
                expected.insert(QStringLiteral("%1 %2 %3* %4 %5 %6 %7")
                                    .arg(waiter.value(QStringLiteral("pid")).toInteger())
                                    .arg(type)
                                    .arg(waiter.value(QStringLiteral("mode")).toString().toUpper())
                                    .arg(start)
                                    .arg(end)
                                    .arg(path)
                                    .arg(blockers[0].toInteger()));
            }
        }
        QSet<QString> actual;
        for (const auto& value : jsonOf(theirs).value(QStringLiteral("locks")).toArray()) {
            const QJsonObject lock = value.toObject();
            const QString path = lock.value(QStringLiteral("path")).toString();
            if (!path.startsWith(m_dir.path()))
                continue;
            const QJsonValue blocker = lock.value(QStringLiteral("blocker"));
            actual.insert(QStringLiteral("%1 %2 %3 %4 %5 %6 %7")
                              .arg(lock.value(QStringLiteral("pid")).toInteger())
                              .arg(lock.value(QStringLiteral("type")).toString())
                              .arg(lock.value(QStringLiteral("mode")).toString())
                              .arg(lock.value(QStringLiteral("start")).toInteger())
                              .arg(lock.value(QStringLiteral("end")).toInteger())
                              .arg(path)
                              .arg(blocker.isNull() || blocker.isUndefined()
                                       ? QStringLiteral("-")
                                       : QString::number(blocker.toInteger())));
        }
        QCOMPARE(expected.size(), 4);
        QCOMPARE(actual, expected);
    }
};

QTEST_GUILESS_MAIN(TestInspectLockctl)
#include "tst_inspect_lockctl.moc"
