// A Redis Cluster through the window, against three masters of the test's own
// (tests/support/clustersetup.h): the connection dialog's Test names the masters, their slots
// and the coverage; the Redis page lists leases held on every master with a Node column that
// names each one's master (hidden while no cluster is connected); the connection list says
// "cluster" and how many masters were scanned; the Acquire page's job refuses a channel lock
// on the cluster with the library's reason and holds a hash-tagged lease.

#include "clustersetup.h"
#include "testsupport.h"

#include "models/redisconnectionmodel.h"
#include "models/redislockmodel.h"
#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "session/redishub.h"
#include "widgets/mainwindow.h"
#include "widgets/redisconnectiondialog.h"
#include "widgets/redispage.h"
#include "workers/acquirejob.h"
#include "workers/acquirerequest.h"

#include <portalocker/redislease.hpp>

#include <QHeaderView>
#include <QLabel>
#include <QTabWidget>
#include <QPushButton>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QThreadPool>

#include <memory>

using namespace Qt::StringLiterals;

class TestUiRedisCluster : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase() { QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString())); }

    void init() {
        const QString name = u"settings"_s + QString::number(++m_serial) + u".ini"_s;
        m_settings = std::make_unique<AppSettings>(m_directory.filePath(name));
        m_session = std::make_unique<InspectorSession>(m_settings.get());
        m_session->redis()->setAuditLogPath(m_directory.filePath(u"audit.jsonl"_s));
        m_session->redis()->setScanInterval(200);
        m_window = std::make_unique<MainWindow>(m_session.get());
        m_window->show();
        m_session->start();
    }

    void cleanup() {
        m_window.reset();
        m_session.reset();
        m_settings.reset();
    }

    void testNamesTheMasters() {
        RedisConnectionDialog dialog;
        dialog.setConfig(clusterConfig());
        QVERIFY(dialog.warningText().isEmpty());
        dialog.test();
        QVERIFY(QTest::qWaitFor([&dialog] { return dialog.testButton()->isEnabled(); },
                                int(testsupport::timeBound(15000))));
        const QString result = dialog.testResult()->text();
        QVERIFY2(result.contains(u"OK"_s), qPrintable(result));
        QVERIFY2(result.contains(u"3 masters"_s), qPrintable(result));
        QVERIFY2(result.contains(u"16384 of 16384 slots"_s), qPrintable(result));
        for (int index = 0; index < ClusterSetup::node_count; ++index)
            QVERIFY2(result.contains(u"127.0.0.1:%1"_s.arg(m_cluster.node(index).port())),
                     qPrintable(result));
    }

    void locksShowTheirNode() {
        QHeaderView* header = m_window->redisPage()->locksView()->horizontalHeader();
        QVERIFY(header->isSectionHidden(RedisLockModel::NodeColumn));
        // A lease on every master.
        std::vector<std::unique_ptr<portalocker::RedisLease>> leases;
        QStringList keys;
        for (int index = 0; index < ClusterSetup::node_count; ++index) {
            const QString key = QString::fromUtf8(m_cluster.tagOnNode(index, "ui") + "lease");
            keys << key;
            leases.push_back(std::make_unique<portalocker::RedisLease>(
                key.toStdString(), m_cluster.options(), portalocker::LeaseOptions{}));
            QVERIFY(leases.back()->try_lock());
        }
        const QString id = m_session->redis()->addConnection(clusterConfig());
        RedisLockModel* model = m_session->redis()->locks();
        for (int index = 0; index < ClusterSetup::node_count; ++index) {
            QTRY_VERIFY_WITH_TIMEOUT(lockRow(keys[index]).isValid(), testsupport::timeBound(15000));
            const QModelIndex row = lockRow(keys[index]);
            QCOMPARE(model->index(row.row(), RedisLockModel::NodeColumn).data().toString(),
                     u"127.0.0.1:%1"_s.arg(m_cluster.node(index).port()));
        }
        QCOMPARE(model->headerData(RedisLockModel::NodeColumn, Qt::Horizontal).toString(),
                 u"Node"_s);
        QTRY_VERIFY_WITH_TIMEOUT(!header->isSectionHidden(RedisLockModel::NodeColumn),
                                 testsupport::timeBound(5000));
        // The details of a selected lock name its master.
        QTableView* view = m_window->redisPage()->locksView();
        view->selectRow(0);
        auto* details = m_window->redisPage()->findChild<QTextBrowser*>();
        QVERIFY(details);
        QTRY_VERIFY_WITH_TIMEOUT(details->toPlainText().contains(u"(cluster master)"_s),
                                 testsupport::timeBound(5000));
        // The connection list: cluster, and the masters scanned.
        RedisConnectionModel* connections = m_session->redis()->connections();
        const QModelIndex connection = connections->indexOf(id);
        QTRY_COMPARE_WITH_TIMEOUT(
            connections->index(connection.row(), RedisConnectionModel::ViaColumn).data().toString(),
            u"cluster \u00b7 3 masters"_s, testsupport::timeBound(5000));
        const QString shots = qEnvironmentVariable("LOCKSCOPE_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            m_window->tabs()->setCurrentWidget(m_window->redisPage());
            QTest::qWait(300);
            QVERIFY(m_window->grab().save(shots + u"/redis-cluster.png"_s));
        }
        for (auto& lease : leases)
            lease->unlock();
        // Gone from the list, and with it the Node column.
        m_session->redis()->removeConnection(id);
        QTRY_VERIFY_WITH_TIMEOUT(header->isSectionHidden(RedisLockModel::NodeColumn),
                                 testsupport::timeBound(5000));
    }

    void channelLockIsRefusedOnTheCluster() {
        // The Acquire page's job for a channel lock on a cluster connection fails with the
        // library's reason; a lease with a hash-tagged key is held.
        QThreadPool pool;
        AcquireRequest channel;
        channel.target = AcquireRequest::Target::redisChannel;
        channel.redis = clusterConfig().toOptions();
        channel.key = u"jobs"_s;
        channel.timeoutMs = 0;
        AcquireJob refused(channel, &pool);
        refused.start();
        QTRY_COMPARE_WITH_TIMEOUT(refused.state(), AcquireJob::State::failed,
                                  testsupport::timeBound(10000));
        QVERIFY2(refused.error().contains(u"mutual exclusion"_s), qPrintable(refused.error()));

        AcquireRequest lease = channel;
        lease.target = AcquireRequest::Target::redisLease;
        lease.key = QString::fromUtf8(m_cluster.tagOnNode(2, "acq") + "job");
        AcquireJob held(lease, &pool);
        held.start();
        QTRY_COMPARE_WITH_TIMEOUT(held.state(), AcquireJob::State::held,
                                  testsupport::timeBound(10000));
        QVERIFY(!m_cluster.node(2).command({"GET", lease.key.toUtf8()}).text.isEmpty());
        held.release();
        QTRY_COMPARE_WITH_TIMEOUT(held.state(), AcquireJob::State::released,
                                  testsupport::timeBound(10000));
    }

  private:
    using ClusterSetup = testsupport::ClusterSetup;

    RedisConnectionConfig clusterConfig() const {
        RedisConnectionConfig config;
        config.name = u"cluster"_s;
        config.host = u"127.0.0.1"_s;
        config.port = m_cluster.node(0).port();
        config.topology = RedisConnectionConfig::Topology::cluster;
        return config;
    }

    QModelIndex lockRow(const QString& key) const {
        RedisLockModel* model = m_session->redis()->locks();
        for (int row = 0; row < model->rowCount(); ++row)
            if (model->index(row, 0).data(RedisLockModel::KeyRole).toString() == key)
                return model->index(row, 0);
        return {};
    }

    testsupport::ClusterSetup m_cluster;
    QTemporaryDir m_directory;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<InspectorSession> m_session;
    std::unique_ptr<MainWindow> m_window;
    int m_serial = 0;
};

QTEST_MAIN(TestUiRedisCluster)
#include "tst_ui_rediscluster.moc"
