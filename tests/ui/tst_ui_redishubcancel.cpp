// RedisHub cancels a scan stuck in a frozen server's reply (SIGSTOP, one-minute timeouts)
// instead of abandoning it: when its connection is removed, when it is edited, and when the
// hub ends (the application quits), the scan's socket to that server is closed at once and
// the hub's pool is joined. So is a scan in an ssh tunnel's login to a bastion that never
// answers.

#include "redisserver.h"
#include "testsupport.h"

#include "session/appsettings.h"
#include "session/redisconnectionconfig.h"
#include "session/redishub.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

/// How many TCP sockets of this process are connected to 127.0.0.1:`port` (from
/// /proc/net/tcp, matched by inode with /proc/self/fd).
int socketsTo(int port) {
    QSet<QByteArray> ours;
    const QDir fds(u"/proc/self/fd"_s);
    for (const QString& name : fds.entryList(QDir::NoDotAndDotDot | QDir::System)) {
        const QString target = QFile::symLinkTarget(fds.filePath(name));
        if (target.contains(u"socket:["_s)) // made absolute by symLinkTarget()
            ours.insert(target.section(u'[', 1).chopped(1).toUtf8());
    }
    QFile table(u"/proc/net/tcp"_s);
    if (!table.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray remote =
        "0100007F:" + QByteArray::number(port, 16).toUpper().rightJustified(4, '0');
    int count = 0;
    table.readLine(); // the header
    while (!table.atEnd()) {
        const QList<QByteArray> fields = table.readLine().simplified().split(' ');
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
        if (fields.size() > 9 && fields[2] == remote && fields[3] == "01" &&
            ours.contains(fields[9]))
            ++count;
    }
    return count;
}

RedisConnectionConfig frozenConfig(const testsupport::RedisServer& server) {
    RedisConnectionConfig config;
    config.name = u"frozen"_s;
    config.host = server.host();
    config.port = server.port();
    // A scan that waited for these would keep its socket for a minute.
    config.connectTimeoutMs = 60000;
    config.commandTimeoutMs = 60000;
    return config;
}

} // namespace

class TestUiRedisHubCancel : public QObject {
    Q_OBJECT

  private slots:
    void init();
    void cleanup();
    void removingConnectionCancelsScan();
    void editingConnectionCancelsScan();
    void endingHubJoinsScans();
    void endingHubJoinsScanInSshLogin();

  private:
    /// Adds the frozen server's connection and waits until its scan sits in the login; false
    /// (with a test failure) when it never connects.
    bool addStuckConnection(QString& id);

    QTemporaryDir m_directory;
    std::unique_ptr<testsupport::RedisServer> m_frozen;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<RedisHub> m_hub;
};

void TestUiRedisHubCancel::init() {
    m_frozen = std::make_unique<testsupport::RedisServer>();
    QVERIFY2(m_frozen->start(), qPrintable(m_frozen->errorString()));
    m_frozen->freeze();
    m_settings = std::make_unique<AppSettings>(m_directory.filePath(u"settings.ini"_s));
    m_hub = std::make_unique<RedisHub>(m_settings.get());
}

void TestUiRedisHubCancel::cleanup() {
    m_hub.reset();
    m_settings.reset();
    m_frozen->thaw();
    m_frozen.reset();
}

bool TestUiRedisHubCancel::addStuckConnection(QString& id) {
    id = m_hub->addConnection(frozenConfig(*m_frozen));
    if (!QTest::qWaitFor([&] { return socketsTo(m_frozen->port()) == 1; },
                         int(testsupport::timeBound(5000)))) {
        qWarning("the scan never connected to the frozen server");
        return false;
    }
    QTest::qWait(200); // well into the login's wait for the reply
    return true;
}

void TestUiRedisHubCancel::removingConnectionCancelsScan() {
    QString id;
    QVERIFY(addStuckConnection(id));
    QElapsedTimer clock;
    clock.start();
    m_hub->removeConnection(id);
    QTRY_VERIFY_WITH_TIMEOUT(socketsTo(m_frozen->port()) == 0, testsupport::timeBound(1000));
    QVERIFY2(clock.elapsed() < testsupport::timeBound(1000),
             qPrintable(QString::number(clock.elapsed())));
}

void TestUiRedisHubCancel::editingConnectionCancelsScan() {
    QString id;
    QVERIFY(addStuckConnection(id));
    RedisConnectionConfig edited = frozenConfig(*m_frozen);
    edited.id = id;
    edited.name = u"frozen, renamed"_s;
    edited.port = testsupport::freeLoopbackPort(); // nobody listens: no new stuck scan
    m_hub->updateConnection(edited);
    QTRY_VERIFY_WITH_TIMEOUT(socketsTo(m_frozen->port()) == 0, testsupport::timeBound(1000));
}

void TestUiRedisHubCancel::endingHubJoinsScans() {
    QString id;
    QVERIFY(addStuckConnection(id));
    QElapsedTimer clock;
    clock.start();
    m_hub.reset();
    const qint64 elapsed = clock.elapsed();
    // Joined, not abandoned: the scan has ended by the time the hub is gone (an abandoned
    // one would keep its socket for the minute of its timeout).
    QCOMPARE(socketsTo(m_frozen->port()), 0);
    QVERIFY2(elapsed < testsupport::timeBound(500), qPrintable(QString::number(elapsed)));
}

void TestUiRedisHubCancel::endingHubJoinsScanInSshLogin() {
    // A connection through an ssh bastion that accepts the TCP connection and never says a
    // word: the scan sits in the ssh login (one-minute connect timeout). Ending the hub
    // cancels that too and joins the scan at once.
    const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(silent >= 0);
    const auto closeSilent = qScopeGuard([&] { ::close(silent); });
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    QCOMPARE(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    QCOMPARE(::listen(silent, 8), 0); // never accepted, never answered
    QCOMPARE(::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length), 0);
    RedisConnectionConfig config = frozenConfig(*m_frozen);
    config.sshDestination = u"ssh://127.0.0.1:%1"_s.arg(ntohs(address.sin_port));
    m_hub->addConnection(config);
    QTest::qWait(int(testsupport::timeBound(1000))); // ssh started, waiting for the banner
    QElapsedTimer clock;
    clock.start();
    m_hub.reset();
    const qint64 elapsed = clock.elapsed();
    QVERIFY2(elapsed < testsupport::timeBound(500), qPrintable(QString::number(elapsed)));
}

QTEST_GUILESS_MAIN(TestUiRedisHubCancel)
#include "tst_ui_redishubcancel.moc"
