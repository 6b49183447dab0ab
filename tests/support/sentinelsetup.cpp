#include "sentinelsetup.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QThread>
#include <QUrl>

#include <sys/prctl.h>
#include <csignal>

using namespace Qt::Literals::StringLiterals;

namespace testsupport {
namespace {

// The value of `field` in a flat [name, value, name, value...] reply (SENTINEL MASTER).
QByteArray fieldOf(const RedisReply& reply, const QByteArray& field) {
    for (qsizetype i = 0; i + 1 < reply.elements.size(); i += 2)
        if (reply.elements[i].text == field)
            return reply.elements[i + 1].text;
    return {};
}

} // namespace

SentinelSetup::SentinelSetup() = default;

SentinelSetup::~SentinelSetup() {
    for (auto& sentinel : m_sentinels) {
        sentinel->kill();
        sentinel->waitForFinished(5000);
    }
    m_first.stop();
    m_second.stop();
}

bool SentinelSetup::start(const Tls* tls, const QByteArray& sentinelPassword) {
    if (!m_directory.isValid()) {
        m_error = u"cannot create a temporary directory"_s;
        return false;
    }
    m_sentinelPassword = sentinelPassword;
    const QStringList tlsReplication{u"--tls-replication"_s, u"yes"_s};
    if (tls)
        m_caFile = tls->caFile;
    if (!(tls ? m_first.startTls(tls->certificate, tls->key, tls->caFile, false, tlsReplication)
              : m_first.start())) {
        m_error = u"master: "_s + m_first.errorString();
        return false;
    }
    const QStringList replicaOf{u"--replicaof"_s, m_first.host(),
                                QString::number(tls ? m_first.tlsPort() : m_first.port())};
    if (!(tls ? m_second.startTls(tls->certificate, tls->key, tls->caFile, false,
                                  replicaOf + tlsReplication)
              : m_second.start(replicaOf))) {
        m_error = u"replica: "_s + m_second.errorString();
        return false;
    }
    for (int i = 0; i < 3; ++i) {
        const int port = freeLoopbackPort();
        const QString config = m_directory.filePath(u"sentinel%1.conf"_s.arg(i));
        QFile file(config);
        if (!file.open(QIODevice::WriteOnly)) {
            m_error = u"cannot write "_s + config;
            return false;
        }
        QString text = u"port %1\nbind 127.0.0.1\ndaemonize no\ndir %2\nlogfile %2/sentinel%3.log\n"
                       "sentinel monitor mymaster 127.0.0.1 %4 2\n"
                       "sentinel down-after-milliseconds mymaster 1000\n"
                       "sentinel failover-timeout mymaster 4000\n"
                       "sentinel parallel-syncs mymaster 1\n"_s.arg(port)
                           .arg(m_directory.path())
                           .arg(i)
                           .arg(tls ? m_first.tlsPort() : m_first.port());
        if (tls) {
            const int tlsPort = freeLoopbackPort();
            m_sentinelTlsPorts.append(tlsPort);
            text += u"tls-port %1\ntls-cert-file %2\ntls-key-file %3\ntls-ca-cert-file %4\n"
                    "tls-auth-clients no\ntls-replication yes\n"_s.arg(tlsPort)
                        .arg(tls->certificate, tls->key, tls->caFile);
        }
        if (!sentinelPassword.isEmpty())
            // The sentinels talk to each other with the same password.
            text += u"requirepass %1\nsentinel sentinel-pass %1\n"_s.arg(
                QString::fromUtf8(sentinelPassword));
        file.write(text.toUtf8());
        file.close();
        auto process = std::make_shared<QProcess>();
        process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        process->setStandardOutputFile(QProcess::nullDevice());
        process->start(RedisServer::serverProgram(), {config, u"--sentinel"_s});
        if (!process->waitForStarted(10000)) {
            m_error = u"cannot start a sentinel: "_s + process->errorString();
            return false;
        }
        m_sentinels.append(process);
        m_sentinelPorts.append(port);
    }
    // Ready when every sentinel knows the replica and the other two sentinels (a failover
    // needs a replica to promote, and for a master that died, a quorum), and the replica
    // is in sync - on both sides: after a diskless sync the master counts the replica as
    // online (and ROLE lists it) only at its first REPLCONF ACK, up to a second after the
    // replica already reports its link up.
    QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired()) {
        bool ready = m_second.command("INFO replication").text.contains("master_link_status:up") &&
                     m_first.command("INFO replication").text.contains("state=online");
        for (int port : m_sentinelPorts) {
            RedisReply master = sentinelCommandAt(port, {"SENTINEL", "MASTER", masterName()});
            ready = ready && fieldOf(master, "num-slaves") == "1" &&
                    fieldOf(master, "num-other-sentinels") == "2";
        }
        if (ready)
            return true;
        QThread::msleep(100);
    }
    m_error = u"the sentinels did not see the replica and each other in time: "_s + logs();
    return false;
}

QString SentinelSetup::url() const {
    QStringList hosts;
    for (int port : m_sentinelTlsPorts.isEmpty() ? m_sentinelPorts : m_sentinelTlsPorts)
        hosts << u"127.0.0.1:"_s + QString::number(port);
    QString url = (m_sentinelTlsPorts.isEmpty() ? u"redis://"_s : u"rediss://"_s) +
                  hosts.join(u',') + u"/0?sentinel="_s + QString::fromLatin1(masterName());
    if (!m_caFile.isEmpty())
        url += u"&cacert="_s + QString::fromUtf8(QUrl::toPercentEncoding(m_caFile));
    if (!m_sentinelPassword.isEmpty())
        url += u"&sentinel_password="_s +
               QString::fromUtf8(QUrl::toPercentEncoding(QString::fromUtf8(m_sentinelPassword)));
    return url;
}

RedisReply SentinelSetup::sentinelCommandAt(int port, const QList<QByteArray>& arguments) const {
    if (m_sentinelPassword.isEmpty())
        return commandAt(port, arguments, 2000);
    return commandsAt(port, {{"AUTH", m_sentinelPassword}, arguments}, 2000);
}

RedisServer& SentinelSetup::currentMaster() {
    const int port = currentMasterPort();
    return port == m_first.port() || port == m_first.tlsPort() ? m_first : m_second;
}

portalocker::RedisOptions SentinelSetup::options() const {
    portalocker::RedisOptions options = portalocker::RedisOptions::from_url(url().toStdString());
    options.connect_timeout = std::chrono::milliseconds(1000);
    options.command_timeout = std::chrono::milliseconds(1000);
    return options;
}

RedisReply SentinelSetup::sentinelCommand(const QList<QByteArray>& arguments) const {
    RedisReply reply;
    for (int port : m_sentinelPorts) {
        reply = sentinelCommandAt(port, arguments);
        if (reply.type != RedisReply::Type::Failed)
            return reply;
    }
    return reply;
}

int SentinelSetup::currentMasterPort() const {
    RedisReply reply = sentinelCommand({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName()});
    return reply.elements.size() == 2 ? reply.elements[1].text.toInt() : 0;
}

bool SentinelSetup::waitForNewMaster(int oldPort, int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const int port = currentMasterPort();
        if (port != 0 && port != oldPort) {
            RedisReply role = currentMaster().command("ROLE", 1000);
            if (!role.elements.isEmpty() && role.elements[0].text == "master")
                return true;
        }
        QThread::msleep(50);
    }
    m_error = u"no new master after "_s + QString::number(timeoutMs) + u" ms: "_s + logs();
    return false;
}

bool SentinelSetup::failover(int timeoutMs) {
    const int oldPort = currentMasterPort();
    RedisReply reply = sentinelCommand({"SENTINEL", "FAILOVER", masterName()});
    if (reply.isError()) {
        m_error = u"SENTINEL FAILOVER: "_s + reply.toString();
        return false;
    }
    return waitForNewMaster(oldPort, timeoutMs);
}

QString SentinelSetup::logs() const {
    QString text;
    for (int i = 0; i < m_sentinels.size(); ++i) {
        QFile file(m_directory.filePath(u"sentinel%1.log"_s.arg(i)));
        if (file.open(QIODevice::ReadOnly))
            text += u"\n--- sentinel "_s + QString::number(i) + u":\n"_s +
                    QString::fromUtf8(file.readAll().right(3000));
    }
    return text;
}

} // namespace testsupport
