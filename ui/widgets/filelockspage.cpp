#include "widgets/filelockspage.h"

#include "workers/acquirejob.h"
#include "models/deadlockmodel.h"
#include "session/desktopactions.h"
#include "models/filelockmodel.h"
#include "models/filelockproxymodel.h"
#include "models/healthstyle.h"
#include "models/heldlockmodel.h"
#include "session/inspectorsession.h"
#include "widgets/hostfilterbox.h"
#include "widgets/lockdetailsview.h"
#include "models/hostlistmodel.h"
#include "session/remotehub.h"

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

FileLocksPage::FileLocksPage(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_proxy(new FileLockProxyModel(this)),
      m_filter(new QLineEdit(this)),
      m_onlyAttention(new QCheckBox(tr("Needs attention only"), this)), m_summary(new QLabel(this)),
      m_view(new QTableView(this)), m_details(new LockDetailsView(this)),
      m_deadlockBox(new QGroupBox(this)), m_deadlocks(new QListView(this)),
      m_splitter(new QSplitter(Qt::Horizontal, this)),
      m_sideSplitter(new QSplitter(Qt::Vertical, this)) {
    m_proxy->setSourceModel(session->fileLocks());

    m_filter->setPlaceholderText(tr("Filter by path, pid, command, user, kind…  (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_onlyAttention->setToolTip(
        tr("Show only deadlocked, stopped-holder, stuck and contended locks"));
    m_summary->setTextFormat(Qt::RichText);
    auto* filterBar = new QHBoxLayout;
    filterBar->addWidget(m_filter, 3);
    filterBar->addWidget(m_onlyAttention);
    // Remote hosts (issue 13): a host filter, and the Host column while there are any.
    auto* hostFilter = new HostFilterBox(session->remote()->model(), this);
    filterBar->addWidget(hostFilter);
    connect(hostFilter, &HostFilterBox::hostChanged, m_proxy, &FileLockProxyModel::setHostFilter);
    filterBar->addStretch(1);
    filterBar->addWidget(m_summary);

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
    m_view->setTextElideMode(Qt::ElideMiddle);
    QHeaderView* header = m_view->horizontalHeader();
    header->setStretchLastSection(false);
    header->setSectionsMovable(true);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    const int widths[] = {112, 380, 58, 52, 96, 84, 120, 72, 78, 86, 64, 120};
    static_assert(std::size(widths) == FileLockModel::ColumnCount);
    for (int column = 0; column < FileLockModel::ColumnCount; ++column)
        header->resizeSection(column, widths[column]);
    auto showHostColumn = [header, hosts = session->remote()->model()] {
        header->setSectionHidden(FileLockModel::HostColumn, hosts->rowCount() <= 1);
    };
    showHostColumn();
    connect(session->remote()->model(), &QAbstractItemModel::rowsInserted, this, showHostColumn);
    connect(session->remote()->model(), &QAbstractItemModel::rowsRemoved, this, showHostColumn);
    header->setSectionResizeMode(FileLockModel::PathColumn, QHeaderView::Stretch);
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
                    connect(action, &QAction::toggled, header, [header, column](bool shown) {
                        header->setSectionHidden(column, !shown);
                    });
                }
                menu->popup(header->mapToGlobal(position));
            });

    m_deadlocks->setModel(session->deadlocks());
    m_deadlocks->setAlternatingRowColors(true);
    m_deadlocks->setWordWrap(true);
    m_deadlocks->setTextElideMode(Qt::ElideMiddle);
    auto* deadlockLayout = new QVBoxLayout(m_deadlockBox);
    deadlockLayout->setContentsMargins(4, 4, 4, 4);
    deadlockLayout->addWidget(m_deadlocks);

    m_sideSplitter->addWidget(m_details);
    m_sideSplitter->addWidget(m_deadlockBox);
    m_sideSplitter->setStretchFactor(0, 3);
    m_sideSplitter->setStretchFactor(1, 1);
    m_splitter->addWidget(m_view);
    m_splitter->addWidget(m_sideSplitter);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({1100, 420});

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);
    layout->addLayout(filterBar);
    layout->addWidget(m_splitter, 1);

    m_filterDelay.setSingleShot(true);
    m_filterDelay.setInterval(150); // typing in a 50,000-row table stays smooth
    connect(m_filter, &QLineEdit::textChanged, &m_filterDelay, qOverload<>(&QTimer::start));
    connect(&m_filterDelay, &QTimer::timeout, this,
            [this] { m_proxy->setFilterText(m_filter->text()); });
    connect(m_onlyAttention, &QCheckBox::toggled, m_proxy, &FileLockProxyModel::setOnlyAttention);
    connect(m_view, &QTableView::customContextMenuRequested, this, &FileLocksPage::showContextMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this] { updateDetails(); });
    connect(m_proxy, &QAbstractItemModel::dataChanged, this, [this] { updateDetails(); });
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, [this] { updateDetails(); });
    connect(session, &InspectorSession::refreshed, this, &FileLocksPage::updateSummary);
    connect(m_deadlocks, &QListView::activated, this, &FileLocksPage::selectDeadlock);
    connect(m_deadlocks, &QListView::clicked, this, &FileLocksPage::selectDeadlock);

    // A refresh of tens of thousands of rows lands in slices; repainting the table after each
    // slice would double the time on the GUI thread and show half-applied states. Freeze the
    // table while it lands (at most a second and a half), then show the result at once.
    m_thaw.setSingleShot(true);
    m_thaw.setInterval(1500);
    connect(&m_thaw, &QTimer::timeout, this,
            [this] { m_view->viewport()->setUpdatesEnabled(true); });
    connect(session->fileLocks(), &FileLockModel::mergeContinuing, this, [this] {
        m_view->viewport()->setUpdatesEnabled(false);
        m_thaw.start();
    });
    connect(session->fileLocks(), &FileLockModel::mergeFinished, this, [this] {
        m_thaw.stop();
        m_view->viewport()->setUpdatesEnabled(true);
    });

    // "Held for" ticks without the model changing: repaint, do not re-sort.
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        // Only the ticking column: a full repaint lays out the text of every visible cell.
        const int x = m_view->columnViewportPosition(FileLockModel::HeldForColumn);
        if (x >= 0)
            m_view->viewport()->update(x, 0, m_view->columnWidth(FileLockModel::HeldForColumn),
                                       m_view->viewport()->height());
        updateDetails(true);
    });
    m_tick.start();
    updateSummary();
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
    parts << tr("%1 locks, %2 holders, %3 waiting")
                 .arg(counts.locks)
                 .arg(counts.holders)
                 .arg(counts.waiters);
    m_summary->setText(parts.join(u" &nbsp;·&nbsp; "_s));

    const int deadlocks = m_session->deadlocks()->rowCount();
    m_deadlockBox->setTitle(deadlocks ? tr("Deadlocks (%1)").arg(deadlocks)
                                      : tr("Deadlocks: none"));
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
    // A lock this Lock Inspector holds (acquire panel) can be released from here too.
    HeldLockModel* held = m_session->heldLocks();
    for (int row = 0; row < held->rowCount(); ++row) {
        AcquireJob* job = held->jobAt(row);
        if (!waiter && lock->firstPid == QCoreApplication::applicationPid() &&
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
    menu->addAction(tr("Show in file manager"), this,
                    [path] { DesktopActions::showInFileManager(path); })
        ->setEnabled(lock->pathKnown);
    menu->addAction(tr("Watch this file"), this, [this, path] { emit watchRequested(path); })
        ->setEnabled(lock->pathKnown);
    menu->addAction(tr("Try to acquire it…"), this, [this, path] { emit acquireRequested(path); })
        ->setEnabled(lock->pathKnown);
    menu->popup(m_view->viewport()->mapToGlobal(position));
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
