#include "session/inspectorsession.h"

#include "session/alarmwatcher.h"
#include "session/hostmergeworker.h"
#include "session/appsettings.h"
#include "models/deadlockmodel.h"
#include "models/eventlogmodel.h"
#include "models/filelockmodel.h"
#include "models/heldlockmodel.h"
#include "session/redishub.h"
#include "workers/redismonitor.h"
#include "session/remotehub.h"
#include "models/redistimelinefeed.h"
#include "workers/snapshotpoller.h"
#include "session/textformat.h"
#include "models/timelinemodel.h"
#include "models/watchmodel.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QSet>
#include <QThread>

#include <utility>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

InspectorSession::InspectorSession(AppSettings* settings, QObject* parent)
    : QObject(parent), m_settings(settings), m_poller(new SnapshotPoller(this)),
      m_fileLocks(new FileLockModel(this)), m_watches(new WatchModel(this)),
      m_deadlocks(new DeadlockModel(this)), m_eventLog(new EventLogModel(this)),
      m_timeline(new TimelineModel(this)), m_heldLocks(new HeldLockModel(this)),
      m_redis(new RedisHub(settings, this)), m_remote(new RemoteHub(settings, this)),
      m_alarms(new AlarmWatcher(this)), m_hostMerge(new HostMergeWorker(this)) {
    m_watchList = settings->watches();
    m_stuckThresholdMs = settings->stuckThresholdMs();
    m_timelineWindowMs = settings->timelineWindowMs();
    m_timeline->setWindow(m_timelineWindowMs);
    m_poller->setInterval(settings->refreshIntervalMs());
    pushPollSettings();
    m_remote->setRefreshInterval(m_poller->interval());
    // Every host's rows go through the merger, this computer's as host "": off the GUI thread
    // and coalesced over a refresh interval once there are remote hosts (HostMergeWorker).
    using Update = HostResultMerger::HostUpdate;
    m_hostMerge->setPeriod(m_poller->interval());
    connect(m_poller, &SnapshotPoller::resultReady, this, [this](const PollResult& result) {
        m_hostMerge->submit({QString(), Update::Kind::result, result});
    });
    connect(m_remote, &RemoteHub::hostResult, this,
            [this](const QString& host, const PollResult& result) {
                m_hostMerge->submit({host, Update::Kind::result, result});
            });
    connect(m_remote, &RemoteHub::hostStateChanged, this, [this](const QString& host, bool stale) {
        m_hostMerge->submit({host, stale ? Update::Kind::stale : Update::Kind::fresh, {}});
    });
    connect(m_remote, &RemoteHub::hostRemoved, this, [this](const QString& host) {
        m_hostMerge->submit({host, Update::Kind::removed, {}});
        // Removing a host says "I no longer look at that machine": its watches go with it.
        // Kept, they would sit in the settings unseen (no view lists a host that is gone) and
        // out of reach of removeWatch(); an operator who adds the host again adds them again.
        if (std::erase_if(m_watchList,
                          [&host](const HostWatch& watch) { return watch.host == host; }) > 0) {
            m_settings->setWatches(m_watchList);
            pushPollSettings();
        }
    });
    connect(m_hostMerge, &HostMergeWorker::merged, this, &InspectorSession::applyResult);
    connect(m_heldLocks, &HeldLockModel::operatorEvent, m_eventLog,
            qOverload<const EventRow&>(&EventLogModel::append));
    connect(m_redis, &RedisHub::monitorStateChanged, m_alarms, [this](const RedisMonitor& monitor) {
        m_alarms->updateRedis(monitor.config().id, monitor.config().name, monitor.state(),
                              monitor.error());
    });
    // Redis rows name their connection by id; the log shows its name of now.
    m_eventLog->setConnectionNames(m_redis->names());
    m_heldLocks->setConnectionNames(m_redis->names());
    connect(m_redis, &RedisHub::events, m_eventLog,
            qOverload<const QList<EventRow>&>(&EventLogModel::append));
    connect(m_redis->timeline(), &RedisTimelineFeed::changed, this,
            &InspectorSession::updateTimeline);
    // Something the operator did changes what there is to see: look again at once.
    connect(m_heldLocks, &HeldLockModel::jobStateChanged, m_poller, &SnapshotPoller::refreshNow);
}

QString InspectorSession::firstLookDetail(const PollCounts& counts) {
    return tr("first look: %1 already held, %2 waiting, %3; their hold times are at least "
              "since now and at most since their holders started")
        .arg(TextFormat::plural(counts.locks, tr("lock"), tr("locks")))
        .arg(TextFormat::count(counts.waiters))
        .arg(TextFormat::plural(counts.deadlocks, tr("deadlock"), tr("deadlocks")));
}

InspectorSession::~InspectorSession() = default;

void InspectorSession::start() {
    m_poller->start();
    m_redis->start();
    m_remote->start();
}

void InspectorSession::pushPollSettings() {
    PollSettings settings;
    settings.watches = HostWatch::of(m_watchList, QString());
    // Remote hosts' watches go to their agents (the local poller gets only this computer's).
    m_remote->setWatches(m_watchList);
    settings.stuckThresholdMs = m_stuckThresholdMs;
    settings.timelineWindowMs = m_timelineWindowMs;
    m_remote->setPollSettings(settings);
    m_poller->setSettings(std::move(settings));
}

void InspectorSession::addWatch(const inspect::Watch& watch, const QString& host) {
    HostWatch added{host, watch};
    const QString key = added.key();
    for (const HostWatch& existing : m_watchList)
        if (existing.key() == key)
            return;
    m_watchList.push_back(std::move(added));
    m_settings->setWatches(m_watchList);
    pushPollSettings();
    m_poller->refreshNow();
}

void InspectorSession::removeWatch(const QString& key) {
    std::erase_if(m_watchList, [&key](const HostWatch& watch) { return watch.key() == key; });
    m_settings->setWatches(m_watchList);
    pushPollSettings();
    m_poller->refreshNow();
}

void InspectorSession::setRefreshInterval(int milliseconds, bool persist) {
    m_poller->setInterval(milliseconds);
    m_remote->setRefreshInterval(m_poller->interval());
    m_hostMerge->setPeriod(m_poller->interval());
    if (persist)
        m_settings->setRefreshIntervalMs(m_poller->interval());
}

int InspectorSession::refreshInterval() const {
    return m_poller->interval();
}

void InspectorSession::setStuckThreshold(qint64 milliseconds, bool persist) {
    m_stuckThresholdMs = milliseconds;
    if (persist)
        m_settings->setStuckThresholdMs(milliseconds);
    m_redis->setStuckThreshold(milliseconds);
    pushPollSettings();
    m_poller->refreshNow();
}

qint64 InspectorSession::stuckThreshold() const {
    return m_stuckThresholdMs;
}

void InspectorSession::setTimelineWindow(qint64 milliseconds) {
    m_timelineWindowMs = milliseconds;
    m_settings->setTimelineWindowMs(milliseconds);
    m_timeline->setWindow(milliseconds);
    pushPollSettings();
    m_poller->refreshNow();
}

qint64 InspectorSession::timelineWindow() const {
    return m_timelineWindowMs;
}

void InspectorSession::updateTimeline() {
    m_timeline->setLanes(m_fileLanes + m_redis->timeline()->lanes(
                                           QDateTime::currentMSecsSinceEpoch(), m_timelineWindowMs,
                                           m_poller->settings().timelineMaxLanes));
}

void InspectorSession::logLockSignal(qint64 pid, const QString& path,
                                     portalocker::inspect::LockSignal signal,
                                     const LockSignalOutcome& outcome) {
    Q_ASSERT(QThread::currentThread() == thread());
    EventRow event;
    event.timeMs = QDateTime::currentMSecsSinceEpoch();
    event.kind = EventRow::Kind::operatorAction;
    // A remote host's action reads like that host's other entries ("file @ HOST").
    event.source = outcome.host.isEmpty() ? u"operator"_s : u"operator @ "_s + outcome.host;
    event.host = outcome.host;
    event.resource = TextFormat::shownName(path);
    event.pid = pid;
    const std::string_view name = portalocker::inspect::signal_name(signal);
    event.detail = QString::fromLatin1(name.data(), qsizetype(name.size())) + u" "_s +
                   (outcome.sent ? tr("sent") : tr("not sent (%1)").arg(outcome.resultName)) +
                   u": "_s + outcome.message +
                   (outcome.auditLogged
                        ? QString()
                        : u" \u2014 "_s + tr("not in the audit file: ") + outcome.auditProblem);
    m_eventLog->append(event);
}

void InspectorSession::applyResult(const HostResultMerger::Merged& merged) {
    Q_ASSERT(QThread::currentThread() == thread());
    QElapsedTimer clock;
    clock.start();
    const PollResult& result = merged.combined;
    // The table takes only the hosts whose rows changed (a new version): an unchanged host
    // costs nothing, a changed one a diff of its own rows. Versions only grow, so an older
    // one than shown is stale and dropped.
    // The first host's merge starts at once (this computer alone: as before), the others' from
    // the next turn, sharing slices instead of taking one each now.
    auto start = FileLockModel::MergeStart::now;
    QSet<QString> present;
    for (const HostResultMerger::HostLocks& host : merged.hosts) {
        present.insert(host.host);
        const auto shown = m_shownRows.constFind(host.host);
        if (shown != m_shownRows.cend() && *shown >= host.version)
            continue;
        m_fileLocks->setHostRows(host.host, host.fileLocks, host.fileLockIndex,
                                 std::exchange(start, FileLockModel::MergeStart::nextTurn));
        m_shownRows.insert(host.host, host.version);
    }
    for (auto shown = m_shownRows.begin(); shown != m_shownRows.end();) {
        if (present.contains(shown.key())) {
            ++shown;
            continue;
        }
        // A removed host.
        m_fileLocks->setHostRows(shown.key(), {}, {},
                                 std::exchange(start, FileLockModel::MergeStart::nextTurn));
        shown = m_shownRows.erase(shown);
    }
    m_watches->setRows(result.watches);
    m_deadlocks->setRows(result.deadlocks);
    m_alarms->updateLocks(result);
    m_fileLanes = result.timeline;
    updateTimeline();
    if (m_lastRefreshMs == 0) {
        // The first look has no events (nothing to diff against): say what was already there.
        EventRow first;
        first.timeMs = result.takenAtMs;
        first.kind = EventRow::Kind::operatorAction;
        first.source = u"file"_s;
        first.detail = firstLookDetail(result.counts);
        m_eventLog->append(first);
    }
    m_eventLog->append(result.events);
    m_counts = result.counts;
    m_lastRefreshMs = result.takenAtMs;
    m_lastScanMs = result.scanMs + result.buildMs;
    m_lastApplyMs = clock.elapsed();
    m_lastProblems = result.problems;
    emit refreshed();
}
