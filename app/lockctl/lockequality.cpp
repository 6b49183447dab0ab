#include "lockequality.hpp"

namespace lockctl {

namespace {

using namespace portalocker::inspect;

bool same_holder(const Holder& a, const Holder& b) {
    return a.pid == b.pid && a.fds == b.fds && a.source == b.source &&
           a.held_since == b.held_since && a.held_since_earliest == b.held_since_earliest;
}

bool same_notice(const std::optional<WaitNoticeRecord>& a,
                 const std::optional<WaitNoticeRecord>& b) {
    if (!a || !b)
        return !a && !b;
    return a->resources == b->resources && a->kind == b->kind && a->mode == b->mode &&
           a->label == b->label && a->started == b->started && a->deadline == b->deadline;
}

bool same_waiter(const Waiter& a, const Waiter& b) {
    return a.pid == b.pid && a.kind == b.kind && a.mode == b.mode && a.start == b.start &&
           a.end == b.end && a.depth == b.depth && a.blocked_by == b.blocked_by &&
           a.waiting_since == b.waiting_since && a.waiting_since_exact == b.waiting_since_exact &&
           a.waiting_since_earliest == b.waiting_since_earliest && a.helper_pid == b.helper_pid &&
           same_notice(a.notice, b.notice) && a.fd == b.fd && a.problems == b.problems;
}

template <class T, class Same>
bool same_list(const std::vector<T>& a, const std::vector<T>& b, Same same) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i]))
            return false;
    return true;
}

} // namespace

bool same_written_lock(const FileLock& a, const FileLock& b) {
    return a.id == b.id && a.kind == b.kind && a.qualifier == b.qualifier && a.mode == b.mode &&
           a.path == b.path && a.path_deleted == b.path_deleted && a.path_source == b.path_source &&
           a.file == b.file && a.start == b.start && a.end == b.end && a.line_pid == b.line_pid &&
           a.held_since == b.held_since && a.held_since_exact == b.held_since_exact &&
           a.held_since_earliest == b.held_since_earliest && a.problems == b.problems &&
           same_list(a.holders, b.holders, same_holder) &&
           same_list(a.waiters, b.waiters, same_waiter);
}

bool same_written_process(const ProcessInfo* a, const ProcessInfo* b) {
    if (!a || !b)
        return !a && !b;
    return a->command == b->command && a->command_line == b->command_line && a->state == b->state &&
           a->user == b->user && a->uid == b->uid && a->start_time == b->start_time &&
           a->threads == b->threads && a->problem == b->problem;
}

} // namespace lockctl
