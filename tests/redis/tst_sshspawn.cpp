// How the Redis code starts and waits for ssh (core/src/redis/sshspawn.hpp), with real child
// processes and no ssh: the child leads a session of its own with default signals and only
// the three descriptors it is given; waiting for it sleeps until it exits (rather than
// waking every few milliseconds) or until the deadline; reap_within ends the child's whole
// process group; ssh's stderr becomes one message line.

#include "sshspawn.hpp"

#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using portalocker::redis::Clock;

namespace {

/// Starts `sh -c script` with stdout to a pipe; the read end in `out`.
pid_t startShell(const std::string& script, int& out) {
    int pipe[2];
    if (::pipe2(pipe, O_CLOEXEC) != 0)
        return -1;
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = -1;
    const int status =
        portalocker::redis::spawn_in_session({"/bin/sh", "-c", script}, null, pipe[1], null, pid);
    ::close(pipe[1]);
    ::close(null);
    out = pipe[0];
    return status == 0 ? pid : -1;
}

long voluntarySwitches() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw;
}

} // namespace

class TestSshSpawn : public QObject {
    Q_OBJECT

  private slots:
    void childLeadsASessionWithDefaultsAndThreeDescriptors() {
        // What a caller like lockctl has: SIGPIPE ignored, SIGTERM blocked, and a descriptor
        // (a lock's, say) without close-on-exec.
        struct sigaction ignore {};
        struct sigaction previous {};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ignore, &previous);
        sigset_t blocked;
        sigset_t mask;
        sigemptyset(&blocked);
        sigaddset(&blocked, SIGTERM);
        ::pthread_sigmask(SIG_BLOCK, &blocked, &mask);
        const int inherited = ::open("/dev/null", O_RDONLY);
        const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        pid_t pid = -1;
        const int started =
            portalocker::redis::spawn_in_session({"sleep", "60"}, null, null, null, pid);
        ::close(null);
        ::close(inherited);
        ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
        ::sigaction(SIGPIPE, &previous, nullptr);
        QCOMPARE(started, 0);
        // posix_spawn returns once `sleep` was exec'd, but its dynamic loader may still hold a
        // library open for a moment (seen under TSan: a fourth descriptor): look again until
        // three are left or a bound passes. A descriptor the spawn let through stays.
        const QString proc = u"/proc/"_s + QString::number(pid);
        QStringList descriptors;
        QStringList targets;
        QElapsedTimer looking;
        looking.start();
        for (;;) {
            descriptors = QDir(proc + u"/fd"_s)
                              .entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot);
            if (descriptors.size() <= 3 || looking.elapsed() > testsupport::timeBound(2000))
                break;
            QTest::qWait(10);
        }
        for (const QString& fd : std::as_const(descriptors))
            targets << fd + u" -> "_s + QFile::symLinkTarget(proc + u"/fd/"_s + fd);
        QFile statusFile(proc + u"/status"_s);
        QVERIFY(statusFile.open(QIODevice::ReadOnly));
        const QByteArray status = statusFile.readAll();
        const pid_t session = ::getsid(pid);
        portalocker::redis::reap_within(pid, Clock::now());
        QCOMPARE(session, pid);
        QVERIFY2(descriptors.size() == 3, qPrintable(targets.join(u", "_s)));
        QVERIFY2(status.contains("\nSigBlk:\t0000000000000000\n"), status.constData());
        // Signals the caller ignores are reset (those it does not touch, such as real-time
        // signals a test runner ignores, pass through as exec() leaves them).
        const qsizetype at = status.indexOf("\nSigIgn:\t");
        QVERIFY(at >= 0);
        bool parsed = false;
        const qulonglong ignored = status.mid(at + 9, 16).toULongLong(&parsed, 16);
        QVERIFY(parsed);
        for (int signal : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD})
            QVERIFY2(!(ignored & (1ULL << (signal - 1))), status.constData());
    }

    void waitingSleepsUntilTheChildExits() {
        // Polling waitpid every 2 ms would wake ~250 times in half a second; a wait on the
        // child's pidfd wakes once it has exited.
        QElapsedTimer timer; // from before the start: the child takes at least 500 ms
        timer.start();
        int out = -1;
        const pid_t pid = startShell("exec sleep 0.5", out);
        QVERIFY(pid > 0);
        ::close(out);
        const long before = voluntarySwitches();
        int status = -1;
        QVERIFY(portalocker::redis::wait_for_child(pid, Clock::now() + 30s, status));
        const qint64 elapsed = timer.elapsed();
        const long switches = voluntarySwitches() - before;
        QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        QVERIFY2(elapsed >= 500 && elapsed < 500 + testsupport::timeBound(2000),
                 qPrintable(QString::number(elapsed)));
        QVERIFY2(switches < 25, qPrintable(QString::number(switches) + u" wake-ups"));
        QCOMPARE(::kill(pid, 0), -1); // reaped: the pid is free
    }

    void waitingEndsAtTheDeadline() {
        int out = -1;
        const pid_t pid = startShell("exec sleep 60", out);
        QVERIFY(pid > 0);
        ::close(out);
        QElapsedTimer timer;
        timer.start();
        int status = -1;
        QVERIFY(!portalocker::redis::wait_for_child(pid, Clock::now() + 200ms, status));
        QVERIFY2(timer.elapsed() >= 190 && timer.elapsed() < testsupport::timeBound(3000),
                 qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(::kill(pid, 0), 0); // still there, not reaped
        portalocker::redis::reap_within(pid, Clock::now());
        QCOMPARE(::kill(pid, 0), -1);
        QCOMPARE(errno, ESRCH);
    }

    void reapWithinEndsTheWholeGroup() {
        // As with LOCKSCOPE_SSH_COMMAND: ssh is a child of /bin/sh, and must end too.
        int out = -1;
        const pid_t pid = startShell("sleep 60 & echo $!; wait", out);
        QVERIFY(pid > 0);
        char line[32] = {};
        const ssize_t got = ::read(out, line, sizeof line - 1);
        ::close(out);
        QVERIFY(got > 0);
        const pid_t grandchild = static_cast<pid_t>(std::atoi(line));
        QVERIFY(grandchild > 0);
        QCOMPARE(::kill(grandchild, 0), 0);
        portalocker::redis::reap_within(pid, Clock::now() + 100ms);
        QCOMPARE(::kill(pid, 0), -1);
        // The grandchild is init's to reap now: gone, or a zombie for a moment.
        QTRY_VERIFY_WITH_TIMEOUT(
            ::kill(grandchild, 0) != 0 ||
                [&] {
                    char state = '?';
                    if (FILE* stat = std::fopen(
                            ("/proc/" + std::to_string(grandchild) + "/stat").c_str(), "r")) {
                        std::fscanf(stat, "%*d %*s %c", &state);
                        std::fclose(stat);
                    }
                    return state == 'Z' || state == '?';
                }(),
            int(testsupport::timeBound(5000)));
    }

    void sshMessageIsOneLine() {
        using portalocker::redis::ssh_message;
        QCOMPARE(ssh_message("Permission denied (publickey).\r\n"),
                 std::string("Permission denied (publickey)."));
        QCOMPARE(ssh_message("a\r\n\r\n  \r\nb \r\nc"), std::string("a; b; c"));
        QCOMPARE(ssh_message(""), std::string());
    }
};

QTEST_GUILESS_MAIN(TestSshSpawn)
#include "tst_sshspawn.moc"
