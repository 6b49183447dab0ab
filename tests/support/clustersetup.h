#pragma once
// ClusterSetup: a Redis Cluster of three masters on loopback (`redis-server --cluster-enabled
// yes` x3, joined with `redis-cli --cluster create ... --cluster-yes`), for Cluster tests.
// Each node's port and its cluster bus port (port + 10000) are free loopback ports.
// Everything runs in temporary directories and dies with the test.

#include "redisserver.h"
#include "testcertificates.h"

#include <QList>
#include <QString>

#include <array>

namespace testsupport {

class ClusterSetup {
  public:
    ClusterSetup();
    ~ClusterSetup(); ///< stops every node
    ClusterSetup(const ClusterSetup&) = delete;
    ClusterSetup& operator=(const ClusterSetup&) = delete;

    static constexpr int node_count = 3; ///< masters (nodes 0..2)

    /// Starts the nodes, creates the cluster (slots split evenly) and waits until every
    /// node reports cluster_state:ok and knows all the others. With `replicas`, each master
    /// gets a replica (nodes 3..5, `--cluster-replicas 1`). False with errorString() set: the
    /// caller QFAILs, never skips (redis-server or redis-cli missing fails too).
    bool start(bool replicas = false);
    /// The same, every node also serving TLS on its tlsPort() (`--tls-cluster yes`: the
    /// cluster bus speaks TLS too, and CLUSTER SHARDS announces the TLS ports), with the
    /// server certificate of `certificates`; client certificates are not asked for. The
    /// plain ports stay, for the fixture's own commands. `certificates` must outlive the nodes.
    bool startTls(const TestCertificates& certificates);
    /// The replica (node 3..5) that replicates node `master`'s slots now, or -1.
    int replicaOf(int master) const;
    /// CLUSTER FAILOVER at node `replica`, then waits until it is a master that serves slots
    /// and every node agrees. False with errorString().
    bool failover(int replica, int timeoutMs);
    QString errorString() const { return m_error; }

    RedisServer& node(int index) { return m_nodes[size_t(index)]; }
    const RedisServer& node(int index) const { return m_nodes[size_t(index)]; }
    /// The index of the master that serves `slot` now (CLUSTER SHARDS at node 0), -1 if none.
    int ownerOf(int slot) const;
    /// CLUSTER KEYSLOT at node 0 (the server's own answer, not the code under test's).
    int slotOf(const QByteArray& key) const;
    /// A hash-tagged name "{tagN}" whose slot is served by node `index`.
    QByteArray tagOnNode(int index, const QByteArray& prefix = "tag") const;
    /// Moves `slot` with all its keys from its owner to node `to`: CLUSTER SETSLOT IMPORTING
    /// and MIGRATING, MIGRATE of every key, then SETSLOT NODE on all nodes. With
    /// `stopBeforeNode`, stops after the keys moved and leaves the slot migrating (ASK
    /// answers); finishMigration() completes it. False with errorString().
    bool migrateSlot(int slot, int to, bool stopBeforeNode = false);
    bool finishMigration(int slot, int to);
    /// Options with node 0 as the seed and cluster mode on (after startTls(): its TLS port,
    /// TLS on, the test CA).
    portalocker::RedisOptions options() const;
    /// `redis://127.0.0.1:P0/0?cluster=1`
    QString url() const;
    QString logs() const;

    /// CLUSTER MYID of node `index`.
    QByteArray nodeId(int index) const;

  private:
    bool waitForAgreement(int timeoutMs);

    std::array<RedisServer, 2 * node_count> m_nodes;
    int m_started = 0;                       // nodes in the cluster
    int m_from = -1;                         // the node a migration in progress takes the slot from
    const TestCertificates* m_tls = nullptr; // startTls()
    QString m_error;
};

} // namespace testsupport
