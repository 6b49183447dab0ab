#include "models/heldlockmodel.h"

#include "workers/acquirejob.h"
#include "models/healthstyle.h"
#include "models/redisconnectionnames.h"
#include "session/textformat.h"

#include <QColor>
#include <QCoreApplication>
#include <QDateTime>
#include <QFont>
#include <QThread>

using namespace Qt::StringLiterals;

HeldLockModel::HeldLockModel(QObject* parent) : QAbstractTableModel(parent) {
    m_pool.setMaxThreadCount(64); // every wait occupies a thread
    m_pool.setExpiryTimeout(10000);
    m_tick.setInterval(250);
    connect(&m_tick, &QTimer::timeout, this, &HeldLockModel::tick);
}

HeldLockModel::~HeldLockModel() {
    // Jobs cancel their waits and hand their releases to the pool, which is destroyed (and
    // waits for them) after the jobs.
    qDeleteAll(m_jobs);
    m_jobs.clear();
    m_pool.waitForDone(5000);
}

void HeldLockModel::setConnectionNames(RedisConnectionNames* names) {
    Q_ASSERT(!m_names && names); // once, by the session that owns both
    m_names = names;
    names->repaintOnRename(this, LockColumn);
}

QString HeldLockModel::describe(const AcquireRequest& request) const {
    if (!m_names || request.connectionId.isEmpty())
        return request.describe();
    AcquireRequest named = request;
    named.connectionName = m_names->name(request.connectionId);
    return named.describe();
}

AcquireJob* HeldLockModel::acquire(const AcquireRequest& request) {
    Q_ASSERT(QThread::currentThread() == thread());
    auto* job = new AcquireJob(request, &m_pool, this);
    connect(job, &AcquireJob::stateChanged, this, &HeldLockModel::onJobStateChanged);
    const int row = static_cast<int>(m_jobs.size());
    beginInsertRows({}, row, row);
    m_jobs << job;
    endInsertRows();
    job->start();
    m_tick.start();
    return job;
}

AcquireJob* HeldLockModel::jobAt(const QModelIndex& index) const {
    return index.isValid() && index.model() == this ? jobAt(index.row()) : nullptr;
}

AcquireJob* HeldLockModel::jobAt(int row) const {
    return row >= 0 && row < m_jobs.size() ? m_jobs[row] : nullptr;
}

int HeldLockModel::rowOf(const AcquireJob* job) const {
    return static_cast<int>(m_jobs.indexOf(const_cast<AcquireJob*>(job)));
}

void HeldLockModel::releaseAll() {
    for (AcquireJob* job : std::as_const(m_jobs)) {
        job->cancel();
        job->release();
    }
}

void HeldLockModel::clearFinished() {
    for (int row = static_cast<int>(m_jobs.size()) - 1; row >= 0; --row) {
        if (m_jobs[row]->isActive())
            continue;
        beginRemoveRows({}, row, row);
        delete m_jobs.takeAt(row);
        endRemoveRows();
    }
}

int HeldLockModel::activeCount() const {
    int count = 0;
    for (const AcquireJob* job : m_jobs)
        count += job->isActive() ? 1 : 0;
    return count;
}

void HeldLockModel::onJobStateChanged(AcquireJob* job) {
    const int row = rowOf(job);
    if (row < 0)
        return;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
    emit jobStateChanged(job);

    EventRow event;
    event.timeMs = QDateTime::currentMSecsSinceEpoch();
    event.source = u"operator"_s;
    const AcquireRequest& request = job->request();
    event.resource = request.target == AcquireRequest::Target::file
                         ? TextFormat::shownName(request.path)
                         : request.describeLock();
    // A Redis lock is on its connection: the Host column names it as it is called now.
    if (!request.connectionId.isEmpty())
        event.host = RedisConnectionNames::hostOf(request.connectionId);
    event.lockKind = job->request().targetName();
    event.mode = job->request().shared ? u"read"_s : u"write"_s;
    event.pid = QCoreApplication::applicationPid();
    event.command = u"lockscope"_s;
    event.kind = EventRow::Kind::operatorAction;
    switch (job->state()) {
    case AcquireJob::State::waiting:
        event.detail = tr("operator started waiting");
        break;
    case AcquireJob::State::held:
        event.detail = tr("operator acquired") +
                       (job->details().isEmpty() ? QString() : u" ("_s + job->details() + u')');
        event.durationMs = job->heldSinceMs() - job->startedMs();
        event.durationExact = true;
        break;
    case AcquireJob::State::released:
        event.detail =
            tr("operator released") + (job->error().isEmpty() ? QString() : u": "_s + job->error());
        event.durationMs = job->finishedMs() - job->heldSinceMs();
        event.durationExact = true;
        break;
    case AcquireJob::State::timedOut:
        event.detail = tr("operator's wait timed out");
        break;
    case AcquireJob::State::cancelled:
        event.detail = tr("operator cancelled the wait");
        break;
    case AcquireJob::State::failed:
        event.detail = tr("acquire failed: ") + job->error();
        break;
    case AcquireJob::State::lost:
        event.detail = tr("operator's lock was lost");
        break;
    case AcquireJob::State::releasing:
        return;
    }
    emit operatorEvent(event);
}

void HeldLockModel::tick() {
    for (AcquireJob* job : std::as_const(m_jobs))
        job->checkLost();
    if (activeCount() == 0) {
        m_tick.stop();
        return;
    }
    if (!m_jobs.isEmpty())
        emit dataChanged(index(0, StateColumn),
                         index(static_cast<int>(m_jobs.size()) - 1, TimeColumn));
}

int HeldLockModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_jobs.size());
}

int HeldLockModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HeldLockModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AcquireJob* job = m_jobs[index.row()];
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    switch (role) {
    case StateRole:
        return static_cast<int>(job->state());
    case ActiveRole:
        return job->isActive();
    case ProgressRole:
        // Fraction of the wait used up, for the countdown bar; -1 when not counting down.
        if (job->state() != AcquireJob::State::waiting || job->deadlineMs() < 0)
            return -1.0;
        return std::clamp(
            static_cast<double>(now - job->startedMs()) /
                std::max<double>(1.0, static_cast<double>(job->deadlineMs() - job->startedMs())),
            0.0, 1.0);
    case Qt::DisplayRole:
        switch (index.column()) {
        case LockColumn:
            return describe(job->request());
        case TypeColumn:
            return job->request().targetName();
        case StateColumn:
            return AcquireJob::stateName(job->state());
        case TimeColumn:
            switch (job->state()) {
            case AcquireJob::State::waiting:
                if (job->deadlineMs() < 0)
                    return tr("waiting %1").arg(TextFormat::durationCoarse(now - job->startedMs()));
                return tr("%1 left").arg(
                    TextFormat::duration(std::max<qint64>(0, job->deadlineMs() - now)));
            case AcquireJob::State::held:
            case AcquireJob::State::lost:
            case AcquireJob::State::releasing:
                return tr("held %1").arg(TextFormat::durationCoarse(now - job->heldSinceMs()));
            default:
                return job->heldSinceMs() >= 0
                           ? tr("held %1").arg(
                                 TextFormat::duration(job->finishedMs() - job->heldSinceMs()))
                           : tr("after %1")
                                 .arg(TextFormat::duration(job->finishedMs() - job->startedMs()));
            }
        case DetailsColumn:
            return job->error().isEmpty() ? job->details() : job->error();
        default:
            return {};
        }
    case Qt::DecorationRole:
        if (index.column() != StateColumn)
            return {};
        switch (job->state()) {
        case AcquireJob::State::waiting:
            return HealthStyle::icon(LockHealth::waiting);
        case AcquireJob::State::held:
            return HealthStyle::icon(LockHealth::held);
        case AcquireJob::State::lost:
        case AcquireJob::State::failed:
            return HealthStyle::icon(LockHealth::deadlocked);
        default:
            return HealthStyle::icon(LockHealth::free);
        }
    case Qt::ForegroundRole:
        if (job->state() == AcquireJob::State::failed || job->state() == AcquireJob::State::lost)
            return HealthStyle::accent(LockHealth::deadlocked);
        if (!job->isActive())
            return QColor(Qt::gray);
        return {};
    case Qt::FontRole:
        if (index.column() == StateColumn && job->state() == AcquireJob::State::held) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case Qt::ToolTipRole:
        return job->error().isEmpty() ? describe(job->request()) : job->error();
    default:
        return {};
    }
}

QVariant HeldLockModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case LockColumn:
        return tr("Lock");
    case TypeColumn:
        return tr("Type");
    case StateColumn:
        return tr("State");
    case TimeColumn:
        return tr("Time");
    case DetailsColumn:
        return tr("Details");
    default:
        return {};
    }
}
