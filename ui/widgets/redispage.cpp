#include "widgets/redispage.h"

#include "session/desktopactions.h"
#include "widgets/forcereleasedialog.h"
#include "models/healthstyle.h"
#include "session/inspectorsession.h"
#include "widgets/redisconnectiondialog.h"
#include "models/redisconnectionmodel.h"
#include "session/redishub.h"
#include "models/redislockmodel.h"
#include "models/redislockproxymodel.h"
#include "workers/redismonitor.h"
#include "session/textformat.h"
#include "widgets/ttlbardelegate.h"

#include <QAction>
#include <QCheckBox>
#include <QDataStream>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIODevice>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace {

void configureTable(QTableView* view) {
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->setWordWrap(false);
    view->setContextMenuPolicy(Qt::CustomContextMenu);
}

} // namespace

RedisPage::RedisPage(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_connections(new QTableView(this)),
      m_edit(new QPushButton(tr("Edit…"), this)), m_remove(new QPushButton(tr("Remove"), this)),
      m_progress(new QProgressBar(this)), m_filter(new QLineEdit(this)),
      m_onlyProblems(new QCheckBox(tr("Needs attention only"), this)),
      m_locks(new QTableView(this)), m_proxy(new RedisLockProxyModel(this)),
      m_details(new QTextBrowser(this)),
      m_forceRelease(new QPushButton(tr("Force release…"), this)), m_emptyHint(new QLabel(this)),
      m_splitter(new QSplitter(Qt::Horizontal, this)),
      m_rightSplitter(new QSplitter(Qt::Vertical, this)) {
    m_splitter->addWidget(buildConnectionsPane());
    m_splitter->addWidget(buildLocksPane());
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({430, 1100}); // room for the connections' Via column
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_splitter);
    connectSignals();
    startTtlTick();
    updateProgress();
    updateEmptyHint();
    updateDetails();
}

QWidget* RedisPage::buildConnectionsPane() {
    auto* pane = new QWidget(this);
    m_add = new QPushButton(tr("Add…"), this);
    m_scan = new QPushButton(tr("Scan now"), this);
    m_cancel = new QPushButton(tr("Cancel scan"), this);
    m_connections->setModel(m_session->redis()->connections());
    configureTable(m_connections);
    m_connections->setColumnHidden(RedisConnectionModel::AddressColumn, true);
    m_connections->horizontalHeader()->setSectionResizeMode(RedisConnectionModel::StateColumn,
                                                            QHeaderView::Stretch);
    m_connections->setColumnWidth(RedisConnectionModel::NameColumn, 130);
    m_connections->setColumnWidth(RedisConnectionModel::ViaColumn, 190);
    m_connections->setColumnWidth(RedisConnectionModel::LocksColumn, 56);
    m_progress->setTextVisible(true);
    m_progress->setVisible(false);
    auto* connectionButtons = new QHBoxLayout;
    connectionButtons->addWidget(m_add);
    connectionButtons->addWidget(m_edit);
    connectionButtons->addWidget(m_remove);
    auto* scanButtons = new QHBoxLayout;
    scanButtons->addWidget(m_scan);
    scanButtons->addWidget(m_cancel);
    auto* layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("<b>Connections</b>"), this));
    layout->addWidget(m_connections, 1);
    layout->addWidget(m_progress);
    layout->addLayout(connectionButtons);
    layout->addLayout(scanButtons);
    return pane;
}

QWidget* RedisPage::buildLocksPane() {
    auto* pane = new QWidget(this);
    m_filter->setPlaceholderText(tr("Filter by key, owner, convention, server…"));
    m_filter->setClearButtonEnabled(true);
    auto* filterBar = new QHBoxLayout;
    filterBar->addWidget(m_filter, 1);
    filterBar->addWidget(m_onlyProblems);
    filterBar->addWidget(m_forceRelease);
    m_forceRelease->setEnabled(false);
    buildLocksTable();
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setForegroundRole(QPalette::PlaceholderText);
    m_emptyHint->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_details->setPlaceholderText(
        tr("Select a lock to see its token, holder, evidence and warnings."));
    m_rightSplitter->addWidget(m_locks);
    m_rightSplitter->addWidget(m_details);
    m_rightSplitter->setStretchFactor(0, 3);
    m_rightSplitter->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(filterBar);
    layout->addWidget(m_emptyHint);
    layout->addWidget(m_rightSplitter, 1);
    return pane;
}

void RedisPage::buildLocksTable() {
    m_proxy->setSourceModel(m_session->redis()->locks());
    m_proxy->setSortRole(RedisLockModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setDynamicSortFilter(true);
    m_locks->setModel(m_proxy);
    configureTable(m_locks);
    m_locks->setSortingEnabled(true);
    m_locks->sortByColumn(RedisLockModel::StatusColumn, Qt::DescendingOrder);
    // Cut at the end, never in the middle: a client id or pid must not lose its middle
    // digits ("client 1…1"); the whole text is in the tooltip and the details.
    m_locks->setTextElideMode(Qt::ElideRight);
    m_locks->setItemDelegateForColumn(
        RedisLockModel::TtlColumn,
        new TtlBarDelegate(RedisLockModel::RemainingRole, RedisLockModel::TotalTtlRole, m_locks));
    // Status, key, TTL and waiters fit in the locks pane of a 1024 px window.
    // (Status fits "stuck-prone", TTL "none (never expires)".)
    const int widths[] = {110, 180, 160, 64, 260, 170, 110, 130, 200};
    static_assert(std::size(widths) == RedisLockModel::ColumnCount);
    for (int column = 0; column < RedisLockModel::ColumnCount; ++column)
        m_locks->setColumnWidth(column, widths[column]);
    QHeaderView* header = m_locks->horizontalHeader();
    header->setStretchLastSection(true);
    header->setSectionsMovable(true);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(header, &QHeaderView::customContextMenuRequested, this, &RedisPage::showColumnMenu);
    // The Node column only on a Redis Cluster: shown when cluster rows arrive, hidden when
    // they go; in between, the operator's choice in the header menu stands.
    header->setSectionHidden(RedisLockModel::NodeColumn, true);
    RedisLockModel* locks = m_session->redis()->locks();
    connect(locks, &RedisLockModel::mergeFinished, this, [locks, header, shown = false]() mutable {
        if (locks->hasNodes() != shown) {
            shown = !shown;
            header->setSectionHidden(RedisLockModel::NodeColumn, !shown);
        }
    });
}

void RedisPage::connectSignals() {
    RedisHub* hub = m_session->redis();
    const auto selectedConnection = [this] {
        return m_connections->currentIndex().data(RedisConnectionModel::IdRole).toString();
    };
    connect(m_add, &QPushButton::clicked, this, [this] { editConnection(); });
    connect(m_edit, &QPushButton::clicked, this,
            [this, selectedConnection] { editConnection(selectedConnection()); });
    connect(m_connections, &QTableView::doubleClicked, this,
            [this, selectedConnection] { editConnection(selectedConnection()); });
    connect(m_remove, &QPushButton::clicked, this, [this, selectedConnection] {
        m_session->redis()->removeConnection(selectedConnection());
    });
    connect(m_scan, &QPushButton::clicked, hub, &RedisHub::scanAll);
    connect(m_cancel, &QPushButton::clicked, hub, &RedisHub::cancelAll);
    connect(m_filter, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_onlyProblems, &QCheckBox::toggled, m_proxy, &RedisLockProxyModel::setOnlyProblems);
    connect(m_locks->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RedisPage::updateDetails);
    connect(m_proxy, &QAbstractItemModel::dataChanged, this, &RedisPage::updateDetails);
    connect(m_locks, &QTableView::customContextMenuRequested, this, &RedisPage::showLockMenu);
    // As on the file-lock page: the worst lock is explained without a click.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        if (!m_locks->currentIndex().isValid() && m_proxy->rowCount() > 0)
            m_locks->setCurrentIndex(m_proxy->index(0, 0));
    });
    // The hint under the filter says why the table is empty (none, or all filtered out).
    for (const QAbstractItemModel* model :
         {static_cast<QAbstractItemModel*>(m_proxy), m_proxy->sourceModel()}) {
        connect(model, &QAbstractItemModel::rowsInserted, this, &RedisPage::updateEmptyHint);
        connect(model, &QAbstractItemModel::rowsRemoved, this, &RedisPage::updateEmptyHint);
        connect(model, &QAbstractItemModel::modelReset, this, &RedisPage::updateEmptyHint);
        connect(model, &QAbstractItemModel::layoutChanged, this, &RedisPage::updateEmptyHint);
    }
    connect(m_emptyHint, &QLabel::linkActivated, this, [this] {
        m_filter->clear();
        m_onlyProblems->setChecked(false);
    });
    connect(m_locks, &QTableView::activated, this, &RedisPage::updateDetails);
    connect(m_forceRelease, &QPushButton::clicked, this, &RedisPage::forceReleaseSelected);
    connect(hub->connections(), &QAbstractItemModel::dataChanged, this, &RedisPage::updateProgress);
    connect(hub, &RedisHub::connectionsChanged, this, &RedisPage::updateProgress);
    connect(hub, &RedisHub::connectionsChanged, this, &RedisPage::updateEmptyHint);
    // A connection marked (or unmarked) read-only changes what the selected lock allows.
    connect(hub, &RedisHub::connectionsChanged, this, &RedisPage::updateDetails);
}

void RedisPage::startTtlTick() {
    // The TTL bars count down between scans.
    m_tick.setInterval(250);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        const int x = m_locks->columnViewportPosition(RedisLockModel::TtlColumn);
        if (x >= 0 && m_proxy->rowCount() > 0)
            m_locks->viewport()->update(x, 0, m_locks->columnWidth(RedisLockModel::TtlColumn),
                                        m_locks->viewport()->height());
    });
    m_tick.start();
}

void RedisPage::showColumnMenu(const QPoint& position) {
    // Columns can be hidden and shown again from the header's menu; the header's state
    // (saveState) keeps them hidden across restarts. popup(), not exec(): no nested event
    // loop while scans keep landing.
    QHeaderView* header = m_locks->horizontalHeader();
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    for (int column = 0; column < RedisLockModel::ColumnCount; ++column) {
        QAction* action = menu->addAction(m_proxy->headerData(column, Qt::Horizontal).toString());
        action->setCheckable(true);
        action->setChecked(!header->isSectionHidden(column));
        action->setEnabled(column != RedisLockModel::KeyColumn);
        connect(action, &QAction::toggled, header,
                [header, column](bool shown) { header->setSectionHidden(column, !shown); });
    }
    menu->popup(header->mapToGlobal(position));
}

void RedisPage::updateEmptyHint() {
    RedisHub* hub = m_session->redis();
    const int total = m_proxy->sourceModel()->rowCount();
    const int shown = m_proxy->rowCount();
    QString text;
    if (hub->configs().isEmpty())
        text = tr("No Redis connection yet. Add one on the left to see the locks on a "
                  "server: leases (redis-py, Redlock, redsync, python-redis-lock, "
                  "Redisson, portalocker) and portalocker channel locks.");
    else if (total == 0 && hub->configs().size() == 1)
        text = tr("No Redis locks on the connected server right now.");
    else if (total == 0)
        text =
            tr("No Redis locks on the %1 connected servers right now.").arg(hub->configs().size());
    else if (shown == 0)
        text = tr("0 of %1 shown — <a href=\"clear\">clear the filter</a>")
                   .arg(total == 1 ? tr("1 lock") : tr("%1 locks").arg(total));
    m_emptyHint->setText(text);
    m_emptyHint->setVisible(!text.isEmpty());
}

void RedisPage::focusFilter() {
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

RedisConnectionDialog* RedisPage::editConnection(const QString& connectionId) {
    auto* dialog = new RedisConnectionDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (RedisMonitor* monitor = m_session->redis()->monitor(connectionId))
        dialog->setConfig(monitor->config());
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const RedisConnectionConfig config = dialog->config();
        if (config.id.isEmpty())
            m_session->redis()->addConnection(config);
        else
            m_session->redis()->updateConnection(config);
    });
    dialog->open();
    return dialog;
}

const RedisLockRow* RedisPage::selectedLock() const {
    return m_session->redis()->locks()->rowAt(m_proxy->mapToSource(m_locks->currentIndex()));
}

ForceReleaseDialog* RedisPage::forceReleaseSelected() {
    const RedisLockRow* row = selectedLock();
    RedisMonitor* monitor = row ? m_session->redis()->monitor(row->connectionId) : nullptr;
    if (!row || !monitor || !readOnlyReason(row).isEmpty())
        return nullptr;
    RedisLockRow shown = *row;
    shown.connectionName = m_session->redis()->locks()->connectionName(*row); // as called now
    auto* dialog = new ForceReleaseDialog(shown, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ForceReleaseDialog::releaseConfirmed, this,
            [this, dialog](const RedisLockRow& confirmed) {
                dialog->follow(m_session->redis()->forceRelease(confirmed));
            });
    dialog->open();
    return dialog;
}

void RedisPage::updateProgress() {
    RedisHub* hub = m_session->redis();
    qint64 keys = 0;
    qint64 lastTotals = 0; // keys of the scanning connections' previous complete scans
    bool totalsKnown = true;
    int scanning = 0;
    for (const RedisConnectionConfig& config : hub->configs()) {
        RedisMonitor* monitor = hub->monitor(config.id);
        if (monitor && monitor->isScanning()) {
            ++scanning;
            keys += monitor->keysScanned();
            lastTotals += monitor->lastKeysTotal();
            totalsKnown = totalsKnown && monitor->lastKeysTotal() > 0;
        }
    }
    const qint64 expected = totalsKnown ? lastTotals : 0;
    m_progress->setVisible(scanning > 0);
    // A busy bar shows no text: with no earlier scan to go by, the connection's state column
    // counts the keys; after one, the bar measures this scan against it.
    const qint64 scale = expected > 1000000 ? 1000 : 1; // QProgressBar counts in int
    m_progress->setRange(0, static_cast<int>(expected / scale));
    m_progress->setValue(static_cast<int>(std::min(keys, expected) / scale));
    m_progress->setFormat(expected > 0
                              ? tr("scanning: %1 of ~%2 keys")
                                    .arg(TextFormat::count(keys), TextFormat::count(expected))
                              : tr("scanning: %1 keys").arg(TextFormat::count(keys)));
    const bool any = !hub->configs().isEmpty();
    m_edit->setEnabled(any);
    m_remove->setEnabled(any);
}

QString RedisPage::readOnlyReason(const RedisLockRow* row) const {
    const RedisMonitor* monitor = row ? m_session->redis()->monitor(row->connectionId) : nullptr;
    if (!monitor || !monitor->config().readOnly)
        return {};
    return tr("The connection \"%1\" is read-only: it never releases a lock.")
        .arg(m_session->redis()->locks()->connectionName(*row));
}

void RedisPage::updateDetails() {
    const RedisLockRow* row = selectedLock();
    const QString readOnly = readOnlyReason(row);
    m_forceRelease->setEnabled(row && row->releasable && readOnly.isEmpty());
    m_forceRelease->setToolTip(readOnly);
    if (!row) {
        m_details->clear();
        return;
    }
    QString html = u"<b style='font-size:large'>"_s + row->key.toHtmlEscaped() + u"</b> &nbsp; "_s +
                   u"<span style='color:%1'><b>%2</b></span> "_s.arg(
                       HealthStyle::accent(row->health).name(), RedisLockModel::statusLabel(*row)) +
                   row->healthReason.toHtmlEscaped() + u"<table>"_s;
    const auto line = [&html](const QString& label, const QString& value) {
        html += u"<tr><td style='color:gray;padding-right:8px'>"_s + label + u"</td><td>"_s +
                value + u"</td></tr>"_s;
    };
    line(tr("Server"), m_session->redis()->locks()->connectionName(*row).toHtmlEscaped());
    if (!row->node.isEmpty())
        line(tr("Node"), tr("%1 (cluster master)").arg(row->node.toHtmlEscaped()));
    line(tr("Convention"), row->convention.toHtmlEscaped() + u" ("_s + row->confidence +
                               u") &mdash; "_s + row->evidence.toHtmlEscaped());
    line(tr("Type"), row->type.toHtmlEscaped());
    if (!row->token.isEmpty())
        line(tr("Token"), u"<code>"_s + row->token.toHtmlEscaped() + u"</code>"_s);
    line(tr("Owner"), row->owner.toHtmlEscaped());
    if (!row->holders.isEmpty())
        line(tr("Holders"), row->holders.toHtmlEscaped());
    if (!row->channelWaiters.isEmpty())
        line(tr("Waiting"), row->channelWaiters.toHtmlEscaped());
    if (row->record) {
        for (const auto& client : row->record->holder_clients)
            line(tr("Holder's connection"),
                 tr("client %1 %2 '%3'")
                     .arg(QString::number(client.id), TextFormat::fromStd(client.address),
                          TextFormat::fromStd(client.name))
                     .toHtmlEscaped());
        if (!row->record->holder_note.empty())
            line(tr("Holder"), TextFormat::fromStd(row->record->holder_note).toHtmlEscaped());
    }
    if (row->fencing >= 0)
        line(tr("Fencing"), QString::number(row->fencing));
    if (row->firstSeenMs >= 0)
        line(tr("Seen since"), TextFormat::clockTime(row->firstSeenMs));
    for (const QString& warning : row->warnings)
        line(tr("Warning"), u"<b>"_s + warning.toHtmlEscaped() + u"</b>"_s);
    if (!readOnly.isEmpty())
        line(tr("Release"), readOnly.toHtmlEscaped());
    html += u"</table>"_s;
    m_details->setHtml(html);
}

void RedisPage::showLockMenu(const QPoint& position) {
    const QModelIndex index = m_locks->indexAt(position);
    const RedisLockRow* row = m_session->redis()->locks()->rowAt(m_proxy->mapToSource(index));
    if (!row)
        return;
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    const QString key = row->key;
    const QString token = row->token;
    menu->addAction(tr("Copy key"), this, [key] { DesktopActions::copyText(key); });
    menu->addAction(tr("Copy token"), this, [token] { DesktopActions::copyText(token); })
        ->setEnabled(!token.isEmpty());
    menu->addSeparator();
    const QString readOnly = readOnlyReason(row);
    QAction* release = menu->addAction(
        readOnly.isEmpty() ? tr("Force release…") : tr("Force release… (read-only connection)"),
        this, &RedisPage::forceReleaseSelected);
    release->setEnabled(row->releasable && readOnly.isEmpty());
    menu->popup(m_locks->viewport()->mapToGlobal(position));
}

QByteArray RedisPage::saveState() const {
    QByteArray state;
    QDataStream stream(&state, QIODevice::WriteOnly);
    stream << m_splitter->saveState() << m_rightSplitter->saveState()
           << m_locks->horizontalHeader()->saveState();
    return state;
}

void RedisPage::restoreState(const QByteArray& state) {
    QDataStream stream(state);
    QByteArray splitter, right, header;
    stream >> splitter >> right >> header;
    if (stream.status() != QDataStream::Ok)
        return;
    m_splitter->restoreState(splitter);
    m_rightSplitter->restoreState(right);
    m_locks->horizontalHeader()->restoreState(header);
}
