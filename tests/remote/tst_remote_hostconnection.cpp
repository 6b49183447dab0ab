// HostConnection over a real sshd: a remote lock arrives as the same rows the local poller
// makes; a killed sshd leaves the rows, marks the host stale and reconnects when sshd is
// back; each broken host fails on its own with a message that says why.

#include "remotehosts.h"
#include "testsupport.h"
#include "workers/hostconnection.h"
#include "workers/snapshotpoller.h"

#include <QDateTime>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

bool hasPath(const PollResult& result, const QString& path) {
    for (const FileLockEntry& entry : result.fileLocks)
        if (entry.waiter < 0 && entry.lock->path == path)
            return true;
    return false;
}

/// The lock row of `path` (nullptr when there is none).
const FileLockRow* lockRow(const PollResult& result, const QString& path) {
    for (const FileLockEntry& entry : result.fileLocks)
        if (entry.waiter < 0 && entry.lock->path == path)
            return entry.lock.get();
    return nullptr;
}

/// The start of a stand-in agent script (Python): a host clock an hour behind, `lock(name,
/// since, exact)` making a lock held by pid 4242, `send(line)` writing one agent line as
/// lockctl does (compact JSON), `beat(seq, seconds)` heartbeats every 0.1 s, and `first`:
/// whether this is the script's first run in its directory.
QByteArray agentScriptPrelude() {
    return R"(#!/usr/bin/python3
import datetime, json, os, sys, time
SKEW = -3600.0
def iso(t):
    moment = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)
def now():
    return time.time() + SKEW
def lock(name, since, exact):
    holder = {"pid": 4242, "source": "descriptor", "fds": [3], "held_since": iso(since),
              "command": "job", "command_line": "job", "user": "alice", "uid": 1000,
              "state": "sleeping", "threads": 1, "start_time": iso(now() - 1800)}
    return {"id": "flock " + name, "kind": "flock", "qualifier": "advisory", "mode": "write",
            "path": "/srv/" + name + ".lock", "path_source": "descriptor", "device": "254:1",
            "inode": 7, "start": 0, "end": None, "line_pid": 4242, "held_since": iso(since),
            "held_since_exact": exact, "problems": [], "holders": [holder], "waiters": []}
def send(line):
    print(json.dumps(dict(protocol=1, **line), separators=(",", ":")), flush=True)  # as lockctl
def beat(seq, seconds):
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(0.1)
        seq += 1
        send({"type": "heartbeat", "seq": seq, "taken_at": iso(now())})
    return seq
runs = os.path.join(os.path.dirname(sys.argv[0]), "runs")
first = not os.path.exists(runs)
open(runs, "a").close()
)";
}

} // namespace

class TestRemoteHostConnection : public QObject {
    Q_OBJECT

    RemoteHosts m_hosts;
    QString m_lockctl;

    /// A connection through `server`'s client configuration, retrying fast.
    std::unique_ptr<HostConnection> connection(const QString& alias,
                                               testsupport::SshServer& server) {
        auto host = std::make_unique<HostConnection>(alias);
        host->setSshCommand(server.sshCommand());
        host->setRefreshSeconds(0.2);
        host->setInitialBackoff(200);
        return host;
    }

    /// Takes a lock on `path` inside the other host, held by a process there (ends with the
    /// test's sshd namespace).
    bool holdOnOtherHost(const QString& path, testsupport::ChildProcess& holder) {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LOCKSCOPE_SSH_COMMAND"),
                           m_hosts.otherHost().sshCommand());
        holder.process().setProcessEnvironment(environment);
        QString why;
        if (m_hosts.holdOnOtherHost(m_lockctl, path, false, holder, why))
            return true;
        qWarning("%s", qPrintable(why));
        return false;
    }

  private slots:
    void initTestCase() {
        m_lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
        QVERIFY2(m_hosts.start(m_lockctl), qPrintable(m_hosts.error()));
    }

    void cleanupTestCase() { m_hosts.stop(); }

    void remoteLockArrivesAndSurvivesACutConnection() {
        const QString there = m_hosts.scratch(QStringLiteral("remote.lock"));
        testsupport::ChildProcess holder;
        QVERIFY(holdOnOtherHost(there, holder));

        auto host = connection(QStringLiteral("other"), m_hosts.otherHost());
        PollResult last;
        connect(host->poller(), &SnapshotPoller::resultReady, this,
                [&last](const PollResult& result) { last = result; });
        host->start();
        const int bound = static_cast<int>(testsupport::timeBound(20000));
        QTRY_VERIFY_WITH_TIMEOUT(hasPath(last, there), bound);
        QCOMPARE(host->state(), HostConnection::State::Connected);
        QVERIFY(!host->isStale());
        QVERIFY(host->lastUpdateMs() > 0);
        const FileLockEntry& entry = last.fileLocks.front();
        QCOMPARE(entry.lock->kind, QStringLiteral("flock"));
        QCOMPARE(entry.lock->command, QStringLiteral("lockctl")); // `hold` took it

        // The machine dies: sshd and everything in its namespace, the holder included.
        m_hosts.otherHost().kill();
        QTRY_COMPARE_WITH_TIMEOUT(host->state(), HostConnection::State::Waiting, bound);
        QVERIFY(host->isStale());
        QVERIFY2(!host->message().isEmpty(), "a lost connection must say so");
        QVERIFY(hasPath(last, there)); // the last rows stay until the host answers again
        holder.kill();

        QVERIFY2(m_hosts.otherHost().restart(), qPrintable(m_hosts.otherHost().errorString()));
        QTRY_COMPARE_WITH_TIMEOUT(host->state(), HostConnection::State::Connected, bound);
        // A fresh snapshot replaces the old rows: the holder died with its machine.
        QTRY_VERIFY_WITH_TIMEOUT(!hasPath(last, there), bound);
        QVERIFY(!host->isStale());
        host->stop();
        QCOMPARE(host->state(), HostConnection::State::Stopped);
    }

    // The agent has watched the host; the GUI only its stream. A lock taken while the GUI was
    // away (here: between stop() and start(), the same as a lost connection) was not seen to
    // begin by either: the row must not claim it began when the GUI saw it ("exact"), and its
    // upper bound is the holder's start on the host, before the GUI's first sight.
    void remoteRowsKeepTheAgentsTimes() {
        auto host = connection(QStringLiteral("other"), m_hosts.otherHost());
        PollResult last;
        int results = 0;
        connect(host->poller(), &SnapshotPoller::resultReady, this, [&](const PollResult& result) {
            last = result;
            ++results;
        });
        host->start();
        const int bound = static_cast<int>(testsupport::timeBound(20000));
        QTRY_VERIFY_WITH_TIMEOUT(results > 0, bound);
        host->stop();

        const QString there = m_hosts.scratch(QStringLiteral("held-while-away.lock"));
        const qint64 beforeHold = QDateTime::currentMSecsSinceEpoch();
        testsupport::ChildProcess holder;
        QVERIFY(holdOnOtherHost(there, holder));
        const qint64 awayMs = 2000;
        QTest::qWait(static_cast<int>(awayMs));
        const qint64 reconnectedAt = QDateTime::currentMSecsSinceEpoch();
        host->start();
        QTRY_VERIFY_WITH_TIMEOUT(hasPath(last, there), bound);
        const FileLockRow* row = lockRow(last, there);
        QVERIFY(row);
        QVERIFY2(!row->heldSinceExact, "nobody saw this lock begin: its start is not exact");
        QVERIFY2(row->heldSinceMs >= reconnectedAt - 1000,
                 qPrintable(QStringLiteral("held since %1 ms before reconnecting")
                                .arg(reconnectedAt - row->heldSinceMs)));
        QVERIFY2(row->heldSinceEarliestMs >= 0, "the holder's start bounds the hold");
        // The holder (lockctl hold) started after beforeHold and at least awayMs before the
        // GUI saw its lock; a second of slack for the two clocks' rounding.
        QVERIFY2(row->heldSinceEarliestMs >= beforeHold - 1000 &&
                     row->heldSinceEarliestMs <= reconnectedAt - awayMs + 1000,
                 qPrintable(QStringLiteral("earliest %1 ms before reconnecting")
                                .arg(reconnectedAt - row->heldSinceEarliestMs)));
        host->stop();
        holder.kill();
    }

    // The host's clock is an hour behind this one. The agent's dates are on the host's clock;
    // the rows must show the host's durations (held 10 min, holder up 30 min), not durations
    // an hour off. The "agent" is a script of the test's, run as a local agent.
    void remoteDatesSurviveClockSkew() {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString agentPath = directory.filePath(QStringLiteral("skewed-lockctl"));
        QFile agent(agentPath);
        QVERIFY(agent.open(QIODevice::WriteOnly));
        agent.write(R"(#!/usr/bin/python3
import datetime, json, time
SKEW = -3600.0  # this host's clock is an hour behind the reader's
def iso(t):
    moment = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)
now = time.time() + SKEW
holder = {"pid": 4242, "source": "descriptor", "fds": [3], "held_since": iso(now - 600),
          "held_since_earliest": iso(now - 1800), "command": "job", "command_line": "job",
          "user": "alice", "uid": 1000, "state": "sleeping", "threads": 1,
          "start_time": iso(now - 1800)}
lock = {"id": "flock 254:1:7 0-EOF write 4242", "kind": "flock", "qualifier": "advisory",
        "mode": "write", "path": "/srv/skewed.lock", "path_source": "descriptor",
        "device": "254:1", "inode": 7, "start": 0, "end": None, "line_pid": 4242,
        "held_since": iso(now - 600), "held_since_exact": False,
        "held_since_earliest": iso(now - 1800), "problems": [], "holders": [holder],
        "waiters": []}
print(json.dumps({"protocol": 1, "type": "snapshot", "seq": 1, "taken_at": iso(now),
                  "complete": True, "locks": [lock], "deadlocks": [], "deadlock_details": [],
                  "problems": []}), flush=True)
seq = 1
while True:
    time.sleep(0.2)
    seq += 1
    print(json.dumps({"protocol": 1, "type": "heartbeat", "seq": seq,
                      "taken_at": iso(time.time() + SKEW)}), flush=True)
)");
        agent.close();
        QVERIFY(agent.setPermissions(agent.permissions() | QFileDevice::ExeOwner));

        HostConnection host(QStringLiteral("skewed"));
        host.setLocalCommand({}, agentPath);
        PollResult last;
        connect(host.poller(), &SnapshotPoller::resultReady, this,
                [&last](const PollResult& result) { last = result; });
        host.start();
        const QString path = QStringLiteral("/srv/skewed.lock");
        QTRY_VERIFY_WITH_TIMEOUT(hasPath(last, path),
                                 static_cast<int>(testsupport::timeBound(20000)));
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const FileLockRow* row = lockRow(last, path);
        QVERIFY(row);
        QVERIFY(!row->heldSinceExact);
        // Held for at least 10 min and at most 30 min, as the host said when it sent the line;
        // what is shown grows by the time since (the line's transit only makes it shorter).
        const qint64 heldFor = now - row->heldSinceMs;
        const qint64 slack = testsupport::timeBound(10000);
        QVERIFY2(heldFor >= 600 * 1000 - 1000 && heldFor <= 600 * 1000 + slack,
                 qPrintable(QStringLiteral("held for %1 ms").arg(heldFor)));
        const qint64 atMost = now - row->heldSinceEarliestMs;
        QVERIFY2(atMost >= 1800 * 1000 - 1000 && atMost <= 1800 * 1000 + slack,
                 qPrintable(QStringLiteral("held for at most %1 ms").arg(atMost)));
        host.stop();
    }

    // A quiet host sends only heartbeats, and heartbeats do not poll; but time alone turns a
    // hold long-held (or stuck) and makes the timeline's holds longer. The row must turn when
    // its threshold passes, as a local one does at the next refresh, and the timeline's
    // summary must grow, with no change sent by the agent. Heartbeats in between still
    // poll nothing.
    void timeAloneTurnsAQuietHostsRows() {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString agentPath = directory.filePath(QStringLiteral("quiet-lockctl"));
        QFile agent(agentPath);
        QVERIFY(agent.open(QIODevice::WriteOnly));
        agent.write(agentScriptPrelude() + R"(
send({"type": "snapshot", "seq": 1, "taken_at": iso(now()), "complete": True,
      "locks": [lock("Q", now(), True)], "deadlocks": [], "deadlock_details": [],
      "problems": []})
beat(1, 3600)
)");
        agent.close();
        QVERIFY(agent.setPermissions(agent.permissions() | QFileDevice::ExeOwner));

        HostConnection host(QStringLiteral("quiet"));
        host.setLocalCommand({}, agentPath);
        PollSettings settings = host.poller()->settings();
        const qint64 thresholdMs = 1500;
        settings.stuckThresholdMs = thresholdMs;
        host.poller()->setSettings(settings);
        QList<qint64> resultsAtMs;
        PollResult last;
        connect(host.poller(), &SnapshotPoller::resultReady, this, [&](const PollResult& result) {
            last = result;
            resultsAtMs << QDateTime::currentMSecsSinceEpoch();
        });
        host.start();
        const QString path = QStringLiteral("/srv/Q.lock");
        const int bound = static_cast<int>(testsupport::timeBound(20000));
        QTRY_VERIFY_WITH_TIMEOUT(hasPath(last, path), bound);
        QCOMPARE(lockRow(last, path)->health, LockHealth::held);
        const qint64 heldSinceMs = lockRow(last, path)->heldSinceMs;
        QCOMPARE(last.nextTurnMs, heldSinceMs + thresholdMs + 1);

        QTRY_VERIFY_WITH_TIMEOUT(lockRow(last, path)->health == LockHealth::longHeld, bound);
        QVERIFY2(resultsAtMs.back() >= heldSinceMs + thresholdMs,
                 "turned before its threshold had passed");
        QCOMPARE(last.nextTurnMs, qint64(-1)); // nothing left to turn

        // The timeline's summary of the ongoing hold grows without any change being sent.
        auto heldForMs = [&] {
            for (const TimelineLane& lane : std::as_const(last.timeline))
                if (lane.resource == path)
                    return lane.holds.maxMs;
            return qint64(-1);
        };
        const qint64 before = heldForMs();
        QTRY_VERIFY_WITH_TIMEOUT(heldForMs() >= before + 4000, bound);
        // ... at a few polls, not one per heartbeat (ten a second).
        const qint64 sinceMs = resultsAtMs.front();
        const qsizetype results = resultsAtMs.size();
        const qint64 spanMs = resultsAtMs.back() - sinceMs;
        QVERIFY2(results <= 2 + spanMs / 4000,
                 qPrintable(QStringLiteral("%1 results in %2 ms").arg(results).arg(spanMs)));
        host.stop();
    }

    // Events of a remote host are dated by its agent, not by when the GUI read the line: a
    // lock the agent saw begin 1.5 s before its line arrived was acquired then. And what
    // happened while the connection was down is not passed off as live at the reconnect: it
    // says it was seen at the reconnect and between which times it happened, in the activity
    // log and on the timeline's bars alike. The "agent" is a script of the test's (its host
    // clock an hour behind), run as a local agent: its first run sends lock A, then B taken
    // 1.5 s before the line, then only heartbeats for 1.5 s, then ends (the connection is
    // lost); its second run finds A and B gone and C there.
    void remoteEventsAreDatedByTheAgent() {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString agentPath = directory.filePath(QStringLiteral("events-lockctl"));
        QFile agent(agentPath);
        QVERIFY(agent.open(QIODevice::WriteOnly));
        agent.write(agentScriptPrelude() + R"(if first:
    send({"type": "snapshot", "seq": 1, "taken_at": iso(now()), "complete": True,
          "locks": [lock("A", now() - 60, False)], "deadlocks": [], "deadlock_details": [],
          "problems": []})
    seq = beat(1, 0.6)
    scanned = now() - 1.5  # the scan that saw B, its line sent late
    seq += 1
    send({"type": "delta", "seq": seq, "taken_at": iso(scanned),
          "added": [lock("B", scanned, True)]})
    beat(seq, 1.5)  # "nothing changed": no poll, but the last word before the loss
    sys.exit(1)  # the connection is lost
time.sleep(1.0)
send({"type": "snapshot", "seq": 1, "taken_at": iso(now()), "complete": True,
      "locks": [lock("C", now(), False)], "deadlocks": [], "deadlock_details": [],
      "problems": []})
beat(1, 3600)
)");
        agent.close();
        QVERIFY(agent.setPermissions(agent.permissions() | QFileDevice::ExeOwner));

        HostConnection host(QStringLiteral("events"));
        host.setLocalCommand({}, agentPath);
        host.setInitialBackoff(200);
        QList<EventRow> events;
        QList<qint64> arrivedMs; // when each event's result reached the GUI thread
        qint64 lostAtMs = 0;
        QList<TimelineLane> reconnectLanes; // the timeline of the result with the reconnect
        connect(host.poller(), &SnapshotPoller::resultReady, this, [&](const PollResult& result) {
            for (const EventRow& event : result.events) {
                events << event;
                arrivedMs << QDateTime::currentMSecsSinceEpoch();
                if (event.detail.startsWith(QStringLiteral("seen at reconnect")))
                    reconnectLanes = result.timeline;
            }
        });
        connect(&host, &HostConnection::stateChanged, this, [&] {
            if (host.state() == HostConnection::State::Waiting && lostAtMs == 0)
                lostAtMs = QDateTime::currentMSecsSinceEpoch();
        });
        host.start();
        auto find = [&events](EventRow::Kind kind, const QString& path) -> qsizetype {
            for (qsizetype i = 0; i < events.size(); ++i)
                if (events[i].kind == kind && events[i].resource == path)
                    return i;
            return -1;
        };
        const int bound = static_cast<int>(testsupport::timeBound(20000));
        const QString a = QStringLiteral("/srv/A.lock");
        const QString b = QStringLiteral("/srv/B.lock");
        const QString c = QStringLiteral("/srv/C.lock");
        QTRY_VERIFY_WITH_TIMEOUT(find(EventRow::Kind::acquired, c) >= 0, bound);
        host.stop();

        // Live: B began when the agent's scan saw it, 1.5 s before its line came.
        const qsizetype acquiredB = find(EventRow::Kind::acquired, b);
        QVERIFY(acquiredB >= 0);
        const qint64 early = arrivedMs[acquiredB] - events[acquiredB].timeMs;
        QVERIFY2(early >= 1000 && early <= 1500 + testsupport::timeBound(1000),
                 qPrintable(QStringLiteral("acquired %1 ms before its result").arg(early)));
        QVERIFY2(events[acquiredB].detail.isEmpty(), qPrintable(events[acquiredB].detail));

        // At the reconnect: A and B went, C came, some time while the connection was down.
        QVERIFY(lostAtMs > 0);
        for (const auto& [kind, path] :
             {std::pair{EventRow::Kind::released, a}, std::pair{EventRow::Kind::released, b},
              std::pair{EventRow::Kind::acquired, c}}) {
            const qsizetype index = find(kind, path);
            QVERIFY2(index >= 0, qPrintable(path));
            const EventRow& event = events[index];
            QVERIFY2(event.detail.startsWith(QStringLiteral("seen at reconnect; ")) &&
                         event.detail.contains(QStringLiteral(" between ")),
                     qPrintable(path + QStringLiteral(": \"") + event.detail + u'"'));
            // Dated at the reconnect's first sight (the upper bound), not before the loss.
            QVERIFY2(event.timeMs >= lostAtMs - 1000 && event.timeMs <= arrivedMs[index],
                     qPrintable(
                         path +
                         QStringLiteral(" at %1 ms after the loss").arg(event.timeMs - lostAtMs)));
            if (kind == EventRow::Kind::released)
                QVERIFY2(!event.durationExact, "a release in the gap has no exact duration");
            // The timeline's bar carries the same gap, and says what the log says.
            const bool ended = kind == EventRow::Kind::released;
            const TimelineBar* marked = nullptr;
            for (const TimelineLane& lane : std::as_const(reconnectLanes))
                if (lane.resource == path)
                    for (const TimelineBar& bar : lane.bars)
                        if (!bar.wait && (ended ? bar.endUnseen : bar.startUnseen).isSet())
                            marked = &bar;
            QVERIFY2(marked, qPrintable(path + QStringLiteral(": no bar marked unseen")));
            const UnseenGap& gap = ended ? marked->endUnseen : marked->startUnseen;
            QCOMPARE(gap.describe(kind), event.detail);
            // The gap begins at the old stream's last word, a heartbeat sent 1.5 s after B's
            // line (itself 1.5 s after B's scan), not at the last line that changed something.
            QVERIFY2(gap.lastUpdateMs >= events[acquiredB].timeMs + 2500,
                     qPrintable(QStringLiteral("the gap begins %1 ms after B was taken")
                                    .arg(gap.lastUpdateMs - events[acquiredB].timeMs)));
        }
    }

    // New watches restart the agent on purpose: what changed in that moment is told as seen
    // at the agent's restart, between the old stream's last word and the new one's first, not
    // as a reconnect after an outage; the host stays connected throughout; and a hold going
    // on keeps the date the first agent gave it, though the new agent dates it by its own
    // first sight.
    void plannedRestartIsNoOutage() {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString agentPath = directory.filePath(QStringLiteral("restart-lockctl"));
        QFile agent(agentPath);
        QVERIFY(agent.open(QIODevice::WriteOnly));
        agent.write(agentScriptPrelude() + R"(if first:
    send({"type": "snapshot", "seq": 1, "taken_at": iso(now()), "complete": True,
          "locks": [lock("A", now() - 60, False), lock("B", now() - 60, False)],
          "deadlocks": [], "deadlock_details": [], "problems": []})
else:  # restarted with watches: A went and C came meanwhile; B, going on, is new to it
    send({"type": "snapshot", "seq": 1, "taken_at": iso(now()), "complete": True,
          "locks": [lock("B", now(), False), lock("C", now(), False)], "deadlocks": [],
          "deadlock_details": [], "problems": []})
beat(1, 3600)
)");
        agent.close();
        QVERIFY(agent.setPermissions(agent.permissions() | QFileDevice::ExeOwner));

        HostConnection host(QStringLiteral("restarting"));
        host.setLocalCommand({}, agentPath);
        host.setInitialBackoff(200);
        QList<EventRow> events;
        PollResult last;
        connect(host.poller(), &SnapshotPoller::resultReady, this, [&](const PollResult& result) {
            events += result.events;
            last = result;
        });
        host.start();
        const int bound = static_cast<int>(testsupport::timeBound(20000));
        QTRY_VERIFY_WITH_TIMEOUT(host.state() == HostConnection::State::Connected, bound);
        QTRY_VERIFY_WITH_TIMEOUT(hasPath(last, u"/srv/A.lock"_s), bound);
        QList<HostConnection::State> states;
        connect(&host, &HostConnection::stateChanged, this, [&] { states << host.state(); });

        inspect::Watch watch;
        watch.type = inspect::Watch::Type::path;
        watch.path = "/srv/C.lock";
        host.setWatches({watch});
        auto find = [&events](EventRow::Kind kind, const QString& path) -> const EventRow* {
            for (const EventRow& event : std::as_const(events))
                if (event.kind == kind && event.resource == path)
                    return &event;
            return nullptr;
        };
        QTRY_VERIFY_WITH_TIMEOUT(find(EventRow::Kind::acquired, u"/srv/C.lock"_s), bound);
        host.stop();
        QVERIFY(lockRow(last, u"/srv/B.lock"_s));
        // Held a minute, as the first agent said (the two streams' clock offsets may differ
        // by a line's transit), not the moment the new agent has seen it.
        const qint64 heldForB =
            QDateTime::currentMSecsSinceEpoch() - lockRow(last, u"/srv/B.lock"_s)->heldSinceMs;
        QVERIFY2(heldForB >= 59'000, qPrintable(QStringLiteral("B held for %1 ms").arg(heldForB)));
        QVERIFY(!find(EventRow::Kind::released, u"/srv/B.lock"_s));
        for (const EventRow* event : {find(EventRow::Kind::released, u"/srv/A.lock"_s),
                                      find(EventRow::Kind::acquired, u"/srv/C.lock"_s)}) {
            QVERIFY(event);
            QVERIFY2(event->detail.startsWith(u"seen at agent restart (new watches); "_s) &&
                         event->detail.contains(u" between "_s),
                     qPrintable(event->detail));
            QVERIFY2(!event->detail.contains(u"reconnect"_s), qPrintable(event->detail));
        }
        states.removeAll(HostConnection::State::Stopped); // host.stop() above
        for (HostConnection::State state : std::as_const(states))
            QVERIFY2(state == HostConnection::State::Connected, "the host left Connected");
    }

    void brokenHostsFailAlone_data() {
        QTest::addColumn<QString>("alias");
        QTest::addColumn<HostConnection::Failure>("failure");
        QTest::addColumn<QString>("message");
        using F = HostConnection::Failure;
        QTest::newRow("unknown host key") << QStringLiteral("machine-unknown-key") << F::Ssh
                                          << QStringLiteral("Host key verification failed");
        QTest::newRow("refused authentication")
            << QStringLiteral("machine-refused") << F::Ssh << QStringLiteral("Permission denied");
        QTest::newRow("unreachable")
            << QStringLiteral("unreachable") << F::Ssh << QStringLiteral("Connection refused");
        QTest::newRow("no lockctl") << QStringLiteral("bare") << F::NotInstalled
                                    << QStringLiteral("lockctl: not installed on");
        QTest::newRow("newer protocol")
            << QStringLiteral("future") << F::Protocol << QStringLiteral("speaks protocol 2");
        QTest::newRow("older lockctl") << QStringLiteral("old") << F::Protocol
                                       << QStringLiteral("older than agent protocol 1");
        QTest::newRow("garbage") << QStringLiteral("garbage") << F::Garbage
                                 << QStringLiteral("\"Welcome to the host!\"");
    }

    void brokenHostsFailAlone() {
        QFETCH(QString, alias);
        QFETCH(HostConnection::Failure, failure);
        QFETCH(QString, message);
        // A healthy host beside the broken one keeps delivering.
        auto good = connection(QStringLiteral("machine"), m_hosts.machine());
        auto bad = connection(alias, m_hosts.machine());
        int goodResults = 0;
        connect(good.get(), &HostConnection::upToDate, this, [&] { ++goodResults; });
        good->start();
        bad->start();
        const int bound = static_cast<int>(testsupport::timeBound(20000));
        QTRY_VERIFY_WITH_TIMEOUT(bad->failure() != HostConnection::Failure::None, bound);
        QCOMPARE(bad->failure(), failure);
        QVERIFY2(bad->message().contains(message), qPrintable(bad->message()));
        QVERIFY(bad->state() == HostConnection::State::Waiting);
        QVERIFY(bad->retryDelayMs() > 0);
        QVERIFY(bad->retryAtMs() > 0);
        const int before = goodResults;
        QTRY_VERIFY_WITH_TIMEOUT(goodResults > before + 1, bound);
        QCOMPARE(good->state(), HostConnection::State::Connected);
    }
};

QTEST_GUILESS_MAIN(TestRemoteHostConnection)
#include "tst_remote_hostconnection.moc"
