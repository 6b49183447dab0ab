#include "models/filelockrow.h"

#include "session/textformat.h"

namespace {

bool contains(const QString& field, const QString& term) {
    return field.contains(term, Qt::CaseInsensitive);
}

bool processMatches(const ProcessRef& process, const QString& term) {
    return process &&
           (contains(QString::number(process->pid), term) || contains(process->command, term) ||
            contains(process->user, term) || contains(process->state, term));
}

} // namespace

QString FileLockRow::shownPath() const {
    return shownPathText.isNull() ? TextFormat::shownName(path) : shownPathText;
}

bool FileLockRow::matches(const QStringList& terms) const {
    // Computed on demand instead of a stored lower-case haystack: the filter runs when the
    // operator types, the memory would be spent on every row all the time.
    for (const QString& term : terms) {
        bool found = contains(path, term) || contains(kind, term) || contains(mode, term);
        for (const HolderRow& holder : holders)
            found = found || processMatches(holder.process, term);
        for (const WaiterRow& waiter : waiters)
            found = found || processMatches(waiter.process, term);
        if (!found)
            return false;
    }
    return true;
}
