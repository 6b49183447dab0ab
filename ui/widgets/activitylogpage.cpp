#include "widgets/activitylogpage.h"

#include "models/eventlogexporter.h"
#include "models/eventlogmodel.h"
#include "models/eventlogproxymodel.h"
#include "models/hostlistmodel.h"
#include "models/redisconnectionmodel.h"
#include "models/redisconnectionnames.h"
#include "session/inspectorsession.h"
#include "session/redishub.h"
#include "session/remotehub.h"
#include "widgets/hostfilterbox.h"

#include <QCheckBox>
#include <QDataStream>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollBar>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

ActivityLogPage::ActivityLogPage(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_proxy(new EventLogProxyModel(this)),
      m_filter(new QLineEdit(this)), m_follow(new QCheckBox(tr("Follow"), this)),
      m_count(new QLabel(this)), m_view(new QTableView(this)) {
    m_proxy->setSourceModel(session->eventLog());
    m_filter->setPlaceholderText(tr("Filter by path, key, pid, command…"));
    m_filter->setClearButtonEnabled(true);
    m_follow->setChecked(true);
    m_follow->setToolTip(tr("Keep the newest event in view"));

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_filter, 2);
    // Remote hosts (issue 13) and Redis connections: a host filter, and the Host column while
    // there are any.
    auto* hostFilter = new HostFilterBox(session->remote()->model(), this);
    hostFilter->setRedisConnections(session->redis()->connections());
    hostFilter->setToolTip(tr("Show the events of one host only (and export only those)"));
    bar->addWidget(hostFilter);
    connect(hostFilter, &HostFilterBox::hostChanged, this,
            [this](const std::optional<QString>& host) {
                m_proxy->setHostFilter(host);
                updateCount();
            });
    const QList<std::pair<EventRow::Kind, QString>> kinds = {
        {EventRow::Kind::acquired, tr("Acquired")},
        {EventRow::Kind::released, tr("Released")},
        {EventRow::Kind::waitStarted, tr("Wait started")},
        {EventRow::Kind::waitEnded, tr("Wait ended")},
        {EventRow::Kind::expired, tr("Expired")},
        {EventRow::Kind::forceReleased, tr("Forced")},
        {EventRow::Kind::operatorAction, tr("Operator")}};
    // Check boxes, not flat tool buttons: whether a category is shown must be readable at a
    // glance (a tinted button says little), and the count beside them names what is hidden.
    for (const auto& [kind, label] : kinds) {
        auto* toggle = new QCheckBox(label, this);
        toggle->setObjectName(u"kindToggle:"_s + EventLogModel::kindLabel(kind));
        toggle->setChecked(m_proxy->isKindVisible(kind));
        toggle->setToolTip(tr("Shown when checked; unchecked, these events are hidden (and left "
                              "out of an export)"));
        connect(toggle, &QCheckBox::toggled, this, [this, kind = kind](bool shown) {
            m_proxy->setKindVisible(kind, shown);
            updateCount();
        });
        bar->addWidget(toggle);
    }
    bar->addStretch(1);
    bar->addWidget(m_count);
    bar->addWidget(m_follow);
    auto* exportButton = new QPushButton(tr("Export…"), this);
    auto* clear = new QPushButton(tr("Clear"), this);
    bar->addWidget(exportButton);
    bar->addWidget(clear);

    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->setSortingEnabled(false);
    QHeaderView* header = m_view->horizontalHeader();
    const int widths[] = {100, 110, 130, 420, 70, 120, 110, 90, 300};
    static_assert(std::size(widths) == EventLogModel::ColumnCount);
    for (int column = 0; column < EventLogModel::ColumnCount; ++column)
        header->resizeSection(column, widths[column]);
    header->setStretchLastSection(true);
    showHostColumn();
    connect(session->remote()->model(), &QAbstractItemModel::rowsInserted, this,
            &ActivityLogPage::showHostColumn);
    connect(session->remote()->model(), &QAbstractItemModel::rowsRemoved, this,
            &ActivityLogPage::showHostColumn);
    connect(session->redis()->connections(), &QAbstractItemModel::rowsInserted, this,
            &ActivityLogPage::showHostColumn);
    connect(session->redis()->connections(), &QAbstractItemModel::rowsRemoved, this,
            &ActivityLogPage::showHostColumn);
    connect(session->redis()->names(), &RedisConnectionNames::renamed, this,
            &ActivityLogPage::showHostColumn);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_proxy->setFilterText(text);
        updateCount();
    });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &ActivityLogPage::rowsAdded);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &ActivityLogPage::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &ActivityLogPage::updateCount);
    connect(exportButton, &QPushButton::clicked, this, &ActivityLogPage::exportLog);
    connect(clear, &QPushButton::clicked, session->eventLog(), &EventLogModel::clear);
    // Scrolling up to read stops following; scrolling back to the end resumes it.
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        m_follow->setChecked(value >= m_view->verticalScrollBar()->maximum());
    });
    updateCount();
}

void ActivityLogPage::focusFilter() {
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

void ActivityLogPage::rowsAdded() {
    updateCount();
    if (m_follow->isChecked())
        m_view->scrollToBottom();
}

void ActivityLogPage::updateCount() {
    const int shown = m_proxy->rowCount();
    const int total = m_session->eventLog()->rowCount();
    QString text = shown == total ? (total == 1 ? tr("1 event") : tr("%1 events").arg(total))
                                  : tr("%1 of %2 events").arg(shown).arg(total);
    QStringList hidden;
    for (int kind = 0; kind <= static_cast<int>(EventRow::Kind::problem); ++kind)
        if (!m_proxy->isKindVisible(static_cast<EventRow::Kind>(kind)))
            hidden << EventLogModel::kindLabel(static_cast<EventRow::Kind>(kind));
    if (!hidden.isEmpty())
        text += u" \u00b7 "_s + tr("hiding %1").arg(hidden.join(u", "_s));
    m_count->setText(text);
}

void ActivityLogPage::exportLog() {
    auto* dialog = new QFileDialog(this, tr("Export activity log"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setNameFilters({tr("CSV (*.csv)"), tr("JSON Lines (*.jsonl *.json)")});
    dialog->setDefaultSuffix(u"csv"_s);
    dialog->selectFile(u"lockscope-activity.csv"_s);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString& fileName) {
        QString error;
        if (!exportTo(fileName, &error))
            m_count->setText(tr("Export failed: %1").arg(error));
    });
    dialog->open();
}

bool ActivityLogPage::exportTo(const QString& fileName, QString* error) {
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    const qsizetype written = EventLogExporter::write(
        *m_proxy, file, EventLogExporter::formatForFileName(fileName), error);
    if (written < 0 || !file.commit()) {
        if (error && error->isEmpty())
            *error = file.errorString();
        return false;
    }
    // Say what the file holds (its first line says the same).
    const QString scope = EventLogExporter::scopeLine(*m_proxy).section(u"; "_s, 1);
    m_count->setText(
        tr("Exported %1 to %2 (%3)")
            .arg(written == 1 ? tr("1 event") : tr("%1 events").arg(written), fileName, scope));
    m_count->setToolTip(m_count->text());
    return true;
}

void ActivityLogPage::showHostColumn() {
    // As on the File locks page: "This computer" alone needs no Host column; with a remote
    // host or a Redis connection, it says where each event comes from. A removed connection's
    // events stay (named "NAME (removed)"): the column stays too.
    m_view->horizontalHeader()->setSectionHidden(
        EventLogModel::HostColumn, m_session->remote()->model()->rowCount() <= 1 &&
                                       m_session->redis()->connections()->rowCount() == 0 &&
                                       m_session->redis()->names()->isEmpty());
}

QByteArray ActivityLogPage::saveState() const {
    // The column count goes first: a header saved before a column was added (the Host column
    // sits in the middle) would give its widths to the wrong columns, so it is not restored.
    QByteArray state;
    QDataStream stream(&state, QIODevice::WriteOnly);
    stream << qint32(EventLogModel::ColumnCount) << m_view->horizontalHeader()->saveState();
    return state;
}

void ActivityLogPage::restoreState(const QByteArray& state) {
    QDataStream stream(state);
    qint32 columns = 0;
    QByteArray header;
    stream >> columns >> header;
    if (stream.status() != QDataStream::Ok || columns != EventLogModel::ColumnCount)
        return;
    m_view->horizontalHeader()->restoreState(header);
    showHostColumn(); // the hosts now, not when the state was saved
}
