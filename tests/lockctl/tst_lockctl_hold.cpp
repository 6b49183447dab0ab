// `lockctl hold`: exit statuses, naming the holder, running the command, holding until a
// signal, shared locks and every backend — all through the real program.

#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

QStringList holdArguments(const QString& path, const QStringList& extra) {
    return QStringList{QStringLiteral("hold"), path} + extra;
}

} // namespace

class TestLockctlHold : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString lockctl() const { return testsupport::programPath("LOCKSCOPE_LOCKCTL"); }

    int run(const QStringList& arguments, QString* errors = nullptr) {
        testsupport::ChildProcess child;
        if (!child.start(lockctl(), arguments))
            return -1;
        const int status = child.waitForExit(20000);
        if (errors)
            *errors = child.standardError();
        return status;
    }

  private slots:
    void helpAndVersion() {
        QCOMPARE(run({QStringLiteral("--help")}), 0);
        QCOMPARE(run({QStringLiteral("--version")}), 0);
        QCOMPARE(run({QStringLiteral("hold"), QStringLiteral("--help")}), 0);
        QCOMPARE(run({QStringLiteral("no-such-command")}), 2);
        QCOMPARE(run({QStringLiteral("hold")}), 2);
        QCOMPARE(run({QStringLiteral("hold"), QStringLiteral("x"), QStringLiteral("--timeout"),
                      QStringLiteral("soon")}),
                 2);
        QCOMPARE(run({QStringLiteral("hold"), QStringLiteral("x"), QStringLiteral("--backend"),
                      QStringLiteral("nfs")}),
                 2);
    }

    void runsCommandAndPassesItsStatus() {
        const QString path = m_dir.filePath(QStringLiteral("status.lock"));
        QCOMPARE(run(holdArguments(path, {QStringLiteral("--"), QStringLiteral("sh"),
                                          QStringLiteral("-c"), QStringLiteral("exit 7")})),
                 7);
        QVERIFY(QFile::exists(path));
        QCOMPARE(
            run(holdArguments(path, {QStringLiteral("--"), QStringLiteral("/no/such/program")})),
            127);
    }

    void createsButNeverTruncates() {
        const QString path = m_dir.filePath(QStringLiteral("keep.lock"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("data");
        file.close();
        QCOMPARE(run(holdArguments(path, {QStringLiteral("--"), QStringLiteral("true")})), 0);
        QCOMPARE(QFileInfo(path).size(), 4);
    }

    void busyLockExitsOneNamingTheHolder_data() {
        QTest::addColumn<QString>("backend");
        QTest::newRow("flock") << QStringLiteral("flock");
        QTest::newRow("posix") << QStringLiteral("posix");
        QTest::newRow("ofd") << QStringLiteral("ofd");
    }
    void busyLockExitsOneNamingTheHolder() {
        QFETCH(QString, backend);
        const QString path = m_dir.filePath(QStringLiteral("busy-") + backend);
        testsupport::ChildProcess holder;
        QVERIFY(holder.startHelper(
            {QStringLiteral("hold"), path, QStringLiteral("--backend"), backend}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));

        QString errors;
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(run(holdArguments(path, {QStringLiteral("--backend"), backend,
                                          QStringLiteral("--timeout"), QStringLiteral("0.3"),
                                          QStringLiteral("--"), QStringLiteral("true")}),
                     &errors),
                 1);
        QVERIFY(timer.elapsed() >= 250);
        QCOMPARE(errors.count(u'\n'), 1);
        if (backend != QStringLiteral("ofd")) // OFD locks carry no pid in /proc/locks
            QVERIFY2(errors.contains(QString::number(holder.pid())), qPrintable(errors));

        QCOMPARE(run(holdArguments(path, {QStringLiteral("--backend"), backend,
                                          QStringLiteral("--timeout"), QStringLiteral("0")}),
                     &errors),
                 1);
    }

    void waitsForeverByDefault() {
        const QString path = m_dir.filePath(QStringLiteral("forever.lock"));
        testsupport::ChildProcess holder;
        QVERIFY(holder.startHelper({QStringLiteral("hold"), path}));
        QVERIFY(holder.readLine().startsWith(QStringLiteral("LOCKED")));
        testsupport::ChildProcess waiter;
        QVERIFY(waiter.start(lockctl(),
                             holdArguments(path, {QStringLiteral("--"), QStringLiteral("echo"),
                                                  QStringLiteral("GOT")})));
        QVERIFY(waiter.readLine(700).isEmpty()); // still waiting
        holder.writeLine(QStringLiteral("release"));
        QCOMPARE(waiter.readLine(), QStringLiteral("GOT"));
        QCOMPARE(waiter.waitForExit(), 0);
    }

    void holdsUntilTerminated() {
        const QString path = m_dir.filePath(QStringLiteral("until-signal.lock"));
        testsupport::ChildProcess cli;
        QVERIFY(cli.start(lockctl(), holdArguments(path, {})));
        // Held: a second attempt fails...
        QTRY_COMPARE_WITH_TIMEOUT(
            run(holdArguments(path, {QStringLiteral("--timeout"), QStringLiteral("0"),
                                     QStringLiteral("--"), QStringLiteral("true")})),
            1, 5000);
        ::kill(pid_t(cli.pid()), SIGTERM);
        QCOMPARE(cli.waitForExit(), 0);
        // ... and free after SIGTERM.
        QCOMPARE(run(holdArguments(path, {QStringLiteral("--timeout"), QStringLiteral("0"),
                                          QStringLiteral("--"), QStringLiteral("true")})),
                 0);
    }

    void signalsReachTheCommand() {
        const QString path = m_dir.filePath(QStringLiteral("forward.lock"));
        testsupport::ChildProcess cli;
        QVERIFY(cli.start(
            lockctl(),
            holdArguments(path, {QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                                 QStringLiteral("echo UP; exec sleep 30")})));
        QCOMPARE(cli.readLine(), QStringLiteral("UP"));
        ::kill(pid_t(cli.pid()), SIGTERM);
        QCOMPARE(cli.waitForExit(), 128 + SIGTERM);
    }

    void sharedHoldersCoexist() {
        const QString path = m_dir.filePath(QStringLiteral("shared.lock"));
        testsupport::ChildProcess reader;
        QVERIFY(reader.startHelper({QStringLiteral("hold"), path, QStringLiteral("--shared"),
                                    QStringLiteral("--mode"), QStringLiteral("a+")}));
        QVERIFY(reader.readLine().startsWith(QStringLiteral("LOCKED")));
        QCOMPARE(run(holdArguments(path, {QStringLiteral("--shared"), QStringLiteral("--timeout"),
                                          QStringLiteral("0"), QStringLiteral("--"),
                                          QStringLiteral("true")})),
                 0);
        QCOMPARE(run(holdArguments(path, {QStringLiteral("--timeout"), QStringLiteral("0"),
                                          QStringLiteral("--"), QStringLiteral("true")})),
                 1);
    }

    void badPathsAreFailuresNotContention() {
        QString errors;
        QCOMPARE(run(holdArguments(m_dir.filePath(QStringLiteral("missing/dir/x.lock")),
                                   {QStringLiteral("--timeout"), QStringLiteral("0")}),
                     &errors),
                 3);
        QVERIFY(errors.contains(QStringLiteral("No such file or directory")));
        QCOMPARE(
            run(holdArguments(m_dir.path(), {QStringLiteral("--timeout"), QStringLiteral("0")}),
                &errors),
            3);
        QVERIFY(errors.contains(QStringLiteral("directory")));
    }
};

QTEST_GUILESS_MAIN(TestLockctlHold)
#include "tst_lockctl_hold.moc"
