#include "widgets/statusindicators.h"

#include "models/healthstyle.h"
#include "session/inspectorsession.h"
#include "session/redishub.h"
#include "workers/redismonitor.h"
#include "workers/snapshotpoller.h"
#include "session/textformat.h"

#include <QHBoxLayout>
#include <QLabel>

using namespace Qt::StringLiterals;

StatusIndicators::StatusIndicators(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_paused(new QLabel(this)), m_refresh(new QLabel(this)),
      m_counts(new QLabel(this)), m_redis(new QLabel(this)) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(14);
    m_paused->setText(tr("PAUSED"));
    m_paused->setStyleSheet(
        u"background:#ef6c00; color:white; font-weight:bold; padding:0 6px; border-radius:3px"_s);
    m_counts->setTextFormat(Qt::RichText);
    m_redis->setTextFormat(Qt::RichText);
    layout->addWidget(m_paused);
    layout->addWidget(m_counts);
    layout->addWidget(m_redis);
    layout->addWidget(m_refresh);
    connect(session, &InspectorSession::refreshed, this, &StatusIndicators::update);
    connect(session->poller(), &SnapshotPoller::pausedChanged, this, &StatusIndicators::update);
    connect(session->redis(), &RedisHub::connectionsChanged, this, &StatusIndicators::update);
    update();
}

QString StatusIndicators::refreshText() const {
    if (m_session->lastRefreshMs() == 0)
        return tr("reading /proc…");
    return tr("refreshed %1 · scan %2 · apply %3 ms")
        .arg(TextFormat::clockTime(m_session->lastRefreshMs()),
             TextFormat::duration(m_session->lastScanCostMs()))
        .arg(m_session->lastApplyCostMs());
}

QString StatusIndicators::countsText() const {
    const PollCounts& counts = m_session->counts();
    QStringList parts;
    // No translation is loaded, so "%n lock(s)" would show as written: the words are chosen here.
    parts << TextFormat::plural(counts.locks, tr("lock"), tr("locks"));
    parts << tr("%1 waiting").arg(counts.waiters);
    const auto alarm = [&parts](int count, LockHealth health, const QString& text) {
        if (count > 0)
            parts << u"<b style='color:"_s + HealthStyle::accent(health).name() + u"'>"_s + text +
                         u"</b>"_s;
    };
    alarm(counts.deadlocks, LockHealth::deadlocked,
          TextFormat::plural(counts.deadlocks, tr("deadlock"), tr("deadlocks")));
    alarm(counts.stopped, LockHealth::holderStopped,
          TextFormat::plural(counts.stopped, tr("stopped holder"), tr("stopped holders")));
    alarm(counts.stuck, LockHealth::stuck, tr("%1 stuck").arg(counts.stuck));
    return parts.join(u" · "_s);
}

void StatusIndicators::update() {
    m_paused->setVisible(m_session->poller()->isPaused());
    m_refresh->setText(refreshText());
    m_refresh->setToolTip(m_session->lastProblems().isEmpty()
                              ? tr("Every lock could be read completely.")
                              : tr("Not everything could be seen:\n") +
                                    m_session->lastProblems().join(u'\n'));
    m_counts->setText(countsText());
    QStringList redis;
    for (const RedisConnectionConfig& config : m_session->redis()->configs()) {
        const RedisMonitor* monitor = m_session->redis()->monitor(config.id);
        const bool failed = monitor && monitor->state() == RedisMonitor::State::failed;
        const QString colour = failed ? HealthStyle::accent(LockHealth::deadlocked).name()
                                      : HealthStyle::accent(LockHealth::held).name();
        redis << u"<span style='color:"_s + colour + u"'>\x25cf</span> "_s +
                     (config.name.isEmpty() ? config.url() : config.name).toHtmlEscaped();
    }
    m_redis->setText(redis.isEmpty() ? QString() : u"Redis: "_s + redis.join(u"  "_s));
    m_redis->setVisible(!redis.isEmpty());
}
