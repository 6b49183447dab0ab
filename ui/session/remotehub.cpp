#include "session/remotehub.h"

#include "workers/lockctlinstaller.h"

#include "models/hostlistmodel.h"
#include "session/appsettings.h"
#include "workers/hostconnection.h"
#include "workers/snapshotpoller.h"

#include <portalocker/inspect/sshcommand.hpp>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

using namespace Qt::StringLiterals;

namespace {

const QString hostsKey = u"hosts/destinations"_s;
const QString elevationKey = u"hosts/elevation_command"_s;

} // namespace

RemoteHub::RemoteHub(AppSettings* settings, QObject* parent)
    : QObject(parent), m_settings(settings), m_model(new HostListModel(this)) {
    const QByteArray saved = m_settings->value(hostsKey);
    for (const QByteArray& line : saved.split('\n'))
        if (!line.trimmed().isEmpty() && !host(QString::fromUtf8(line.trimmed())))
            createHost(QString::fromUtf8(line.trimmed()));
}

RemoteHub::~RemoteHub() {
    // Connections say "stopped" as they go: not to this hub and its model, which QObject
    // would delete first (the model is the older child).
    for (HostConnection* connection : std::as_const(m_hosts)) {
        connection->disconnect(this);
        delete connection;
    }
}

HostConnection* RemoteHub::createHost(const QString& destination) {
    auto* connection = new HostConnection(destination, this);
    connection->setRefreshSeconds(m_refreshSeconds);
    connection->poller()->setSettings(hostSettings(destination));
    connection->setWatches(HostWatch::of(m_watches, destination));
    connect(connection->poller(), &SnapshotPoller::resultReady, this,
            [this, connection](const PollResult& result) {
                emit hostResult(connection->destination(), result);
            });
    connect(connection, &HostConnection::stateChanged, this, [this, connection] {
        m_model->hostChanged(connection);
        emit hostStateChanged(connection->destination(), connection->isStale());
    });
    m_hosts.append(connection);
    m_model->setHosts(m_hosts);
    return connection;
}

void RemoteHub::start() {
    m_started = true;
    for (HostConnection* connection : std::as_const(m_hosts))
        connection->start();
}

bool RemoteHub::addHost(const QString& destination, QString* error) {
    const QString trimmed = destination.trimmed();
    const std::string problem =
        portalocker::inspect::ssh_destination_problem(trimmed.toStdString());
    if (!problem.empty() || host(trimmed)) {
        if (error)
            *error = problem.empty() ? tr("%1 is in the list already").arg(trimmed)
                                     : QString::fromStdString(problem);
        return false;
    }
    HostConnection* connection = createHost(trimmed);
    save();
    if (m_started)
        connection->start();
    return true;
}

void RemoteHub::removeHost(const QString& destination) {
    HostConnection* connection = host(destination);
    if (!connection)
        return;
    m_hosts.removeOne(connection);
    connection->stop();
    connection->disconnect(this);
    connection->deleteLater();
    m_model->setHosts(m_hosts);
    save();
    emit hostRemoved(destination);
}

HostConnection* RemoteHub::host(const QString& destination) const {
    for (HostConnection* connection : m_hosts)
        if (connection->destination() == destination)
            return connection;
    return nullptr;
}

void RemoteHub::setPollSettings(const PollSettings& settings) {
    m_pollSettings = settings;
    // A host has no watches of this computer's files.
    m_pollSettings.watches.clear();
    for (HostConnection* connection : std::as_const(m_hosts))
        connection->poller()->setSettings(hostSettings(connection->destination()));
}

PollSettings RemoteHub::hostSettings(const QString& destination) const {
    PollSettings settings = m_pollSettings;
    // Rows made tagged with their host: the merger need not copy 10,000 rows per host.
    settings.host = destination;
    return settings;
}

void RemoteHub::setWatches(const std::vector<HostWatch>& watches) {
    m_watches = watches;
    for (HostConnection* connection : std::as_const(m_hosts))
        connection->setWatches(HostWatch::of(m_watches, connection->destination()));
}

void RemoteHub::setRefreshInterval(int milliseconds) {
    m_refreshSeconds = std::max(0.2, milliseconds / 1000.0);
    for (HostConnection* connection : std::as_const(m_hosts))
        connection->setRefreshSeconds(m_refreshSeconds);
}

QString RemoteHub::administratorName() {
    return tr("This computer (administrator)");
}

QStringList RemoteHub::elevationCommand() const {
    const QString saved = QString::fromUtf8(m_settings->value(elevationKey)).trimmed();
    return saved.isEmpty() ? QStringList{u"pkexec"_s} : saved.split(u' ', Qt::SkipEmptyParts);
}

void RemoteHub::setElevationCommand(const QStringList& command) {
    m_settings->setValue(elevationKey, command.join(u' ').toUtf8());
}

QString RemoteHub::ownLockctl() {
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString& candidate :
         {here.filePath(u"lockctl"_s), here.filePath(u"../lockctl/lockctl"_s)}) // build tree
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).canonicalFilePath();
    return QStandardPaths::findExecutable(u"lockctl"_s);
}

LockctlInstaller* RemoteHub::installLockctl(const QString& destination) {
    HostConnection* connection = host(destination);
    if (!connection || connection->isLocal())
        return nullptr;
    auto* installer =
        new LockctlInstaller(destination, ownLockctl(), connection->sshCommand(), this);
    connect(installer, &LockctlInstaller::finished, this,
            [this, installer, destination](bool installed) {
                installer->deleteLater();
                if (HostConnection* again = host(destination); installed && again && m_started) {
                    again->stop();
                    again->start(); // no need to wait out the backoff
                }
            });
    QMetaObject::invokeMethod(installer, &LockctlInstaller::start, Qt::QueuedConnection);
    return installer;
}

void RemoteHub::setAdministrator(bool on) {
    if (on == isAdministrator())
        return;
    if (!on) {
        removeHost(administratorName());
        return;
    }
    HostConnection* connection = createHost(administratorName());
    // Without a lockctl of our own, the elevation command's "not found" says so.
    const QString lockctl = ownLockctl();
    connection->setLocalCommand(elevationCommand(), lockctl.isEmpty() ? u"lockctl"_s : lockctl);
    if (m_started)
        connection->start();
}

void RemoteHub::save() const {
    QStringList destinations;
    for (const HostConnection* connection : m_hosts)
        if (!connection->isLocal())
            destinations << connection->destination();
    m_settings->setValue(hostsKey, destinations.join(u'\n').toUtf8());
}
