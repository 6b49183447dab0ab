#include "workers/agentsnapshotdecoder.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <array>
#include <optional>

namespace inspect = portalocker::inspect;

namespace {

using namespace Qt::StringLiterals;

std::string text(const QJsonValue& value) {
    return value.toString().toStdString();
}

/// The enum value whose to_string() is `name`; `fallback` for a name a newer lockctl made up.
template <class Enum, std::size_t N>
Enum enumNamed(const QJsonValue& value, const std::array<Enum, N>& values, Enum fallback) {
    const std::string name = text(value);
    for (Enum candidate : values)
        if (inspect::to_string(candidate) == name)
            return candidate;
    return fallback;
}

inspect::LockKind kindOf(const QJsonValue& value) {
    using K = inspect::LockKind;
    return enumNamed(value,
                     std::array{K::flock, K::posix, K::ofd, K::lease, K::delegation, K::access},
                     K::unknown);
}

inspect::LockQualifier qualifierOf(const QJsonValue& value) {
    using Q = inspect::LockQualifier;
    return enumNamed(value,
                     std::array{Q::advisory, Q::mandatory, Q::msnfs, Q::active, Q::breaking,
                                Q::breaker, Q::no_inode},
                     Q::unknown);
}

inspect::LockMode modeOf(const QJsonValue& value) {
    using M = inspect::LockMode;
    return enumNamed(value, std::array{M::read, M::write, M::unlock, M::read_write, M::none},
                     M::write);
}

std::optional<inspect::TimePoint> timeOf(const QJsonValue& value) {
    if (!value.isString())
        return std::nullopt;
    const QDateTime time = QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
    if (!time.isValid())
        return std::nullopt;
    return inspect::TimePoint{} + std::chrono::milliseconds(time.toMSecsSinceEpoch());
}

std::optional<std::uint64_t> endOf(const QJsonValue& value) {
    if (!value.isDouble())
        return std::nullopt; // null: to end of file
    return static_cast<std::uint64_t>(value.toDouble());
}

inspect::Pid pidOf(const QJsonValue& value) {
    return static_cast<inspect::Pid>(value.toInteger());
}

std::vector<std::string> stringsOf(const QJsonValue& value) {
    std::vector<std::string> strings;
    for (const auto& item : value.toArray())
        strings.push_back(text(item));
    return strings;
}

/// The process fields lockctl writes beside a holder's or waiter's pid.
inspect::ProcessInfo processOf(const QJsonObject& object) {
    using S = inspect::ProcessState;
    inspect::ProcessInfo process;
    process.pid = pidOf(object.value(u"pid"_s));
    process.command = text(object.value(u"command"_s));
    process.command_line = text(object.value(u"command_line"_s));
    process.user = text(object.value(u"user"_s));
    if (object.value(u"uid"_s).isDouble())
        process.uid = static_cast<std::uint32_t>(object.value(u"uid"_s).toInteger());
    process.state =
        enumNamed(object.value(u"state"_s),
                  std::array{S::running, S::sleeping, S::disk_wait, S::stopped, S::tracing_stop,
                             S::zombie, S::dead, S::idle, S::parked, S::gone},
                  S::unknown);
    process.alive = process.state != S::gone && process.state != S::unknown;
    process.threads = object.value(u"threads"_s).toInt();
    process.start_time = timeOf(object.value(u"start_time"_s));
    process.problem = text(object.value(u"process_problem"_s));
    return process;
}

void decodeLock(const QJsonObject& object, inspect::FileLock& lock,
                std::vector<inspect::ProcessInfo>& processes) {
    lock.id = text(object.value(u"id"_s));
    lock.kind = kindOf(object.value(u"kind"_s));
    lock.qualifier = qualifierOf(object.value(u"qualifier"_s));
    lock.mode = modeOf(object.value(u"mode"_s));
    lock.path = text(object.value(u"path"_s));
    lock.path_deleted = object.value(u"path_deleted"_s).toBool();
    const QString source = object.value(u"path_source"_s).toString();
    lock.path_source = source == u"descriptor"_s ? inspect::PathSource::descriptor
                       : source == u"watch"_s    ? inspect::PathSource::watch
                       : source == u"search"_s   ? inspect::PathSource::search
                                                 : inspect::PathSource::unknown;
    const QStringList device = object.value(u"device"_s).toString().split(u':');
    if (device.size() == 2 && object.value(u"inode"_s).isDouble())
        lock.file =
            inspect::FileId{{device[0].toUInt(), device[1].toUInt()},
                            static_cast<std::uint64_t>(object.value(u"inode"_s).toDouble())};
    lock.start = static_cast<std::uint64_t>(object.value(u"start"_s).toDouble());
    lock.end = endOf(object.value(u"end"_s));
    lock.line_pid = pidOf(object.value(u"line_pid"_s));
    lock.held_since = timeOf(object.value(u"held_since"_s));
    lock.held_since_exact = object.value(u"held_since_exact"_s).toBool();
    lock.held_since_earliest = timeOf(object.value(u"held_since_earliest"_s));
    lock.problems = stringsOf(object.value(u"problems"_s));
    for (const auto& item : object.value(u"holders"_s).toArray()) {
        const QJsonObject fields = item.toObject();
        inspect::Holder holder;
        holder.pid = pidOf(fields.value(u"pid"_s));
        const QString how = fields.value(u"source"_s).toString();
        holder.source = how == u"descriptor"_s ? inspect::Holder::Source::descriptor
                        : how == u"lock_line_unverified"_s
                            ? inspect::Holder::Source::lock_line_unverified
                            : inspect::Holder::Source::lock_line;
        for (const auto& fd : fields.value(u"fds"_s).toArray())
            holder.fds.push_back(fd.toInt());
        holder.held_since = timeOf(fields.value(u"held_since"_s));
        holder.held_since_exact = lock.held_since_exact;
        holder.held_since_earliest = timeOf(fields.value(u"held_since_earliest"_s));
        lock.holders.push_back(std::move(holder));
        processes.push_back(processOf(fields));
    }
    int index = 0;
    for (const auto& item : object.value(u"waiters"_s).toArray()) {
        const QJsonObject fields = item.toObject();
        inspect::Waiter waiter;
        waiter.pid = fields.value(u"pid"_s).isNull() ? 0 : pidOf(fields.value(u"pid"_s));
        waiter.kind = kindOf(fields.value(u"kind"_s));
        waiter.qualifier = lock.qualifier;
        waiter.mode = modeOf(fields.value(u"mode"_s));
        waiter.start = static_cast<std::uint64_t>(fields.value(u"start"_s).toDouble());
        waiter.end = endOf(fields.value(u"end"_s));
        waiter.depth = fields.value(u"depth"_s).toInt(1);
        for (const auto& pid : fields.value(u"blocked_by"_s).toArray())
            waiter.blocked_by.push_back(pidOf(pid));
        waiter.waiting_since = timeOf(fields.value(u"waiting_since"_s));
        waiter.waiting_since_exact = fields.value(u"waiting_since_exact"_s).toBool();
        waiter.waiting_since_earliest = timeOf(fields.value(u"waiting_since_earliest"_s));
        if (fields.value(u"fd"_s).isDouble())
            waiter.fd = fields.value(u"fd"_s).toInt();
        waiter.problems = stringsOf(fields.value(u"problems"_s));
        // Protocol 1 sends no waiter id; this one is stable for as long as the agent keeps
        // the lock's id and the waiter its place.
        waiter.id =
            std::to_string(waiter.pid) + " waits #" + std::to_string(index++) + ' ' + lock.id;
        if (waiter.pid > 0)
            processes.push_back(processOf(fields));
        lock.waiters.push_back(std::move(waiter));
    }
}

inspect::Watch::Type watchTypeOf(const QJsonValue& value) {
    const QString name = value.toString();
    return name == u"directory"_s   ? inspect::Watch::Type::directory
           : name == u"glob"_s      ? inspect::Watch::Type::glob
           : name == u"semaphore"_s ? inspect::Watch::Type::semaphore
                                    : inspect::Watch::Type::path;
}

/// One watched file or slot; its lock ids go to `lockIds` (indexes are made in snapshot()).
inspect::WatchedFile watchedFileOf(const QJsonObject& object, std::size_t watch,
                                   std::vector<std::string>& lockIds) {
    using S = inspect::WatchedFile::State;
    inspect::WatchedFile file;
    file.watch = watch;
    file.path = text(object.value(u"path"_s));
    if (object.value(u"slot"_s).isDouble())
        file.slot = static_cast<unsigned>(object.value(u"slot"_s).toInteger());
    file.exists = object.value(u"exists"_s).toBool();
    const QStringList device = object.value(u"device"_s).toString().split(u':');
    if (device.size() == 2 && object.value(u"inode"_s).isDouble())
        file.file =
            inspect::FileId{{device[0].toUInt(), device[1].toUInt()},
                            static_cast<std::uint64_t>(object.value(u"inode"_s).toDouble())};
    const QString state = object.value(u"state"_s).toString();
    file.state = state == u"contended"_s ? S::contended : state == u"held"_s ? S::held : S::free;
    lockIds = stringsOf(object.value(u"locks"_s));
    for (const auto& pid : object.value(u"holders"_s).toArray())
        file.holders.push_back(pidOf(pid));
    for (const auto& pid : object.value(u"waiters"_s).toArray())
        file.waiters.push_back(pidOf(pid));
    file.problem = text(object.value(u"problem"_s));
    return file;
}

/// Moves the dates of `lock` and `processes` by `byMs`.
void shiftDates(inspect::FileLock& lock, std::vector<inspect::ProcessInfo>& processes,
                qint64 byMs) {
    if (byMs == 0)
        return;
    const std::chrono::milliseconds by(byMs);
    const auto shift = [by](std::optional<inspect::TimePoint>& time) {
        if (time)
            *time += by;
    };
    shift(lock.held_since);
    shift(lock.held_since_earliest);
    for (inspect::Holder& holder : lock.holders) {
        shift(holder.held_since);
        shift(holder.held_since_earliest);
    }
    for (inspect::Waiter& waiter : lock.waiters) {
        shift(waiter.waiting_since);
        shift(waiter.waiting_since_earliest);
    }
    for (inspect::ProcessInfo& process : processes)
        shift(process.start_time);
}

/// The fields lockctl writes of a process are the same.
bool sameProcess(const inspect::ProcessInfo& a, const inspect::ProcessInfo& b) {
    return a.command == b.command && a.command_line == b.command_line && a.state == b.state &&
           a.user == b.user && a.uid == b.uid && a.start_time == b.start_time &&
           a.threads == b.threads && a.problem == b.problem;
}

} // namespace

bool AgentSnapshotDecoder::applyWatches(const QJsonObject& line) {
    const bool all = line.contains(u"watches"_s);
    const QJsonArray watches = line.value(all ? u"watches"_s : u"changed_watches"_s).toArray();
    if (all)
        m_watches.assign(static_cast<std::size_t>(watches.size()), {});
    for (const auto& item : watches) {
        const QJsonObject object = item.toObject();
        const qint64 index = object.value(u"index"_s).toInteger(-1);
        if (index < 0 || index >= static_cast<qint64>(m_watches.size()))
            return fail(u"the agent sent watch "_s + QString::number(index) + u" of "_s +
                        QString::number(m_watches.size()) + u" it was given"_s);
        WatchEntry& entry = m_watches[static_cast<std::size_t>(index)];
        entry = {};
        inspect::Watch& watch = entry.watch;
        watch.type = watchTypeOf(object.value(u"type"_s));
        watch.path = text(object.value(u"path"_s));
        watch.name = text(object.value(u"name"_s));
        watch.maximum = static_cast<unsigned>(object.value(u"maximum"_s).toInteger());
        if (object.value(u"pattern"_s).isString())
            watch.pattern = text(object.value(u"pattern"_s));
        if (object.value(u"stuck_after_ms"_s).isDouble())
            watch.stuck_after =
                std::chrono::milliseconds(object.value(u"stuck_after_ms"_s).toInteger());
        for (const auto& file : object.value(u"files"_s).toArray()) {
            entry.fileLocks.emplace_back();
            entry.files.push_back(watchedFileOf(file.toObject(), static_cast<std::size_t>(index),
                                                entry.fileLocks.back()));
        }
    }
    return true;
}

bool AgentSnapshotDecoder::fail(const QString& message, bool version) {
    m_changesKnown = false;
    m_error = message;
    m_errorIsVersion = version;
    return false;
}

void AgentSnapshotDecoder::noteProcesses(const Entry& entry) {
    for (const inspect::ProcessInfo& process : entry.processes) {
        // A pid not known before is on no lock row yet: nothing to redo for it.
        const auto known = m_current.processes.find(process.pid);
        if (known != m_current.processes.end() && !sameProcess(known->second, process))
            m_changedPids.insert(process.pid);
    }
}

void AgentSnapshotDecoder::useProcesses(const inspect::FileLock& lock, int step) {
    auto use = [&](inspect::Pid pid) {
        int& uses = m_processUses[pid];
        uses += step;
        if (uses <= 0) {
            m_processUses.erase(pid);
            m_current.processes.erase(pid);
        }
    };
    // As decodeLock() lists them: every holder, the waiters with a pid.
    for (const inspect::Holder& holder : lock.holders)
        use(holder.pid);
    for (const inspect::Waiter& waiter : lock.waiters)
        if (waiter.pid > 0)
            use(waiter.pid);
}

void AgentSnapshotDecoder::put(Entry&& entry) {
    shiftDates(entry.lock, entry.processes, m_offsetMs);
    const auto [found, isNew] = m_index.try_emplace(entry.lock.id, m_current.file_locks.size());
    if (isNew) {
        m_current.file_locks.push_back(std::move(entry.lock));
    } else {
        inspect::FileLock& lock = m_current.file_locks[found->second];
        useProcesses(lock, -1);
        lock = std::move(entry.lock);
    }
    useProcesses(m_current.file_locks[found->second], +1);
    // The newest word on a process is the line that sent it (the agent sends every lock of a
    // process again when the process changes).
    for (inspect::ProcessInfo& process : entry.processes)
        m_current.processes.insert_or_assign(process.pid, std::move(process));
}

void AgentSnapshotDecoder::remove(const std::string& id) {
    const auto found = m_index.find(id);
    if (found == m_index.end())
        return;
    const std::size_t index = found->second;
    m_index.erase(found);
    std::vector<inspect::FileLock>& locks = m_current.file_locks;
    useProcesses(locks[index], -1);
    // The last lock takes its place: a removal costs one move, not a shift of all behind it.
    if (index + 1 != locks.size()) {
        locks[index] = std::move(locks.back());
        m_index[locks[index].id] = index;
        m_changedIds.insert(locks[index].id); // moved: what was at its place before is not it
    }
    locks.pop_back();
}

void AgentSnapshotDecoder::setClockOffset(qint64 offsetMs) {
    if (offsetMs == m_offsetMs)
        return;
    const qint64 by = offsetMs - m_offsetMs;
    m_offsetMs = offsetMs;
    std::vector<inspect::ProcessInfo> none;
    for (inspect::FileLock& lock : m_current.file_locks)
        shiftDates(lock, none, by);
    for (auto& [pid, process] : m_current.processes)
        if (process.start_time)
            *process.start_time += std::chrono::milliseconds(by);
}

void AgentSnapshotDecoder::clearChanges() {
    m_changesKnown = m_error.isEmpty() && hasSnapshot();
    m_changedIds.clear();
    m_changedPids.clear();
}

void AgentSnapshotDecoder::reset() {
    *this = AgentSnapshotDecoder();
}

bool AgentSnapshotDecoder::apply(const QByteArray& line) {
    if (!m_error.isEmpty())
        return false;
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        const QByteArray shown = line.left(80).trimmed();
        return fail(u"the remote lockctl printed something that is not the agent protocol: \""_s +
                    QString::fromUtf8(shown) + (line.size() > 80 ? u"…\""_s : u"\""_s));
    }
    const QJsonObject object = document.object();
    const int protocol = object.value(u"protocol"_s).toInt(-1);
    if (protocol != protocolVersion)
        return fail(u"the remote lockctl speaks agent protocol "_s +
                        (protocol < 0 ? u"(none)"_s : QString::number(protocol)) +
                        u"; this Lock Inspector speaks protocol "_s +
                        QString::number(protocolVersion),
                    true);
    const QString type = object.value(u"type"_s).toString();
    const auto sequence = static_cast<quint64>(object.value(u"seq"_s).toInteger());
    if (m_sequence == 0 && type != u"snapshot"_s)
        return fail(u"the agent stream did not start with a snapshot (first line: "_s + type +
                    u")"_s);
    if (type == u"snapshot"_s) {
        if (m_sequence != 0)
            return fail(u"the agent sent a second snapshot in one stream"_s);
    } else if (sequence != m_sequence + 1) {
        return fail(u"agent lines were lost (expected line "_s + QString::number(m_sequence + 1) +
                    u", got "_s + QString::number(sequence) + u")"_s);
    } else if (type != u"delta"_s && type != u"heartbeat"_s) {
        return fail(u"unknown agent line type \""_s + type + u"\""_s);
    }

    if (type == u"snapshot"_s)
        m_changesKnown = false;
    for (const char* key : {"locks", "added", "changed"})
        for (const auto& item : object.value(QLatin1String(key)).toArray()) {
            Entry entry;
            decodeLock(item.toObject(), entry.lock, entry.processes);
            noteProcesses(entry);
            m_changedIds.insert(entry.lock.id);
            put(std::move(entry));
        }
    for (const auto& id : object.value(u"removed"_s).toArray()) {
        m_changedIds.insert(text(id));
        remove(text(id));
    }
    if (object.contains(u"complete"_s))
        m_complete = object.value(u"complete"_s).toBool();
    if (object.contains(u"deadlock_details"_s)) {
        m_changesKnown = false; // rows are judged by the deadlocks they are in
        m_deadlocks.clear();
        for (const auto& item : object.value(u"deadlock_details"_s).toArray()) {
            const QJsonObject fields = item.toObject();
            DeadlockDetail detail;
            for (const auto& pid : fields.value(u"pids"_s).toArray())
                detail.deadlock.pids.push_back(pidOf(pid));
            detail.deadlock.certain = fields.value(u"certain"_s).toBool();
            for (const auto& edgeValue : fields.value(u"edges"_s).toArray()) {
                const QJsonObject edge = edgeValue.toObject();
                detail.deadlock.edges.push_back({.waiter = pidOf(edge.value(u"waiter"_s)),
                                                 .holder = pidOf(edge.value(u"holder"_s)),
                                                 .blocking_lock = 0,
                                                 .queued_lock = 0,
                                                 .waiter_index = 0});
                detail.edgeLocks.push_back(text(edge.value(u"lock"_s)));
            }
            m_deadlocks.push_back(std::move(detail));
        }
    }
    if (object.contains(u"problems"_s)) {
        m_problems.clear();
        for (const auto& item : object.value(u"problems"_s).toArray()) {
            const QJsonObject fields = item.toObject();
            using K = inspect::Problem::Kind;
            inspect::Problem problem;
            problem.kind = enumNamed(
                fields.value(u"kind"_s),
                std::array{K::parse, K::permission, K::vanished, K::unresolved, K::deadline},
                K::io);
            problem.message = text(fields.value(u"message"_s));
            problem.pid = pidOf(fields.value(u"pid"_s));
            problem.line = static_cast<std::size_t>(fields.value(u"line"_s).toInteger());
            m_problems.push_back(std::move(problem));
        }
    }
    if (object.contains(u"watches"_s) || object.contains(u"changed_watches"_s)) {
        m_changesKnown = false; // a watch's own stuck threshold applies to its locks' rows
        if (!applyWatches(object))
            return false;
    }
    if (const auto takenAt = timeOf(object.value(u"taken_at"_s)))
        m_takenAtMs =
            std::chrono::duration_cast<std::chrono::milliseconds>(takenAt->time_since_epoch())
                .count();
    m_sequence = sequence;
    return true;
}

inspect::Snapshot& AgentSnapshotDecoder::current() {
    inspect::Snapshot& snapshot = m_current;
    snapshot.taken_at = inspect::TimePoint{} + std::chrono::milliseconds(m_takenAtMs + m_offsetMs);
    snapshot.complete = m_complete;
    snapshot.problems = m_problems;
    snapshot.deadlocks.clear();
    snapshot.watches.clear();
    snapshot.watched_files.clear();
    const auto& indexOf = m_index;
    for (const DeadlockDetail& detail : m_deadlocks) {
        inspect::Deadlock deadlock = detail.deadlock;
        for (std::size_t i = 0; i < deadlock.edges.size(); ++i) {
            inspect::WaitEdge& edge = deadlock.edges[i];
            const auto blocking = indexOf.find(detail.edgeLocks[i]);
            if (blocking != indexOf.end())
                edge.blocking_lock = blocking->second;
            // The lock the waiter queues under: the one whose waiters list it.
            for (std::size_t lock = 0; lock < snapshot.file_locks.size(); ++lock) {
                const auto& waiters = snapshot.file_locks[lock].waiters;
                for (std::size_t w = 0; w < waiters.size(); ++w)
                    if (waiters[w].pid == edge.waiter) {
                        edge.queued_lock = lock;
                        edge.waiter_index = w;
                    }
            }
        }
        snapshot.deadlocks.push_back(std::move(deadlock));
    }
    // Watched files name their locks by id; a lock the stream no longer has (it cannot, as
    // both come from one scan) is left out rather than pointing at another lock.
    for (const WatchEntry& entry : m_watches) {
        snapshot.watches.push_back(entry.watch);
        for (std::size_t i = 0; i < entry.files.size(); ++i) {
            inspect::WatchedFile file = entry.files[i];
            for (const std::string& id : entry.fileLocks[i])
                if (const auto lock = indexOf.find(id); lock != indexOf.end())
                    file.locks.push_back(lock->second);
            snapshot.watched_files.push_back(std::move(file));
        }
    }
    return snapshot;
}
