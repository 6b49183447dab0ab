#include "widgets/timelinepage.h"

#include "session/inspectorsession.h"
#include "models/timelinemodel.h"
#include "session/redishub.h"
#include "session/remotehub.h"
#include "widgets/hostfilterbox.h"
#include "widgets/timelineview.h"

#include <QComboBox>
#include <QDataStream>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIODevice>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

TimelinePage::TimelinePage(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_window(new QComboBox(this)),
      m_filter(new QLineEdit(this)), m_chart(new TimelineView(this)),
      m_summary(new QTableView(this)), m_proxy(new QSortFilterProxyModel(this)),
      m_splitter(new QSplitter(Qt::Vertical, this)) {
    const QList<std::pair<QString, qint64>> windows = {{tr("last minute"), 60'000},
                                                       {tr("last 5 minutes"), 300'000},
                                                       {tr("last 10 minutes"), 600'000},
                                                       {tr("last 15 minutes"), 900'000},
                                                       {tr("last 30 minutes"), 1'800'000}};
    for (const auto& [label, milliseconds] : windows)
        m_window->addItem(label, milliseconds);
    const int current = m_window->findData(session->timelineWindow());
    m_window->setCurrentIndex(current >= 0 ? current : 1);
    auto* hint =
        new QLabel(tr("Blue: held. Amber: waited. Bars still running reach \"now\"."), this);
    hint->setForegroundRole(QPalette::PlaceholderText);
    m_filter->setPlaceholderText(tr("Filter by path, glob (*.lock), pid, command, host…"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(
        tr("Every word must match: a word with * ? [ is a glob on the lock's path (whole, or its "
           "last part); any other word a part of the path, the holder's or a waiter's pid and "
           "command, or the host."));
    auto* hostFilter = new HostFilterBox(session->remote()->model(), this);
    hostFilter->setRedisConnections(session->redis()->connections());
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Show"), this));
    bar->addWidget(m_window);
    bar->addWidget(m_filter, 2);
    bar->addWidget(hostFilter);
    bar->addSpacing(12);
    bar->addWidget(hint, 1);
    connect(m_filter, &QLineEdit::textChanged, session->timeline(), &TimelineModel::setFilterText);
    connect(hostFilter, &HostFilterBox::hostChanged, session->timeline(),
            &TimelineModel::setHostFilter);

    m_chart->setModel(session->timeline());
    m_proxy->setSourceModel(session->timeline());
    m_proxy->setSortRole(TimelineModel::SortRole);
    m_summary->setModel(m_proxy);
    m_summary->setSortingEnabled(true);
    m_summary->sortByColumn(TimelineModel::HoldMaxColumn, Qt::DescendingOrder);
    m_summary->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_summary->setSelectionMode(QAbstractItemView::SingleSelection);
    m_summary->setAlternatingRowColors(true);
    m_summary->verticalHeader()->hide();
    m_summary->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_summary->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_summary->setTextElideMode(Qt::ElideMiddle);
    m_summary->horizontalHeader()->setSectionResizeMode(TimelineModel::ResourceColumn,
                                                        QHeaderView::Stretch);
    for (int column = TimelineModel::HoldCountColumn; column < TimelineModel::ColumnCount; ++column)
        m_summary->setColumnWidth(column, 92);
    m_summary->setColumnWidth(TimelineModel::HolderColumn, 180);

    m_splitter->addWidget(m_chart);
    m_splitter->addWidget(m_summary);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(m_splitter, 1);

    connect(m_window, &QComboBox::currentIndexChanged, this,
            [this] { m_session->setTimelineWindow(m_window->currentData().toLongLong()); });
    // The chart and the table select the same lock.
    connect(m_chart, &TimelineView::laneClicked, this, [this](int row) {
        const QModelIndex index = m_proxy->mapFromSource(m_session->timeline()->index(row, 0));
        m_summary->selectRow(index.row());
        m_summary->scrollTo(index);
    });
    connect(m_summary->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                m_chart->setCurrentLane(m_proxy->mapToSource(current).row());
            });
}

QByteArray TimelinePage::saveState() const {
    QByteArray state;
    QDataStream stream(&state, QIODevice::WriteOnly);
    stream << m_splitter->saveState() << m_summary->horizontalHeader()->saveState();
    return state;
}

void TimelinePage::restoreState(const QByteArray& state) {
    QDataStream stream(state);
    QByteArray splitter, header;
    stream >> splitter >> header;
    if (stream.status() != QDataStream::Ok)
        return;
    m_splitter->restoreState(splitter);
    m_summary->horizontalHeader()->restoreState(header);
}
