#include "widgets/lockdetailsview.h"

#include "models/healthstyle.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QScrollBar>

using namespace Qt::StringLiterals;

namespace {

QString esc(const QString& text) {
    return text.toHtmlEscaped();
}

/// Exact, or honest bounds: "at least 14 s (first seen 12:03:04), at most 10m 02s (its
/// process started 11:53:02)".
QString sinceText(qint64 sinceMs, bool exact, qint64 nowMs, qint64 earliestMs = -1) {
    if (sinceMs < 0)
        return u"unknown"_s;
    if (exact)
        return TextFormat::durationCoarse(nowMs - sinceMs) + u" (since "_s +
               TextFormat::clockTime(sinceMs) + u')';
    QString text = u"at least "_s + TextFormat::durationCoarse(nowMs - sinceMs) +
                   u" (first seen "_s + TextFormat::clockTime(sinceMs) + u')';
    if (earliestMs >= 0)
        text += u", at most "_s + TextFormat::durationCoarse(nowMs - earliestMs) +
                u" (its process started "_s + TextFormat::clockTime(earliestMs) + u')';
    return text;
}

/// The holder actions, as links the page handles (see LockDetailsView::actionRequested).
QString holderActions(qint64 pid, bool stopped) {
    QStringList links;
    if (stopped)
        links << u"<a href='action:continue:%1'>Continue</a>"_s.arg(pid);
    links << u"<a href='action:terminate:%1'>Terminate</a>"_s.arg(pid)
          << u"<a href='action:kill:%1'>Kill</a>"_s.arg(pid)
          << u"<a href='copy:pid:%1'>Copy pid</a>"_s.arg(pid)
          << u"<a href='copy:cmdline:%1'>Copy command line</a>"_s.arg(pid);
    return links.join(u" &middot; "_s);
}

QString processBlock(const ProcessRow& process) {
    QString html;
    html += u"<b>"_s + (process.pid > 0 ? QString::number(process.pid) : u"?"_s) + u"</b> "_s +
            esc(process.command);
    if (!process.state.isEmpty()) {
        const QString colour = process.stoppedOrZombie
                                   ? HealthStyle::accent(LockHealth::holderStopped).name()
                                   : QString();
        if (colour.isEmpty())
            html += u" &middot; "_s + esc(process.state);
        else
            html += u" &middot; <b style='color:"_s + colour + u"'>"_s +
                    esc(process.state).toUpper() + u"</b>"_s;
    }
    if (!process.user.isEmpty())
        html += u" &middot; user "_s + esc(process.user);
    if (process.parentPid > 1)
        html += u" &middot; parent "_s + QString::number(process.parentPid);
    if (process.threads > 1)
        html += u" &middot; "_s + QString::number(process.threads) + u" threads"_s;
    if (process.startedMs >= 0)
        html += u" &middot; started "_s + TextFormat::clockTime(process.startedMs);
    if (!process.commandLine.isEmpty())
        html += u"<br><code>"_s + esc(process.commandLine) + u"</code>"_s;
    if (!process.problem.isEmpty())
        html += u"<br><i>"_s + esc(process.problem) + u"</i>"_s;
    return html;
}

} // namespace

LockDetailsView::LockDetailsView(QWidget* parent) : QTextBrowser(parent) {
    setOpenLinks(false);
    setPlaceholderText(tr("Select a lock to see its holders, waiters and byte range."));
}

void LockDetailsView::showLock(const FileLockRow* row, bool force) {
    if (!row) {
        if (m_shown) {
            m_shown.reset();
            clear();
        }
        return;
    }
    if (!force && m_shown && *m_shown == *row)
        return;
    m_shown = *row;
    const int scroll = verticalScrollBar()->value();
    setHtml(html(*row, QDateTime::currentMSecsSinceEpoch()));
    verticalScrollBar()->setValue(scroll);
}

QString LockDetailsView::html(const FileLockRow& row, qint64 nowMs) {
    QString html;
    const QColor accent = HealthStyle::accent(row.health);
    html += u"<p style='margin:0'><span style='font-size:large'><b>"_s + esc(row.shownPath()) +
            u"</b></span>"_s;
    if (row.pathDeleted)
        html += u" <i>(deleted)</i>"_s;
    if (row.pathSearched)
        html += u" <i>("_s +
                tr("found by device and inode: no process that has it open could be read") +
                u")</i>"_s;
    html += u"<br><span style='color:"_s + accent.name() + u"'><b>"_s +
            HealthStyle::label(row.health) + u"</b></span>"_s;
    if (!row.healthReason.isEmpty())
        html += u" &mdash; "_s + esc(row.healthReason);
    html += u"</p>"_s;

    html += u"<table cellspacing=0 cellpadding=1>"_s;
    const auto line = [&html](const QString& label, const QString& value) {
        html += u"<tr><td style='color:gray;padding-right:8px'>"_s + label + u"</td><td>"_s +
                value + u"</td></tr>"_s;
    };
    line(tr("Lock"), esc(row.kind) + u", "_s + esc(row.mode));
    line(tr("Bytes"), TextFormat::byteRange(row.start, row.end) + u" ("_s +
                          TextFormat::rangeLength(row.start, row.end) + u')');
    line(tr("Held for"),
         sinceText(row.heldSinceMs, row.heldSinceExact, nowMs, row.heldSinceEarliestMs));
    line(tr("File"), u"<a href='copy:path:'>"_s + tr("Copy path") +
                         u"</a> &middot; <a href='open:folder:'>"_s + tr("Open containing folder") +
                         u"</a>"_s);
    if (!row.fileId.isEmpty())
        line(tr("Inode"), row.fileId);
    if (!row.pathKnown)
        line(tr("Path"), tr("unknown: no process with the file open could be read"));
    html += u"</table>"_s;

    html += u"<h4 style='margin-bottom:2px'>"_s + tr("Holders (%1)").arg(row.holders.size()) +
            u"</h4>"_s;
    if (row.holders.isEmpty())
        html += u"<p><i>"_s +
                tr("No holder could be named (pid in /proc/locks: %1).").arg(row.linePid) +
                u"</i></p>"_s;
    for (const HolderRow& holder : row.holders) {
        html += u"<p style='margin-top:2px'>"_s + processBlock(*holder.process);
        html += u"<br><span style='color:gray'>"_s + tr("found via %1").arg(esc(holder.source));
        if (!holder.fds.isEmpty()) {
            QStringList fds;
            for (int fd : holder.fds)
                fds << QString::number(fd);
            html += u", fd "_s + fds.join(u", "_s);
        }
        html += u", held "_s +
                sinceText(holder.heldSinceMs, holder.heldSinceExact, nowMs,
                          holder.heldSinceEarliestMs) +
                u"</span>"_s;
        if (holder.process->pid > 0)
            html += u"<br>"_s + holderActions(holder.process->pid, holder.process->stoppedOrZombie);
        html += u"</p>"_s;
    }

    html += u"<h4 style='margin-bottom:2px'>"_s + tr("Waiters (%1)").arg(row.waiters.size()) +
            u"</h4>"_s;
    if (row.waiters.isEmpty())
        html += u"<p style='color:gray'>"_s + tr("Nobody is waiting.") + u"</p>"_s;
    for (const WaiterRow& waiter : row.waiters) {
        html += u"<p style='margin-top:2px'>"_s + processBlock(*waiter.process);
        html += u"<br>"_s + tr("wants %1 %2 of bytes %3")
                                .arg(esc(waiter.kind), esc(waiter.mode),
                                     TextFormat::byteRange(waiter.start, waiter.end));
        html += u"<br>"_s + tr("blocked by ") +
                (waiter.blockedByAll.isEmpty() ? u"?"_s
                                               : u"<b>"_s + esc(waiter.blockedByAll) + u"</b>"_s);
        if (waiter.depth > 1)
            html += u" "_s + tr("(queued behind another waiter)");
        html += u"<br><span style='color:gray'>"_s + tr("waiting ") +
                sinceText(waiter.waitingSinceMs, waiter.waitingSinceExact, nowMs,
                          waiter.waitingSinceEarliestMs) +
                u"</span>"_s;
        if (waiter.published) {
            html += u"<br>"_s;
            if (waiter.deadlineMs < 0)
                html += tr("no time limit");
            else if (waiter.deadlineMs <= nowMs)
                html += tr("gives up now");
            else
                html += tr("<b>gives up in %1</b> (at %2)")
                            .arg(TextFormat::duration(waiter.deadlineMs - nowMs),
                                 TextFormat::clockTime(waiter.deadlineMs));
            if (!waiter.label.isEmpty())
                html += u" &middot; "_s + tr("label: ") + u"<b>"_s + esc(waiter.label) + u"</b>"_s;
        }
        if (waiter.helperPid > 0)
            html += u"<br><span style='color:gray'>"_s +
                    tr("blocks through its wait helper %1 (the pid the kernel lists)")
                        .arg(waiter.helperPid) +
                    u"</span>"_s;
        for (const QString& problem : waiter.problems)
            html += u"<br><i>"_s + esc(problem) + u"</i>"_s;
        html += u"</p>"_s;
    }
    if (!row.problems.isEmpty()) {
        html += u"<h4 style='margin-bottom:2px'>"_s + tr("Not seen") + u"</h4><ul>"_s;
        for (const QString& problem : row.problems)
            html += u"<li>"_s + esc(problem) + u"</li>"_s;
        html += u"</ul>"_s;
    }
    return html;
}
