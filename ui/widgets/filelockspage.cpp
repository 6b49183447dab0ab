#include "widgets/filelockspage.h"

#include "workers/acquirejob.h"
#include "models/deadlockmodel.h"
#include "session/desktopactions.h"
#include "models/filelockmodel.h"
#include "models/filelockproxymodel.h"
#include "models/healthstyle.h"
#include "models/heldlockmodel.h"
#include "session/inspectorsession.h"
#include "session/redishub.h"
#include "session/textformat.h"
#include "widgets/lockdetailsview.h"
#include "widgets/locksignaldialog.h"
#include "widgets/middleelidedelegate.h"
#include "widgets/hostfilterbox.h"
#include "widgets/lockdetailsview.h"
#include "models/hostlistmodel.h"
#include "session/remotehub.h"
#include "workers/hostconnection.h"

#include <QAction>
#include <QCheckBox>
#include <QCoreApplication>
#include <QPointer>
#include <QDataStream>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIODevice>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

FileLocksPage::FileLocksPage(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_proxy(new FileLockProxyModel(this)),
      m_filter(new QLineEdit(this)),
      m_onlyAttention(new QCheckBox(tr("Needs attention only"), this)), m_summary(new QLabel(this)),
      m_view(new QTableView(this)), m_details(new LockDetailsView(this)),
      m_deadlockBox(new QGroupBox(this)), m_deadlocks(new QListView(this)),
      m_splitter(new QSplitter(Qt::Horizontal, this)),
      m_sideSplitter(new QSplitter(Qt::Vertical, this)),
      m_emptyHint(new QLabel(m_view->viewport())) {
    m_proxy->setSourceModel(session->fileLocks());
    m_emptyHint->setTextFormat(Qt::RichText);
    m_emptyHint->setAlignment(Qt::AlignCenter);
    m_emptyHint->hide();
    connect(m_emptyHint, &QLabel::linkActivated, this, &FileLocksPage::clearFilter);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);
    layout->addLayout(buildFilterBar());
    buildTable();
    buildSide();
    layout->addWidget(m_splitter, 1);
    connectRefreshes();
    updateSummary();
}

QHBoxLayout* FileLocksPage::buildFilterBar() {
    m_filter->setPlaceholderText(tr("Filter by path, pid, command, user, kind…  (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_onlyAttention->setToolTip(
        tr("Show only deadlocked, stopped-holder, stuck and contended locks"));
    m_summary->setTextFormat(Qt::RichText);
    auto* filterBar = new QHBoxLayout;
    filterBar->addWidget(m_filter, 3);
    filterBar->addWidget(m_onlyAttention);
    // Remote hosts (issue 13): a host filter, and the Host column while there are any.
    auto* hostFilter = new HostFilterBox(m_session->remote()->model(), this);
    filterBar->addWidget(hostFilter);
    connect(hostFilter, &HostFilterBox::hostChanged, m_proxy, &FileLockProxyModel::setHostFilter);
    filterBar->addStretch(1);
    filterBar->addWidget(m_summary);
    m_filterDelay.setSingleShot(true);
    m_filterDelay.setInterval(150); // typing in a 50,000-row table stays smooth
    connect(m_filter, &QLineEdit::textChanged, &m_filterDelay, qOverload<>(&QTimer::start));
    connect(&m_filterDelay, &QTimer::timeout, this,
            [this] { m_proxy->setFilterText(m_filter->text()); });
    connect(m_onlyAttention, &QCheckBox::toggled, m_proxy, &FileLockProxyModel::setOnlyAttention);
    return filterBar;
}

void FileLocksPage::buildTable() {
    m_view->setModel(m_proxy);
    // A flat table, not a tree: its layout costs nothing per row (50,000 rows stay smooth).
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(FileLockModel::StatusColumn, Qt::DescendingOrder);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    // Paths elide in the middle (their ends name the file); numbers and pids are never cut in
    // the middle: those columns elide at the right, and are wide enough for what they show.
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->setItemDelegateForColumn(FileLockModel::PathColumn, new MiddleElideDelegate(m_view));
    QHeaderView* header = m_view->horizontalHeader();
    header->setStretchLastSection(false);
    header->setSectionsMovable(true);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    const int widths[] = {100, 380, 50, 48, 84, 64, 100, 60, 70, 130, 60, 160};
    static_assert(std::size(widths) == FileLockModel::ColumnCount);
    for (int column = 0; column < FileLockModel::ColumnCount; ++column)
        header->resizeSection(column, widths[column]);
    auto showHostColumn = [header, hosts = m_session->remote()->model()] {
        header->setSectionHidden(FileLockModel::HostColumn, hosts->rowCount() <= 1);
    };
    showHostColumn();
    connect(m_session->remote()->model(), &QAbstractItemModel::rowsInserted, this, showHostColumn);
    connect(m_session->remote()->model(), &QAbstractItemModel::rowsRemoved, this, showHostColumn);
    // The path column takes what is left, so Held for and Waiters stay in view in a small
    // window (1024 px) instead of being pushed off to the right.
    header->setSectionResizeMode(FileLockModel::PathColumn, QHeaderView::Stretch);
    header->setMinimumSectionSize(40);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(header, &QHeaderView::customContextMenuRequested, this,
            [this, header](const QPoint& position) {
                // Columns can be hidden and shown again from the header's menu.
                // popup(), not exec(): no nested event loop while refreshes keep landing.
                auto* menu = new QMenu(this);
                menu->setAttribute(Qt::WA_DeleteOnClose);
                for (int column = 0; column < FileLockModel::ColumnCount; ++column) {
                    QAction* action =
                        menu->addAction(m_proxy->headerData(column, Qt::Horizontal).toString());
                    action->setCheckable(true);
                    action->setChecked(!header->isSectionHidden(column));
                    action->setEnabled(column != FileLockModel::PathColumn);
                    connect(action, &QAction::toggled, this, [this, header, column](bool shown) {
                        header->setSectionHidden(column, !shown);
                        emit layoutChanged(); // the window saves it: hidden columns persist
                    });
                }
                menu->popup(header->mapToGlobal(position));
            });
    connect(m_view, &QTableView::customContextMenuRequested, this, &FileLocksPage::showContextMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this] { updateDetails(); });
}

void FileLocksPage::buildSide() {
    m_deadlocks->setModel(m_session->deadlocks());
    m_deadlocks->setAlternatingRowColors(true);
    m_deadlocks->setWordWrap(true);
    m_deadlocks->setTextElideMode(Qt::ElideRight);
    auto* deadlockLayout = new QVBoxLayout(m_deadlockBox);
    deadlockLayout->setContentsMargins(4, 4, 4, 4);
    deadlockLayout->addWidget(m_deadlocks);
    connect(m_deadlocks, &QListView::activated, this, &FileLocksPage::selectDeadlock);
    connect(m_deadlocks, &QListView::clicked, this, &FileLocksPage::selectDeadlock);
    connect(m_details, &QTextBrowser::anchorClicked, this, &FileLocksPage::followDetailsLink);

    m_sideSplitter->addWidget(m_details);
    m_sideSplitter->addWidget(m_deadlockBox);
    m_sideSplitter->setStretchFactor(0, 3);
    m_sideSplitter->setStretchFactor(1, 1);
    m_splitter->addWidget(m_view);
    m_splitter->addWidget(m_sideSplitter);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({1100, 420});
}

void FileLocksPage::connectRefreshes() {
    connect(m_proxy, &QAbstractItemModel::dataChanged, this, [this] { updateDetails(); });
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, [this] { updateDetails(); });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &FileLocksPage::updateEmptyHint);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &FileLocksPage::updateEmptyHint);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &FileLocksPage::updateEmptyHint);
    connect(m_session, &InspectorSession::refreshed, this, &FileLocksPage::updateSummary);

    // A refresh of tens of thousands of rows lands in slices; repainting the table after each
    // slice would double the time on the GUI thread and show half-applied states. Freeze the
    // table while it lands (at most a second and a half), then show the result at once.
    m_thaw.setSingleShot(true);
    m_thaw.setInterval(1500);
    connect(&m_thaw, &QTimer::timeout, this,
            [this] { m_view->viewport()->setUpdatesEnabled(true); });
    connect(m_session->fileLocks(), &FileLockModel::mergeContinuing, this, [this] {
        m_view->viewport()->setUpdatesEnabled(false);
        m_thaw.start();
    });
    connect(m_session->fileLocks(), &FileLockModel::mergeFinished, this, [this] {
        m_thaw.stop();
        m_view->viewport()->setUpdatesEnabled(true);
    });

    // "Held for" ticks without the model changing: repaint, do not re-sort. Waiter rows also
    // count down their deadline in the path column.
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        // Only the ticking columns: a full repaint lays out the text of every visible cell.
        for (int column : {int(FileLockModel::HeldForColumn), int(FileLockModel::PathColumn)}) {
            const int x = m_view->columnViewportPosition(column);
            if (x >= 0)
                m_view->viewport()->update(x, 0, m_view->columnWidth(column),
                                           m_view->viewport()->height());
        }
        updateDetails(true);
    });
    m_tick.start();
}

void FileLocksPage::focusFilter() {
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

void FileLocksPage::updateDetails(bool force) {
    const QModelIndex current = m_proxy->mapToSource(m_view->currentIndex());
    m_details->showLock(m_session->fileLocks()->lockAt(current), force);
}

void FileLocksPage::updateSummary() {
    // At 3 a.m. the worst lock should be explained without a click: select the top row.
    if (!m_view->currentIndex().isValid() && m_proxy->rowCount() > 0)
        m_view->setCurrentIndex(m_proxy->index(0, 0));
    const PollCounts& counts = m_session->counts();
    QStringList parts;
    const auto chip = [&parts](LockHealth health, int count, const QString& text) {
        if (count > 0)
            parts << u"<b style='color:"_s + HealthStyle::accent(health).name() + u"'>"_s +
                         QString::number(count) + u' ' + text + u"</b>"_s;
    };
    chip(LockHealth::deadlocked, counts.deadlocks, tr("deadlocked"));
    chip(LockHealth::holderStopped, counts.stopped, tr("stopped holder"));
    chip(LockHealth::stuck, counts.stuck, tr("stuck"));
    chip(LockHealth::contended, counts.contended, tr("contended"));
    parts << TextFormat::plural(counts.locks, tr("lock"), tr("locks")) + u", "_s +
                 TextFormat::plural(counts.holders, tr("holder"), tr("holders")) + u", "_s +
                 tr("%1 waiting").arg(counts.waiters);
    m_summary->setText(parts.join(u" &nbsp;·&nbsp; "_s));

    const int deadlocks = m_session->deadlocks()->rowCount();
    m_deadlockBox->setTitle(deadlocks ? tr("Deadlocks (%1)").arg(deadlocks)
                                      : tr("Deadlocks: none"));
    updateEmptyHint();
    m_deadlockBox->setStyleSheet(deadlocks ? u"QGroupBox { color: %1; font-weight: bold; }"_s.arg(
                                                 HealthStyle::accent(LockHealth::deadlocked).name())
                                           : QString());
}

void FileLocksPage::selectDeadlock(const QModelIndex& index) {
    const DeadlockRow* deadlock = m_session->deadlocks()->deadlockAt(index);
    if (!deadlock || deadlock->pids.isEmpty())
        return;
    // Select the first lock a process of the cycle holds.
    FileLockModel* model = m_session->fileLocks();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, 0);
        const FileLockRow* lock = model->lockAt(index);
        if (model->waiterAt(index) || lock->health != LockHealth::deadlocked ||
            !deadlock->pids.contains(lock->firstPid))
            continue;
        const QModelIndex proxyIndex = m_proxy->mapFromSource(model->index(row, 0));
        if (proxyIndex.isValid()) {
            m_view->setCurrentIndex(proxyIndex);
            m_view->scrollTo(proxyIndex);
            return;
        }
    }
}

void FileLocksPage::showContextMenu(const QPoint& position) {
    const QModelIndex proxyIndex = m_view->indexAt(position);
    if (!proxyIndex.isValid())
        return;
    const QModelIndex index = m_proxy->mapToSource(proxyIndex);
    const FileLockRow* lock = m_session->fileLocks()->lockAt(index);
    const WaiterRow* waiter = m_session->fileLocks()->waiterAt(index);
    if (!lock)
        return;
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    const QString path = lock->path;
    menu->addAction(tr("Copy path"), this, [path] { DesktopActions::copyText(path); });
    const QString pids =
        waiter ? QString::number(waiter->process->pid) : QString::number(lock->firstPid);
    menu->addAction(waiter ? tr("Copy waiter PID") : tr("Copy holder PID"), this,
                    [pids] { DesktopActions::copyText(pids); });
    const QString commandLine = waiter ? waiter->process->commandLine
                                : lock->holders.isEmpty()
                                    ? QString()
                                    : lock->holders.front().process->commandLine;
    menu->addAction(tr("Copy command line"), this,
                    [commandLine] { DesktopActions::copyText(commandLine); })
        ->setEnabled(!commandLine.isEmpty());
    menu->addAction(tr("Copy details"), this,
                    [this] { DesktopActions::copyText(m_details->toPlainText()); });
    // Acting on the process of this row: the holder, or the waiter on a waiter row.
    const ProcessRow* process = waiter                    ? waiter->process.get()
                                : lock->holders.isEmpty() ? nullptr
                                                          : lock->holders.front().process.get();
    // (A remote host's pid may equal ours by chance: only this computer's rows are us.)
    if (process && process->pid > 0 &&
        (!lock->host.isEmpty() || process->pid != QCoreApplication::applicationPid())) {
        menu->addSeparator();
        const qint64 pid = process->pid;
        const QString id = lock->id;
        const QString whom = waiter ? tr("waiter") : tr("holder");
        if (process->stoppedOrZombie)
            menu->addAction(tr("Continue %1 %2 (SIGCONT)…").arg(whom).arg(pid), this,
                            [this, id, pid] { confirmSignal(id, pid, inspect::LockSignal::cont); });
        menu->addAction(tr("Terminate %1 %2 (SIGTERM)…").arg(whom).arg(pid), this, [this, id, pid] {
            confirmSignal(id, pid, inspect::LockSignal::terminate);
        });
        menu->addAction(tr("Kill %1 %2 (SIGKILL)…").arg(whom).arg(pid), this,
                        [this, id, pid] { confirmSignal(id, pid, inspect::LockSignal::kill); });
    }
    // A lock this Lock Inspector holds (acquire panel) can be released from here too.
    HeldLockModel* held = m_session->heldLocks();
    for (int row = 0; row < held->rowCount(); ++row) {
        AcquireJob* job = held->jobAt(row);
        if (!waiter && lock->host.isEmpty() &&
            lock->firstPid == QCoreApplication::applicationPid() &&
            job->state() == AcquireJob::State::held && job->request().path == path) {
            QPointer<AcquireJob> guarded = job;
            menu->addAction(tr("Release (held by this Lock Inspector)"), this, [guarded] {
                if (guarded)
                    guarded->release();
            });
            break;
        }
    }
    menu->addSeparator();
    menu->addAction(tr("Open containing folder"), this,
                    [path] { DesktopActions::showInFileManager(path); })
        ->setEnabled(lock->pathKnown);
    menu->addAction(tr("Watch this file"), this,
                    [this, path, host = lock->host] { emit watchRequested(path, host); })
        ->setEnabled(lock->pathKnown);
    menu->addAction(tr("Try to acquire it…"), this, [this, path] { emit acquireRequested(path); })
        ->setEnabled(lock->pathKnown);
    menu->popup(m_view->viewport()->mapToGlobal(position));
}

void FileLocksPage::confirmSignal(const QString& lockId, qint64 pid, inspect::LockSignal signal) {
    FileLockModel* model = m_session->fileLocks();
    const FileLockRow* lock = model->lockAt(model->indexOfLock(lockId));
    if (!lock)
        return; // released since the menu opened: nothing to act on
    const ProcessRow* process = nullptr;
    bool holds = false;
    for (const HolderRow& holder : lock->holders)
        if (holder.process->pid == pid) {
            process = holder.process.get();
            holds = true;
        }
    for (const WaiterRow& waiter : lock->waiters)
        if (!process && waiter.process->pid == pid)
            process = waiter.process.get();
    if (!process)
        return;
    auto* dialog = new LockSignalDialog(*lock, *process, holds, signal,
                                        m_session->redis()->auditLogPath(), this);
    // A remote host's holder is signalled there, by its lockctl (the dialog refuses without).
    if (!lock->host.isEmpty())
        if (HostConnection* host = m_session->remote()->host(lock->host))
            dialog->setRemoteCommand(host->lockctlCommand(dialog->remoteArguments()));
    connect(dialog, &LockSignalDialog::signalled, m_session, &InspectorSession::logLockSignal);
    dialog->open();
}

void FileLocksPage::followDetailsLink(const QUrl& link) {
    // Links of LockDetailsView: "action:terminate:PID", "copy:pid:PID", "open:folder:", ...
    const QStringList parts = link.toString().split(u':');
    if (parts.size() < 3)
        return;
    const QModelIndex current = m_proxy->mapToSource(m_view->currentIndex());
    const FileLockRow* lock = m_session->fileLocks()->lockAt(current);
    if (!lock)
        return;
    const qint64 pid = parts[2].toLongLong();
    if (parts[0] == u"action") {
        const inspect::LockSignal signal = parts[1] == u"continue" ? inspect::LockSignal::cont
                                           : parts[1] == u"kill"   ? inspect::LockSignal::kill
                                                                   : inspect::LockSignal::terminate;
        confirmSignal(lock->id, pid, signal);
    } else if (parts[0] == u"copy" && parts[1] == u"pid") {
        DesktopActions::copyText(QString::number(pid));
    } else if (parts[0] == u"copy" && parts[1] == u"cmdline") {
        for (const HolderRow& holder : lock->holders)
            if (holder.process->pid == pid)
                DesktopActions::copyText(holder.process->commandLine);
    } else if (parts[0] == u"copy" && parts[1] == u"path") {
        DesktopActions::copyText(lock->path);
    } else if (parts[0] == u"open" && lock->pathKnown) {
        DesktopActions::showInFileManager(lock->path);
    }
}

void FileLocksPage::updateEmptyHint() {
    // An empty table says why: nothing is locked, or the filter hides everything.
    const int shown = m_proxy->rowCount();
    const int all = m_session->fileLocks()->rowCount();
    if (shown > 0) {
        m_emptyHint->hide();
        return;
    }
    m_emptyHint->setText(all == 0 ? tr("No file locks right now.")
                                  : tr("0 of %1 shown \u2014 <a href='clear'>clear filter</a>")
                                        .arg(TextFormat::count(all)));
    m_emptyHint->adjustSize();
    const QRect area = m_view->viewport()->rect();
    m_emptyHint->move(area.center() - QPoint(m_emptyHint->width() / 2, m_emptyHint->height()));
    m_emptyHint->show();
}

bool FileLocksPage::selectLock(const QString& lockId) {
    FileLockModel* model = m_session->fileLocks();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, 0);
        const FileLockRow* lock = model->lockAt(index);
        if (model->waiterAt(index) || !lock || lock->id != lockId)
            continue;
        QModelIndex proxyIndex = m_proxy->mapFromSource(index);
        if (!proxyIndex.isValid()) {
            clearFilter();
            proxyIndex = m_proxy->mapFromSource(index);
        }
        if (!proxyIndex.isValid())
            return false;
        m_view->setCurrentIndex(proxyIndex);
        m_view->scrollTo(proxyIndex);
        m_view->setFocus();
        return true;
    }
    return false;
}

void FileLocksPage::clearFilter() {
    m_filter->clear();
    m_onlyAttention->setChecked(false);
    m_proxy->setFilterText(QString());
}

QByteArray FileLocksPage::saveState() const {
    QByteArray state;
    QDataStream stream(&state, QIODevice::WriteOnly);
    stream << m_splitter->saveState() << m_sideSplitter->saveState()
           << m_view->horizontalHeader()->saveState() << m_onlyAttention->isChecked();
    return state;
}

void FileLocksPage::restoreState(const QByteArray& state) {
    QDataStream stream(state);
    QByteArray splitter, side, header;
    bool onlyAttention = false;
    stream >> splitter >> side >> header >> onlyAttention;
    if (stream.status() != QDataStream::Ok)
        return;
    m_splitter->restoreState(splitter);
    m_sideSplitter->restoreState(side);
    m_view->horizontalHeader()->restoreState(header);
    m_onlyAttention->setChecked(onlyAttention);
}
