#include "widgets/hostspage.h"

#include "models/hostlistmodel.h"
#include "session/inspectorsession.h"
#include "session/remotehub.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

HostsPage::HostsPage(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_view(new QTableView(this)),
      m_add(new QPushButton(tr("Add host…"), this)),
      m_remove(new QPushButton(tr("Remove host"), this)) {
    m_view->setModel(session->remote()->model());
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setColumnWidth(HostListModel::HostColumn, 220);
    m_view->setColumnWidth(HostListModel::StateColumn, 200);

    auto* hint = new QLabel(
        tr("Remote hosts are watched through their own <tt>lockctl</tt> over your ssh client "
           "(your ~/.ssh/config, keys and agent; no password prompt). Set "
           "LOCKSCOPE_SSH_COMMAND to use another ssh command line."),
        this);
    hint->setWordWrap(true);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addLayout(buttons);
    layout->addWidget(m_view, 1);

    connect(m_add, &QPushButton::clicked, this, &HostsPage::addHost);
    connect(m_remove, &QPushButton::clicked, this, &HostsPage::removeSelected);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &HostsPage::updateButtons);
    updateButtons();
}

void HostsPage::addHost() {
    auto* dialog = new QInputDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Add host"));
    dialog->setLabelText(tr("SSH destination (user@host, a Host alias, ssh://user@host:port):"));
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString& destination) {
        QString error;
        if (!m_session->remote()->addHost(destination, &error)) {
            auto* box = new QMessageBox(QMessageBox::Warning, tr("Add host"),
                                        tr("Cannot add %1: %2").arg(destination, error),
                                        QMessageBox::Ok, this);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        }
    });
    dialog->open();
}

void HostsPage::removeSelected() {
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const QString destination = rows.front().data(HostListModel::DestinationRole).toString();
    if (!destination.isEmpty())
        m_session->remote()->removeHost(destination);
}

void HostsPage::updateButtons() {
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    m_remove->setEnabled(!rows.isEmpty() &&
                         !rows.front().data(HostListModel::DestinationRole).toString().isEmpty());
}
