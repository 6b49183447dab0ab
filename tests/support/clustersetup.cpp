#include "clustersetup.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QThread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace testsupport {
namespace {

// True when 127.0.0.1:`port` can be bound now (the cluster bus of a node on port - 10000).
bool portFree(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return free;
}

// The value of `field` in a flat [name, value, ...] reply (CLUSTER SHARDS maps in RESP2).
const RedisReply* fieldOf(const RedisReply& map, const QByteArray& field) {
    for (qsizetype i = 0; i + 1 < map.elements.size(); i += 2)
        if (map.elements[i].text == field)
            return &map.elements[i + 1];
    return nullptr;
}

} // namespace

ClusterSetup::ClusterSetup() = default;

ClusterSetup::~ClusterSetup() {
    for (RedisServer& node : m_nodes)
        node.stop();
}

bool ClusterSetup::startTls(const TestCertificates& certificates) {
    m_tls = &certificates;
    return start(false);
}

bool ClusterSetup::start(bool replicas) {
    m_started = replicas ? 2 * node_count : node_count;
    const QStringList clusterArguments{u"--cluster-enabled"_s, u"yes"_s,
                                       u"--cluster-node-timeout"_s, u"3000"_s};
    const QStringList tlsArguments{u"--tls-cluster"_s, u"yes"_s, u"--tls-replication"_s, u"yes"_s};
    QStringList addresses;
    for (int index = 0; index < m_started; ++index) {
        RedisServer& node = m_nodes[size_t(index)];
        bool started = false;
        for (int attempt = 0; attempt < 20 && !started; ++attempt) {
            const int port = freeLoopbackPort();
            if (port <= 0 || port + 10000 > 65535 || !portFree(port + 10000))
                continue;
            node.setPort(port);
            // The bus port named, so that it is the free one checked above whichever client
            // port Redis would otherwise derive it from (with TLS it may be the TLS port).
            const QStringList arguments =
                clusterArguments + QStringList{u"--cluster-port"_s, QString::number(port + 10000)};
            started = m_tls ? node.startTls(m_tls->server().certificate, m_tls->server().key,
                                            m_tls->caFile(), false, arguments + tlsArguments)
                            : node.start(arguments);
            if (!started) {
                m_error = node.errorString();
                if (m_error.contains(u"not installed"_s))
                    return false;
                node.stop();
            }
        }
        if (!started) {
            m_error = u"cluster node %1 did not start: "_s.arg(index) + m_error;
            return false;
        }
        addresses << u"127.0.0.1:%1"_s.arg(node.port());
    }
    QProcess create;
    create.setProcessChannelMode(QProcess::MergedChannels);
    // With replicas, redis-cli makes the first three masters and the others their replicas.
    create.start(u"redis-cli"_s, QStringList{u"--cluster"_s, u"create"_s} + addresses +
                                     QStringList{u"--cluster-replicas"_s,
                                                 replicas ? u"1"_s : u"0"_s, u"--cluster-yes"_s});
    if (!create.waitForStarted(10000)) {
        m_error = u"cannot start redis-cli (install redis-tools): "_s + create.errorString();
        return false;
    }
    if (!create.waitForFinished(60000) || create.exitStatus() != QProcess::NormalExit ||
        create.exitCode() != 0) {
        m_error =
            u"redis-cli --cluster create failed: "_s + QString::fromUtf8(create.readAll()) + logs();
        return false;
    }
    if (!waitForAgreement(30000))
        return false;
    // Replicas: in sync with their masters (ROLE says "connected"), so WAIT and failovers work.
    // After a diskless sync a master counts its replica (WAIT's count) only at the replica's
    // first REPLCONF ACK, up to a second after the replica reports its link up: the masters
    // must say "state=online" too.
    QDeadlineTimer deadline(30000);
    for (int index = node_count; index < m_started; ++index) {
        for (;;) {
            const RedisReply role = m_nodes[size_t(index)].command("ROLE");
            if (role.elements.size() >= 4 && role.elements[3].text == "connected")
                break;
            if (deadline.hasExpired()) {
                m_error = u"replica %1 did not sync with its master: "_s.arg(index) +
                          role.toString() + logs();
                return false;
            }
            QThread::msleep(50);
        }
    }
    for (int index = 0; replicas && index < node_count; ++index) {
        for (;;) {
            const RedisReply info = m_nodes[size_t(index)].command("INFO replication");
            if (info.text.contains("state=online"))
                break;
            if (deadline.hasExpired()) {
                m_error = u"master %1 did not count its replica online: "_s.arg(index) +
                          QString::fromUtf8(info.text) + logs();
                return false;
            }
            QThread::msleep(50);
        }
    }
    return true;
}

bool ClusterSetup::waitForAgreement(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    QByteArray last;
    while (!deadline.hasExpired()) {
        bool agreed = true;
        for (int index = 0; index < m_started; ++index) {
            const RedisReply info = m_nodes[size_t(index)].command("CLUSTER INFO");
            last = info.text;
            if (!info.text.contains("cluster_state:ok") ||
                !info.text.contains(
                    QByteArray("cluster_known_nodes:" + QByteArray::number(m_started))) ||
                !info.text.contains("cluster_slots_assigned:16384")) {
                agreed = false;
                break;
            }
        }
        if (agreed)
            return true;
        QThread::msleep(100);
    }
    m_error =
        u"the cluster did not reach cluster_state:ok on every node: "_s + QString::fromUtf8(last);
    return false;
}

QByteArray ClusterSetup::nodeId(int index) const {
    return m_nodes[size_t(index)].command("CLUSTER MYID").text;
}

int ClusterSetup::ownerOf(int slot) const {
    const RedisReply shards = m_nodes[0].command("CLUSTER SHARDS");
    for (const RedisReply& shard : shards.elements) {
        const RedisReply* ranges = fieldOf(shard, "slots");
        const RedisReply* nodes = fieldOf(shard, "nodes");
        if (!ranges || !nodes)
            continue;
        bool serves = false;
        for (qsizetype i = 0; i + 1 < ranges->elements.size(); i += 2)
            serves = serves || (ranges->elements[i].integer <= slot &&
                                slot <= ranges->elements[i + 1].integer);
        if (!serves)
            continue;
        for (const RedisReply& node : nodes->elements) {
            const RedisReply* role = fieldOf(node, "role");
            const RedisReply* port = fieldOf(node, "port");
            if (!role || !port || role->text != "master")
                continue;
            for (int index = 0; index < m_started; ++index)
                if (m_nodes[size_t(index)].port() == port->integer)
                    return index;
        }
    }
    return -1;
}

int ClusterSetup::slotOf(const QByteArray& key) const {
    return int(m_nodes[0].command({"CLUSTER", "KEYSLOT", key}).integer);
}

QByteArray ClusterSetup::tagOnNode(int index, const QByteArray& prefix) const {
    for (int i = 0; i < 1000; ++i) {
        const QByteArray tag = '{' + prefix + QByteArray::number(i) + '}';
        if (ownerOf(slotOf(tag)) == index)
            return tag;
    }
    return {};
}

bool ClusterSetup::migrateSlot(int slot, int to, bool stopBeforeNode) {
    const int from = ownerOf(slot);
    if (from < 0 || from == to) {
        m_error =
            u"slot %1 is served by node %2, cannot move it to node %3"_s.arg(slot).arg(from).arg(
                to);
        return false;
    }
    const QByteArray slotText = QByteArray::number(slot);
    RedisServer& source = m_nodes[size_t(from)];
    RedisServer& target = m_nodes[size_t(to)];
    RedisReply reply = target.command({"CLUSTER", "SETSLOT", slotText, "IMPORTING", nodeId(from)});
    if (reply.isError()) {
        m_error = u"SETSLOT IMPORTING: "_s + reply.toString();
        return false;
    }
    reply = source.command({"CLUSTER", "SETSLOT", slotText, "MIGRATING", nodeId(to)});
    if (reply.isError()) {
        m_error = u"SETSLOT MIGRATING: "_s + reply.toString();
        return false;
    }
    for (;;) {
        const RedisReply keys = source.command({"CLUSTER", "GETKEYSINSLOT", slotText, "100"});
        if (keys.isError()) {
            m_error = u"GETKEYSINSLOT: "_s + keys.toString();
            return false;
        }
        if (keys.elements.isEmpty())
            break;
        QList<QByteArray> migrate{
            "MIGRATE", "127.0.0.1", QByteArray::number(target.port()), "", "0", "5000", "KEYS"};
        for (const RedisReply& key : keys.elements)
            migrate << key.text;
        reply = source.command(migrate);
        if (reply.isError()) {
            m_error = u"MIGRATE: "_s + reply.toString();
            return false;
        }
    }
    m_from = from;
    return stopBeforeNode || finishMigration(slot, to);
}

bool ClusterSetup::finishMigration(int slot, int to) {
    const QByteArray slotText = QByteArray::number(slot);
    const QByteArray id = nodeId(to);
    // The new owner first, then the old one, then the rest (as redis-cli does).
    QList<int> order{to};
    if (m_from >= 0 && m_from != to)
        order << m_from;
    for (int index = 0; index < node_count; ++index)
        if (!order.contains(index))
            order << index;
    for (int index : order) {
        const RedisReply reply =
            m_nodes[size_t(index)].command({"CLUSTER", "SETSLOT", slotText, "NODE", id});
        if (reply.isError()) {
            m_error = u"SETSLOT NODE at node %1: "_s.arg(index) + reply.toString();
            return false;
        }
    }
    m_from = -1;
    return true;
}

int ClusterSetup::replicaOf(int master) const {
    for (int index = node_count; index < m_started; ++index) {
        const RedisReply role = m_nodes[size_t(index)].command("ROLE");
        if (role.elements.size() >= 3 && role.elements[0].text == "slave" &&
            role.elements[2].integer == m_nodes[size_t(master)].port())
            return index;
    }
    return -1;
}

bool ClusterSetup::failover(int replica, int timeoutMs) {
    const RedisReply reply = m_nodes[size_t(replica)].command("CLUSTER FAILOVER");
    if (reply.isError()) {
        m_error = u"CLUSTER FAILOVER: "_s + reply.toString();
        return false;
    }
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const RedisReply role = m_nodes[size_t(replica)].command("ROLE");
        if (!role.elements.isEmpty() && role.elements[0].text == "master")
            return waitForAgreement(int(qMax<qint64>(1, deadline.remainingTime())));
        QThread::msleep(50);
    }
    m_error = u"node %1 did not become master after CLUSTER FAILOVER"_s.arg(replica);
    return false;
}

portalocker::RedisOptions ClusterSetup::options() const {
    portalocker::RedisOptions options = m_nodes[0].options();
    options.cluster.enabled = true;
    if (m_tls) {
        options.port = m_nodes[0].tlsPort();
        options.tls.enabled = true;
        options.tls.ca_file = m_tls->caFile().toStdString();
    }
    return options;
}

QString ClusterSetup::url() const {
    return u"redis://127.0.0.1:%1/0?cluster=1"_s.arg(m_nodes[0].port());
}

QString ClusterSetup::logs() const {
    QString text;
    for (int index = 0; index < m_started; ++index)
        text += u"\n--- node %1 ---\n"_s.arg(index) + m_nodes[size_t(index)].log();
    return text;
}

} // namespace testsupport
