// Production Redis connections through the window, against redis-servers of the test's own:
// a TLS connection (CA, server and client certificates made with openssl at test time) added
// through the config and the dialog, tested (the Test button says TLS, version and role) and
// scanned (its locks show, the list says "TLS"); unverified TLS is warned about, Cluster on a
// plain server fails Test with the reason;
// a certificate from an unknown CA fails Test with the cause; the settings keep every TLS,
// Sentinel and read-only field, and URLs round-trip; a read-only connection greys force
// release and the acquire page's Acquire, with the reason; a Sentinel connection over TLS
// names the master it reached (Test and the list), and the list follows a real failover.

#include "redisserver.h"
#include "sentinelsetup.h"
#include "testcertificates.h"
#include "testsupport.h"

#include "models/redisconnectionmodel.h"
#include "models/redislockmodel.h"
#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "session/redishub.h"
#include "widgets/acquirepage.h"
#include "widgets/mainwindow.h"
#include "widgets/redisconnectiondialog.h"
#include "widgets/redispage.h"
#include "workers/redisconnectiontester.h"

#include <portalocker/redislease.hpp>

#include <QAbstractProxyModel>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using testsupport::TestCertificates;

class TestUiRedisTls : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase();
    void init();
    void cleanup();
    void tlsConnectionTestsAndShowsLocks();
    void unknownCaFailsTestWithTheCause();
    void insecureAndClusterAreWarned();
    void settingsAndUrlKeepEveryField();
    void readOnlyGreysForceReleaseAndAcquire();
    void sentinelShowsTheMasterAndFollowsAFailover();

  private:
    /// A config for the TLS port with the CA and the client certificate.
    RedisConnectionConfig tlsConfig() const;
    portalocker::RedisOptions tlsOptions() const;
    QModelIndex lockRow(const QString& key) const;
    /// With LOCKSCOPE_SCREENSHOT_DIR set, saves a picture of `widget` there (for looking at the
    /// dialog and the page by eye; the test does not depend on it).
    static void saveScreenshot(QWidget* widget, const QString& name);
    /// Runs the dialog's Test and returns the result text.
    static QString runTest(RedisConnectionDialog& dialog);

    TestCertificates m_certificates;
    testsupport::RedisServer m_server;
    QTemporaryDir m_directory;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<InspectorSession> m_session;
    std::unique_ptr<MainWindow> m_window;
    int m_serial = 0;
};

void TestUiRedisTls::initTestCase() {
    QVERIFY2(m_certificates.create(), qPrintable(m_certificates.errorString()));
    const TestCertificates::Pair server = m_certificates.server();
    // Client certificates demanded: the connection must present the one configured.
    QVERIFY2(m_server.startTls(server.certificate, server.key, m_certificates.caFile(), true),
             qPrintable(m_server.errorString()));
}

void TestUiRedisTls::init() {
    const QString name = u"settings"_s + QString::number(++m_serial) + u".ini"_s;
    m_settings = std::make_unique<AppSettings>(m_directory.filePath(name));
    m_session = std::make_unique<InspectorSession>(m_settings.get());
    m_session->redis()->setAuditLogPath(m_directory.filePath(u"audit.jsonl"_s));
    m_session->redis()->setScanInterval(200);
    m_window = std::make_unique<MainWindow>(m_session.get());
    m_window->show();
    m_session->start();
}

void TestUiRedisTls::cleanup() {
    m_window.reset();
    m_session.reset();
    m_settings.reset();
    m_server.command("FLUSHALL");
}

RedisConnectionConfig TestUiRedisTls::tlsConfig() const {
    RedisConnectionConfig config;
    config.name = u"tls server"_s;
    QString error;
    const QString url = u"rediss://127.0.0.1:%1/0?cacert=%2&cert=%3&key=%4"_s.arg(
        QString::number(m_server.tlsPort()), m_certificates.caFile(),
        m_certificates.client().certificate, m_certificates.client().key);
    if (!config.setFromUrl(url, &error))
        qWarning("setFromUrl: %s", qPrintable(error));
    return config;
}

portalocker::RedisOptions TestUiRedisTls::tlsOptions() const {
    portalocker::RedisOptions options = m_server.options();
    options.port = m_server.tlsPort();
    options.tls.enabled = true;
    options.tls.ca_file = m_certificates.caFile().toStdString();
    options.tls.cert_file = m_certificates.client().certificate.toStdString();
    options.tls.key_file = m_certificates.client().key.toStdString();
    return options;
}

QModelIndex TestUiRedisTls::lockRow(const QString& key) const {
    RedisLockModel* model = m_session->redis()->locks();
    for (int row = 0; row < model->rowCount(); ++row)
        if (model->index(row, 0).data(RedisLockModel::KeyRole).toString() == key)
            return model->index(row, 0);
    return {};
}

void TestUiRedisTls::saveScreenshot(QWidget* widget, const QString& name) {
    const QString directory = qEnvironmentVariable("LOCKSCOPE_SCREENSHOT_DIR");
    if (!directory.isEmpty())
        QVERIFY(widget->grab().save(directory + u'/' + name));
}

QString TestUiRedisTls::runTest(RedisConnectionDialog& dialog) {
    dialog.test();
    if (!QTest::qWaitFor([&dialog] { return dialog.testButton()->isEnabled(); }, 15000))
        return u"(Test did not finish)"_s;
    return dialog.testResult()->text();
}

void TestUiRedisTls::tlsConnectionTestsAndShowsLocks() {
    const RedisConnectionConfig config = tlsConfig();
    QVERIFY(config.tls);
    QCOMPARE(config.port, m_server.tlsPort());
    QCOMPARE(config.tlsCertFile, m_certificates.client().certificate);

    RedisConnectionDialog dialog;
    dialog.setConfig(config);
    QCOMPARE(dialog.config(), config); // every field goes through the dialog and back
    const QString result = runTest(dialog);
    QVERIFY2(result.contains(u"OK"_s), qPrintable(result));
    QVERIFY2(result.contains(u"TLSv1."_s), qPrintable(result)); // protocol and cipher
    QVERIFY2(result.contains(u"Redis 7"_s) || result.contains(u"Redis 6"_s), qPrintable(result));
    QVERIFY2(result.contains(u"master"_s), qPrintable(result));
    dialog.showTlsPage();
    dialog.show();
    saveScreenshot(&dialog, u"redis-dialog-tls.png"_s);

    const QString id = m_session->redis()->addConnection(dialog.config());
    portalocker::RedisLease lease("jobs:tls", tlsOptions(), {});
    QVERIFY(lease.try_lock());
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"jobs:tls"_s).isValid(), testsupport::timeBound(15000));
    const RedisLockRow* lock = m_session->redis()->locks()->rowAt(lockRow(u"jobs:tls"_s));
    QCOMPARE(lock->token, QString::fromStdString(lease.token()));
    QCOMPARE(lock->connectionName, u"tls server"_s);

    // The list says how the connection is made.
    RedisConnectionModel* connections = m_session->redis()->connections();
    const QModelIndex row = connections->indexOf(id);
    QCOMPARE(connections->index(row.row(), RedisConnectionModel::ViaColumn).data().toString(),
             u"TLS"_s);
    lease.unlock();
}

void TestUiRedisTls::unknownCaFailsTestWithTheCause() {
    RedisConnectionConfig config = tlsConfig();
    config.tlsCaFile = m_certificates.otherCaFile();
    RedisConnectionDialog dialog;
    dialog.setConfig(config);
    const QString result = runTest(dialog);
    QVERIFY2(result.contains(u"Failed"_s), qPrintable(result));
    QVERIFY2(result.contains(u"certificate"_s, Qt::CaseInsensitive), qPrintable(result));
}

void TestUiRedisTls::insecureAndClusterAreWarned() {
    RedisConnectionConfig config = tlsConfig();
    config.tlsCaFile.clear();
    config.tlsVerify = false;
    RedisConnectionDialog dialog;
    dialog.setConfig(config);
    QVERIFY2(dialog.warningText().contains(u"Insecure"_s), qPrintable(dialog.warningText()));
    QString result = runTest(dialog);
    QVERIFY2(result.contains(u"OK"_s), qPrintable(result));
    QVERIFY2(result.contains(u"insecure"_s), qPrintable(result));

    // Cluster on a server that is no cluster node: no warning up front (Cluster works), and
    // Test says what is wrong with this server (tst_ui_rediscluster tests a real cluster).
    config = tlsConfig();
    config.topology = RedisConnectionConfig::Topology::cluster;
    dialog.setConfig(config);
    QVERIFY2(!dialog.warningText().contains(u"Cluster"_s), qPrintable(dialog.warningText()));
    result = runTest(dialog);
    QVERIFY2(result.contains(u"Failed"_s) && result.contains(u"not a cluster node"_s),
             qPrintable(result));
}

void TestUiRedisTls::settingsAndUrlKeepEveryField() {
    RedisConnectionConfig config = tlsConfig();
    config.tlsCaDir = m_certificates.caDirectory();
    config.tlsSni = u"localhost"_s;
    config.topology = RedisConnectionConfig::Topology::sentinel;
    config.sentinelMaster = u"mymaster"_s;
    config.sentinels = u"127.0.0.1:26379,[::1]:26380"_s;
    config.sentinelUsername = u"watcher"_s;
    config.readOnly = true;
    config.id = m_session->redis()->addConnection(config);

    // A new AppSettings on the same file reads back what was saved (no password was given).
    AppSettings reread(m_directory.filePath(u"settings%1.ini"_s.arg(m_serial)));
    QCOMPARE(reread.connections().size(), 1);
    QCOMPARE(reread.connections().front(), config);

    // The URL says all of it, and parsing it gives the same connection.
    const QString url = config.url();
    QVERIFY2(url.startsWith(u"rediss://"_s) && url.contains(u"sentinel=mymaster"_s) &&
                 url.contains(u"readonly=1"_s),
             qPrintable(url));
    RedisConnectionConfig parsed;
    parsed.id = config.id;
    parsed.name = config.name;
    QString error;
    QVERIFY2(parsed.setFromUrl(url, &error), qPrintable(error));
    QCOMPARE(parsed.sentinels, config.sentinels);
    QCOMPARE(parsed.topology, config.topology);
    parsed.host = config.host; // a sentinel URL names sentinels, not the (unused) host
    parsed.port = config.port;
    QCOMPARE(parsed, config);
}

void TestUiRedisTls::readOnlyGreysForceReleaseAndAcquire() {
    RedisConnectionConfig config = tlsConfig();
    config.readOnly = true;
    const QString id = m_session->redis()->addConnection(config);
    portalocker::RedisLease lease("jobs:watched", tlsOptions(), {});
    QVERIFY(lease.try_lock());
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"jobs:watched"_s).isValid(), 15000);
    const RedisLockRow* lock = m_session->redis()->locks()->rowAt(lockRow(u"jobs:watched"_s));
    QVERIFY(lock->releasable); // the lock could be released: only the connection forbids it

    RedisPage* page = m_window->redisPage();
    QTableView* view = page->locksView();
    auto* proxy = static_cast<QAbstractProxyModel*>(view->model());
    view->setCurrentIndex(proxy->mapFromSource(lockRow(u"jobs:watched"_s)));
    QPushButton* forceRelease = nullptr;
    for (QPushButton* button : page->findChildren<QPushButton*>())
        if (button->text().startsWith(u"Force release"_s))
            forceRelease = button;
    QVERIFY(forceRelease);
    QVERIFY(!forceRelease->isEnabled());
    QVERIFY2(forceRelease->toolTip().contains(u"read-only"_s), qPrintable(forceRelease->toolTip()));
    QCOMPARE(page->forceReleaseSelected(), nullptr);
    auto* details = page->findChild<QTextBrowser*>();
    QVERIFY(details);
    QVERIFY2(details->toPlainText().contains(u"is read-only: it never releases"_s),
             qPrintable(details->toPlainText()));
    m_window->tabs()->setCurrentWidget(page);
    m_window->resize(1400, 700);
    saveScreenshot(m_window.get(), u"redis-page-readonly.png"_s);
    QCOMPARE(m_session->redis()
                 ->connections()
                 ->index(m_session->redis()->connections()->indexOf(id).row(),
                         RedisConnectionModel::ViaColumn)
                 .data()
                 .toString(),
             u"TLS \u00b7 read-only"_s);

    AcquirePage* acquire = m_window->acquirePage();
    acquire->prefillRedis(false, id, u"jobs:other"_s);
    QVERIFY(!acquire->acquireButton()->isEnabled());
    QVERIFY2(acquire->readOnlyReason().contains(u"read-only"_s),
             qPrintable(acquire->readOnlyReason()));
    QCOMPARE(acquire->acquire(), nullptr);

    // Editing the mark off gives the actions back.
    config.id = id;
    config.readOnly = false;
    m_session->redis()->updateConnection(config);
    QTRY_VERIFY_WITH_TIMEOUT(acquire->acquireButton()->isEnabled(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(lockRow(u"jobs:watched"_s).isValid(), 15000);
    view->setCurrentIndex(proxy->mapFromSource(lockRow(u"jobs:watched"_s)));
    QTRY_VERIFY_WITH_TIMEOUT(forceRelease->isEnabled(), 5000);
    QVERIFY(forceRelease->toolTip().isEmpty());
    lease.unlock();
}

void TestUiRedisTls::sentinelShowsTheMasterAndFollowsAFailover() {
    testsupport::SentinelSetup sentinels;
    const TestCertificates::Pair server = m_certificates.server();
    const testsupport::SentinelSetup::Tls tls{server.certificate, server.key,
                                              m_certificates.caFile()};
    // The sentinels have a password of their own: it comes in with the URL and is used, but
    // never written to the settings.
    QVERIFY2(sentinels.start(&tls, "sentinel-secret"), qPrintable(sentinels.errorString()));
    RedisConnectionConfig config;
    config.name = u"replicated"_s;
    QString error;
    QVERIFY2(config.setFromUrl(sentinels.url(), &error), qPrintable(error));
    QCOMPARE(config.topology, RedisConnectionConfig::Topology::sentinel);
    QCOMPARE(config.sentinelMaster, u"mymaster"_s);
    QCOMPARE(config.sentinelPassword, u"sentinel-secret"_s);
    const QString master = u"127.0.0.1:%1"_s.arg(sentinels.currentMasterPort());

    RedisConnectionDialog dialog;
    dialog.setConfig(config);
    const QString result = runTest(dialog);
    QVERIFY2(result.contains(u"OK"_s), qPrintable(result));
    QVERIFY2(result.contains(u"Sentinel: master &quot;mymaster&quot; is "_s + master),
             qPrintable(result));
    QVERIFY2(result.contains(u"Sentinels asked"_s), qPrintable(result));

    const QString id = m_session->redis()->addConnection(dialog.config());
    RedisConnectionModel* connections = m_session->redis()->connections();
    const auto via = [&] {
        return connections->index(connections->indexOf(id).row(), RedisConnectionModel::ViaColumn)
            .data()
            .toString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(via(), u"TLS \u00b7 sentinel mymaster \u2192 "_s + master, 15000);
    QFile settingsFile(m_directory.filePath(u"settings%1.ini"_s.arg(m_serial)));
    QVERIFY(settingsFile.open(QIODevice::ReadOnly));
    const QByteArray saved = settingsFile.readAll();
    QVERIFY(saved.contains("sentinelMaster=mymaster"));
    QVERIFY(!saved.contains("sentinel-secret"));

    QVERIFY2(sentinels.failover(static_cast<int>(testsupport::timeBound(30000))),
             qPrintable(sentinels.errorString()));
    const QString newMaster = u"127.0.0.1:%1"_s.arg(sentinels.currentMasterPort());
    QVERIFY(newMaster != master);
    QTRY_COMPARE_WITH_TIMEOUT(via(), u"TLS \u00b7 sentinel mymaster \u2192 "_s + newMaster,
                              static_cast<int>(testsupport::timeBound(20000)));
}

QTEST_MAIN(TestUiRedisTls)
#include "tst_ui_redistls.moc"
