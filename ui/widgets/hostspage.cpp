#include "widgets/hostspage.h"

#include "models/hostlistmodel.h"
#include "session/inspectorsession.h"
#include "session/remotehub.h"
#include "workers/hostconnection.h"
#include "workers/lockctlinstaller.h"

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
      m_remove(new QPushButton(tr("Remove host"), this)),
      m_administrator(new QPushButton(tr("Inspect as administrator"), this)),
      m_install(new QPushButton(tr("Install lockctl there…"), this)),
      m_installStatus(new QLabel(this)) {
    m_install->setToolTip(tr("Copy this build's lockctl to ~/.cache/lockscope/ on the selected "
                             "host, which has none (after checking its machine and C library)"));
    m_installStatus->setWordWrap(true);
    m_installStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_installStatus->hide();
    m_administrator->setCheckable(true);
    m_administrator->setToolTip(
        tr("Run lockctl as root through %1 to see the holders and paths of every user's locks")
            .arg(session->remote()->elevationCommand().join(u' ')));
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
    buttons->addWidget(m_administrator);
    buttons->addWidget(m_install);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addLayout(buttons);
    layout->addWidget(m_installStatus);
    layout->addWidget(m_view, 1);

    connect(m_add, &QPushButton::clicked, this, &HostsPage::addHost);
    connect(m_remove, &QPushButton::clicked, this, &HostsPage::removeSelected);
    connect(m_install, &QPushButton::clicked, this, &HostsPage::offerInstall);
    // A host's failure (no lockctl) decides whether the offer makes sense.
    connect(session->remote()->model(), &QAbstractItemModel::dataChanged, this,
            &HostsPage::updateButtons);
    connect(m_administrator, &QPushButton::toggled, session->remote(),
            &RemoteHub::setAdministrator);
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
    if (destination == RemoteHub::administratorName())
        m_administrator->setChecked(false);
    else if (!destination.isEmpty())
        m_session->remote()->removeHost(destination);
}

void HostsPage::updateButtons() {
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    const QString destination =
        rows.isEmpty() ? QString() : rows.front().data(HostListModel::DestinationRole).toString();
    m_remove->setEnabled(!destination.isEmpty());
    const HostConnection* connection = m_session->remote()->host(destination);
    m_install->setVisible(connection && !connection->isLocal() &&
                          connection->failure() == HostConnection::Failure::NotInstalled);
}

QString HostsPage::installStatus() const {
    return m_installStatus->text();
}

void HostsPage::offerInstall() {
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const QString destination = rows.front().data(HostListModel::DestinationRole).toString();
    const QString lockctl = RemoteHub::ownLockctl();
    auto* box = new QMessageBox(QMessageBox::Question, tr("Install lockctl"),
                                tr("%1 has no lockctl. Copy this build's lockctl there, to "
                                   "~/.cache/lockscope/lockctl?")
                                    .arg(destination),
                                QMessageBox::Cancel, this);
    box->setInformativeText(
        tr("From: %1\nFirst the host is asked for its machine (uname -m) and C library; the "
           "copy is refused if this build cannot run there, and tried once there before it "
           "is put in place.")
            .arg(lockctl.isEmpty() ? tr("(no lockctl found beside this program)") : lockctl));
    QPushButton* copy = box->addButton(tr("Copy"), QMessageBox::AcceptRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::buttonClicked, this, [this, copy, destination](auto* button) {
        if (button != copy)
            return;
        LockctlInstaller* installer = m_session->remote()->installLockctl(destination);
        if (!installer)
            return;
        m_installStatus->show();
        connect(installer, &LockctlInstaller::progress, m_installStatus, &QLabel::setText);
        connect(installer, &LockctlInstaller::finished, m_installStatus,
                [this](bool, const QString& message) { m_installStatus->setText(message); });
    });
    box->open();
}
