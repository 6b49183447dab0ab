#include "widgets/watchespage.h"

#include "widgets/addwatchdialog.h"
#include "models/hostlistmodel.h"
#include "models/watchmodel.h"
#include "models/watchproxymodel.h"
#include "session/desktopactions.h"
#include "session/inspectorsession.h"
#include "session/remotehub.h"
#include "widgets/hostfilterbox.h"
#include "widgets/slotcellsdelegate.h"
#include "workers/hostconnection.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

WatchesPage::WatchesPage(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_proxy(new WatchProxyModel(this)),
      m_view(new QTreeView(this)), m_remove(new QPushButton(tr("Remove"), this)) {
    auto* add = new QPushButton(tr("Add watch…"), this);
    add->setToolTip(tr("Watch a file, a lock directory, a glob or a bounded semaphore (Ctrl+W)"));
    auto* hint =
        new QLabel(tr("Watched files and semaphore slots are shown even while free."), this);
    hint->setForegroundRole(QPalette::PlaceholderText);
    auto* bar = new QHBoxLayout;
    bar->addWidget(add);
    bar->addWidget(m_remove);
    bar->addSpacing(12);
    bar->addWidget(hint, 1);
    // Remote hosts (issue 13): a host filter, and the Host column while there are any.
    HostListModel* hosts = session->remote()->model();
    auto* hostFilter = new HostFilterBox(hosts, this);
    hostFilter->setToolTip(tr("Show the watches of one host only"));
    bar->addWidget(hostFilter);
    connect(hostFilter, &HostFilterBox::hostChanged, m_proxy, &WatchProxyModel::setHostFilter);

    m_proxy->setSourceModel(session->watches());
    m_view->setModel(m_proxy);
    m_view->setAlternatingRowColors(true);
    m_view->setAllColumnsShowFocus(true);
    m_view->setUniformRowHeights(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setItemDelegateForColumn(
        WatchModel::SlotsColumn,
        new SlotCellsDelegate(WatchModel::SlotHealthsRole, WatchModel::SlotLabelsRole, m_view));
    QHeaderView* header = m_view->header();
    header->setStretchLastSection(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    const int widths[] = {420, 100, 210, 200, 260, 90, 90, 160};
    static_assert(std::size(widths) == WatchModel::ColumnCount);
    for (int column = 0; column < WatchModel::ColumnCount; ++column)
        header->resizeSection(column, widths[column]);
    header->setSectionResizeMode(WatchModel::NameColumn, QHeaderView::Stretch);
    updateHostColumn();
    connect(hosts, &QAbstractItemModel::rowsInserted, this, &WatchesPage::updateHostColumn);
    connect(hosts, &QAbstractItemModel::rowsRemoved, this, &WatchesPage::updateHostColumn);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    connect(add, &QPushButton::clicked, this, [this] { addWatch(); });
    connect(m_remove, &QPushButton::clicked, this, &WatchesPage::removeSelected);
    auto* remove = new QAction(tr("Remove watch"), m_view);
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetShortcut);
    m_view->addAction(remove);
    connect(remove, &QAction::triggered, this, &WatchesPage::removeSelected);
    connect(m_view, &QTreeView::customContextMenuRequested, this, &WatchesPage::showContextMenu);
    // New watches open up to show their files or slots (also those the host filter shows
    // again).
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex& parent, int first, int last) {
                if (parent.isValid())
                    return;
                for (int row = first; row <= last; ++row)
                    m_view->expand(m_proxy->index(row, 0));
            });
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, m_view->viewport(), qOverload<>(&QWidget::update));
    m_tick.start();
}

void WatchesPage::addWatch(const QString& path, const QString& host) {
    auto* dialog = new AddWatchDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    // Every host, "This computer (administrator)" too: its elevated agent evaluates watches
    // as a remote host's does, and sees what this user may not (its files are this computer's).
    QStringList destinations;
    QStringList onThisComputer;
    for (const HostConnection* connection : m_session->remote()->hosts()) {
        destinations << connection->destination();
        if (connection->isLocal())
            onThisComputer << connection->destination();
    }
    dialog->setHosts(destinations, onThisComputer);
    if (!host.isEmpty())
        dialog->setHost(host);
    else if (m_proxy->hostFilter())
        dialog->setHost(*m_proxy->hostFilter()); // the host the operator is looking at
    if (!path.isEmpty())
        dialog->setPath(path);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { m_session->addWatch(dialog->watch(), dialog->host()); });
    dialog->open();
}

void WatchesPage::removeSelected() {
    const QModelIndex index = m_view->currentIndex();
    const QString key = index.data(WatchModel::KeyRole).toString();
    if (!key.isEmpty())
        m_session->removeWatch(key);
}

void WatchesPage::showContextMenu(const QPoint& position) {
    const QModelIndex index = m_view->indexAt(position);
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction(tr("Add watch…"), this, [this] { addWatch(); });
    if (index.isValid()) {
        const QString key = index.data(WatchModel::KeyRole).toString();
        const QString path = index.data(WatchModel::PathRole).toString();
        const qint64 pid = index.data(WatchModel::PidRole).toLongLong();
        const bool remote = !index.data(WatchModel::HostRole).toString().isEmpty();
        if (!path.isEmpty()) {
            menu->addAction(tr("Copy path"), this, [path] { DesktopActions::copyText(path); });
            menu->addAction(tr("Copy holder PID"), this,
                            [pid] { DesktopActions::copyText(QString::number(pid)); })
                ->setEnabled(pid > 0);
            // The file manager shows this computer's files, not another host's.
            if (!remote)
                menu->addAction(tr("Show in file manager"), this,
                                [path] { DesktopActions::showInFileManager(path); });
        }
        // Acquire: a slot of a semaphore, or the file itself.
        for (const HostWatch& entry : m_session->watchList()) {
            // Taking a slot or a file is done here, on this computer.
            if (entry.key() != key || !entry.host.isEmpty())
                continue;
            const inspect::Watch& watch = entry.watch;
            if (watch.type == inspect::Watch::Type::semaphore) {
                const QString directory = QString::fromStdString(watch.path);
                const QString name = QString::fromStdString(watch.name);
                const int maximum = static_cast<int>(watch.maximum);
                menu->addAction(tr("Take a slot…"), this, [this, directory, name, maximum] {
                    emit acquireSemaphoreRequested(directory, name, maximum);
                });
            } else if (!path.isEmpty()) {
                menu->addAction(tr("Try to acquire it…"), this,
                                [this, path] { emit acquireFileRequested(path); });
            }
        }
        menu->addSeparator();
        menu->addAction(tr("Remove watch"), this, [this, key] { m_session->removeWatch(key); });
    }
    menu->popup(m_view->viewport()->mapToGlobal(position));
}

QByteArray WatchesPage::saveState() const {
    return m_view->header()->saveState();
}

void WatchesPage::restoreState(const QByteArray& state) {
    m_view->header()->restoreState(state);
    // A layout saved while there were no remote hosts (or before the column existed) must not
    // decide whether the Host column shows now.
    updateHostColumn();
}

void WatchesPage::updateHostColumn() {
    m_view->header()->setSectionHidden(WatchModel::HostColumn,
                                       m_session->remote()->model()->rowCount() <= 1);
}
