// Redis over TLS against a real redis-server with certificates made by `openssl` at test
// time: verification on by default (CA file, CA directory, host name, SNI), client
// certificates, and every bad input named in its error within the connect timeout (unknown
// CA, expired, not yet valid, host name mismatch, a plain port spoken to with TLS, a TLS port
// spoken to in plain text, a client certificate missing or rejected). The locks work over it.

#include "connection.hpp"

#include <portalocker/exceptions.hpp>
#include <portalocker/redislease.hpp>
#include <portalocker/redislock.hpp>
#include <portalocker/redisprobe.hpp>

#include "redisserver.h"
#include "testcertificates.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTest>

#include <memory>

using namespace std::chrono_literals;
using portalocker::errc;
using portalocker::RedisOptions;
using portalocker::redis::Connection;
using testsupport::TestCertificates;
using namespace Qt::Literals::StringLiterals;

namespace {

// argv: channel port cafile timeout hold|try. Debian's portalocker 2.2.1 RedisLock over TLS
// (redis-py ssl=True). Prints LOCKED / ALREADY_LOCKED; on "release" releases, RELEASED.
const char* portalockerTlsScript = R"py(
import sys
import portalocker
lock = portalocker.RedisLock(sys.argv[1], timeout=float(sys.argv[4]), check_interval=0.05,
                             redis_kwargs=dict(host='127.0.0.1', port=int(sys.argv[2]), ssl=True,
                                               ssl_ca_certs=sys.argv[3]))
try:
    lock.acquire()
except portalocker.AlreadyLocked:
    print('ALREADY_LOCKED', flush=True)
    sys.exit(1)
print('LOCKED', flush=True)
if sys.argv[5] == 'hold':
    for line in sys.stdin:
        if line.strip() == 'release':
            break
lock.release()
print('RELEASED', flush=True)
)py";

QString text(const std::string& value) {
    return QString::fromStdString(value);
}

} // namespace

class TestRedisTls : public QObject {
    Q_OBJECT

  private:
    TestCertificates m_certificates;
    testsupport::RedisServer m_server;           // the CA's server certificate, no client certs
    testsupport::RedisServer m_clientAuthServer; // demands a client certificate

    RedisOptions tlsOptions(const testsupport::RedisServer& server) const {
        RedisOptions options = server.options();
        options.port = server.tlsPort();
        options.tls.enabled = true;
        options.tls.ca_file = m_certificates.caFile().toStdString();
        options.connect_timeout = std::chrono::milliseconds(testsupport::timeBound(3000));
        return options;
    }

    // Connecting with `options` fails with `code` and a message containing `cause`, well
    // within the connect timeout.
    void expectFailure(const RedisOptions& options, errc code, const char* cause) {
        Connection connection(options);
        std::error_code ec;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!connection.connect(ec));
        QVERIFY2(ec == code, (ec.message() + ": " + connection.last_error()).c_str());
        QVERIFY2(connection.last_error().find(cause) != std::string::npos,
                 connection.last_error().c_str());
        QVERIFY2(timer.elapsed() <= options.connect_timeout.count() + testsupport::timeBound(1000),
                 qPrintable(QString::number(timer.elapsed())));
        qInfo("%s", connection.last_error().c_str());
        QVERIFY(!connection.connected());
    }

  private slots:
    void initTestCase() {
        QVERIFY2(m_certificates.create(), qPrintable(m_certificates.errorString()));
        auto server = m_certificates.server();
        QVERIFY2(m_server.startTls(server.certificate, server.key, m_certificates.caFile(), false),
                 qPrintable(m_server.errorString()));
        QVERIFY2(m_clientAuthServer.startTls(server.certificate, server.key,
                                             m_certificates.caFile(), true),
                 qPrintable(m_clientAuthServer.errorString()));
    }

    void commandsOverVerifiedTls() {
        Connection connection(tlsOptions(m_server));
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QVERIFY2(text(connection.transport_description()).startsWith(u"TLSv1."),
                 connection.transport_description().c_str());
        connection.command({"SET", "tls:key", "value"}, ec);
        QVERIFY2(!ec, connection.last_error().c_str());
        // A reply larger than one TLS record, so that it arrives in pieces.
        std::string large(100000, 'x');
        connection.command({"SET", "tls:large", large}, ec);
        QVERIFY(!ec);
        auto reply = connection.command({"GET", "tls:large"}, ec);
        QVERIFY(!ec);
        QCOMPARE(reply.text.size(), large.size());
        // A pipeline too.
        std::vector<portalocker::redis::Command> commands(50, {"GET", "tls:key"});
        auto replies = connection.pipeline(commands, ec);
        QVERIFY(!ec);
        QCOMPARE(replies.size(), std::size_t(50));
        QCOMPARE(text(replies.back().text), u"value"_s);
        // The plain port sees the same data: it is the same server.
        QCOMPARE(m_server.command("GET tls:key").text, QByteArray("value"));
    }

    void caDirectoryAndHostName() {
        RedisOptions options = tlsOptions(m_server);
        options.tls.ca_file.clear();
        options.tls.ca_dir = m_certificates.caDirectory().toStdString();
        options.host = "localhost"; // the certificate names localhost as well
        Connection connection(options);
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QCOMPARE(text(connection.command({"PING"}, ec).text), u"PONG"_s);
    }

    void systemTrustStoreDoesNotKnowTheTestCa() {
        RedisOptions options = tlsOptions(m_server);
        options.tls.ca_file.clear();
        expectFailure(options, errc::tls_failed, "not signed by a trusted CA");
        expectFailure(options, errc::tls_failed, "system trust store");
    }

    void badServerCertificates_data() {
        QTest::addColumn<QString>("which");
        QTest::addColumn<QString>("cause");
        QTest::newRow("unknown CA") << u"unknownca"_s << u"unknown CA"_s;
        QTest::newRow("expired") << u"expired"_s << u"has expired"_s;
        QTest::newRow("not yet valid") << u"future"_s << u"not valid yet"_s;
        QTest::newRow("host name mismatch") << u"wrongname"_s << u"host name mismatch"_s;
    }
    void badServerCertificates() {
        QFETCH(QString, which);
        QFETCH(QString, cause);
        TestCertificates::Pair pair = which == u"unknownca"_s ? m_certificates.unknownCaServer()
                                      : which == u"expired"_s ? m_certificates.expiredServer()
                                      : which == u"future"_s  ? m_certificates.futureServer()
                                                              : m_certificates.wrongNameServer();
        testsupport::RedisServer server;
        QVERIFY2(server.startTls(pair.certificate, pair.key, m_certificates.caFile(), false),
                 qPrintable(server.errorString()));
        expectFailure(tlsOptions(server), errc::tls_failed, cause.toUtf8().constData());
        // --insecure accepts any of them (and is the caller's to warn about).
        RedisOptions insecure = tlsOptions(server);
        insecure.tls.verify = false;
        Connection connection(insecure);
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
    }

    void sniNamesTheExpectedHost() {
        auto pair = m_certificates.wrongNameServer();
        testsupport::RedisServer server;
        QVERIFY2(server.startTls(pair.certificate, pair.key, m_certificates.caFile(), false),
                 qPrintable(server.errorString()));
        RedisOptions options = tlsOptions(server);
        options.tls.sni = "elsewhere.example";
        Connection connection(options);
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        options.tls.sni = "other.example";
        expectFailure(options, errc::tls_failed, "'other.example'");
    }

    void tlsSpokenToAPlainPort() {
        RedisOptions options = tlsOptions(m_server);
        options.port = m_server.port();
        options.connect_timeout = std::chrono::milliseconds(testsupport::timeBound(1500));
        Connection connection(options);
        std::error_code ec;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!connection.connect(ec));
        // Either the server's plain-text answer or its silence is named as such.
        QVERIFY2(ec == errc::tls_failed || ec == errc::timeout, ec.message().c_str());
        QVERIFY2(connection.last_error().find("does not speak TLS") != std::string::npos ||
                     connection.last_error().find("check that this port speaks TLS") !=
                         std::string::npos,
                 connection.last_error().c_str());
        QVERIFY(timer.elapsed() <= options.connect_timeout.count() + testsupport::timeBound(1000));
    }

    // OpenSSL stays usable while the process exits: a thread still inside a TLS call then
    // (a pool thread Qt has let go of, lockctl's acquirer left on Ctrl-C) meets the server's
    // error, not a torn-down OpenSSL (and under LeakSanitizer leaves no thread state behind).
    void tlsStillWorksWhileTheProcessExits() {
        QProcess helper;
        helper.start(testsupport::programPath("LOCKSCOPE_TLSEXITHELPER"),
                     {QString::number(m_server.port())});
        QVERIFY2(helper.waitForFinished(int(testsupport::timeBound(30000))),
                 qPrintable(helper.errorString()));
        const QString output = QString::fromUtf8(helper.readAllStandardOutput());
        const QString errors = QString::fromUtf8(helper.readAllStandardError());
        QCOMPARE(helper.exitStatus(), QProcess::NormalExit);
        QVERIFY2(helper.exitCode() == 0, qPrintable(output + errors));
        const QStringList lines = output.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY2(lines[0].startsWith(u"main: "_s), qPrintable(output));
        QVERIFY2(lines[1].startsWith(u"thread: "_s), qPrintable(output));
        QVERIFY2(lines[2].startsWith(u"exit: "_s), qPrintable(output));
        for (const QString& line : lines) {
            QVERIFY2(line.contains(u"does not speak TLS"_s) ||
                         line.contains(u"check that this port speaks TLS"_s),
                     qPrintable(line));
            QVERIFY2(!line.contains(u"OpenSSL"_s), qPrintable(line));
        }
    }

    void plainSpokenToATlsPort_data() {
        QTest::addColumn<bool>("withPassword");
        QTest::newRow("no login") << false;
        QTest::newRow("AUTH at login") << true;
    }
    void plainSpokenToATlsPort() {
        QFETCH(bool, withPassword);
        RedisOptions options = m_server.options();
        options.port = m_server.tlsPort();
        if (withPassword)
            options.password = "secret";
        Connection connection(options);
        std::error_code ec;
        // Without a login nothing is sent at connect; the first command meets the refusal.
        if (connection.connect(ec))
            connection.command({"PING"}, ec);
        QVERIFY(ec);
        QVERIFY2(connection.last_error().find("expects TLS") != std::string::npos,
                 connection.last_error().c_str());
    }

    void clientCertificates() {
        RedisOptions options = tlsOptions(m_clientAuthServer);
        expectFailure(options, errc::tls_failed, "requires a client certificate");

        auto client = m_certificates.client();
        options.tls.cert_file = client.certificate.toStdString();
        options.tls.key_file = client.key.toStdString();
        Connection connection(options);
        std::error_code ec;
        QVERIFY2(connection.connect(ec), connection.last_error().c_str());
        QCOMPARE(text(connection.command({"PING"}, ec).text), u"PONG"_s);

        auto stranger = m_certificates.unknownCaClient();
        options.tls.cert_file = stranger.certificate.toStdString();
        options.tls.key_file = stranger.key.toStdString();
        expectFailure(options, errc::tls_failed, "rejected the client certificate");
    }

    void unusableFiles() {
        RedisOptions options = tlsOptions(m_server);
        options.tls.ca_file = "/nonexistent/ca.pem";
        expectFailure(options, errc::tls_failed,
                      "cannot load the CA certificates from "
                      "'/nonexistent/ca.pem'");
        options = tlsOptions(m_server);
        options.tls.cert_file = m_certificates.client().certificate.toStdString();
        expectFailure(options, errc::tls_failed, "needs its private key (--key)");
        options.tls.key_file = m_certificates.server().key.toStdString();
        expectFailure(options, errc::tls_failed, "does not belong to the certificate");
    }

    void locksOverTls() {
        RedisOptions options = tlsOptions(m_server);
        portalocker::RedisLease lease("tls:lease", options);
        std::error_code ec;
        QVERIFY2(lease.try_lock(ec), ec.message().c_str());
        QVERIFY(lease.fencing_token() > 0);
        portalocker::RedisLease other("tls:lease", options);
        QVERIFY(!other.try_lock(ec));
        QVERIFY(!ec);
        lease.unlock();
        QVERIFY(other.try_lock(ec));
        other.unlock();

        portalocker::RedisLock lock("tls:channel", options);
        QVERIFY(lock.try_lock(ec));
        portalocker::RedisLock rival("tls:channel", options);
        QVERIFY(!rival.try_lock(ec));
        QVERIFY(!ec);
        lock.unlock();
        QVERIFY(rival.try_lock(ec));
        rival.unlock();
    }

    void probeReportsWhatItReached() {
        std::error_code ec;
        std::string why;
        auto probe = portalocker::probe_redis(tlsOptions(m_server), ec, &why);
        QVERIFY2(!ec, why.c_str());
        QVERIFY2(text(probe.transport).startsWith(u"TLSv1."), probe.transport.c_str());
        QVERIFY2(text(probe.server_version).contains(u'.'), probe.server_version.c_str());
        QCOMPARE(text(probe.role), u"master"_s);
        QCOMPARE(text(probe.mode), u"standalone"_s);
        QVERIFY(probe.round_trip.count() > 0);
        QVERIFY(probe.warnings.empty());
        RedisOptions insecure = tlsOptions(m_server);
        insecure.tls.verify = false;
        probe = portalocker::probe_redis(insecure, ec, &why);
        QVERIFY(!ec);
        QCOMPARE(probe.warnings.size(), std::size_t(1));
        QVERIFY(text(probe.warnings.front()).contains(u"--insecure"_s));
        // A failure says why, as connecting does.
        RedisOptions untrusted = tlsOptions(m_server);
        untrusted.tls.ca_file = m_certificates.otherCaFile().toStdString();
        probe = portalocker::probe_redis(untrusted, ec, &why);
        QVERIFY(ec == errc::tls_failed);
        QVERIFY2(why.find("unknown CA") != std::string::npos, why.c_str());
    }

    void pythonPortalockerOverTls() {
        const QString python = u"/usr/bin/python3"_s;
        const QString port = QString::number(m_server.tlsPort());
        const std::string channel = "tls-interop";
        RedisOptions options = tlsOptions(m_server);
        portalocker::RedisLockOptions fast;
        fast.check_interval = 50ms;
        fast.unavailable_timeout = 500ms;
        {
            testsupport::ChildProcess holder;
            QVERIFY(holder.start(python, {u"-c"_s, QString::fromUtf8(portalockerTlsScript),
                                          QString::fromStdString(channel), port,
                                          m_certificates.caFile(), u"5"_s, u"hold"_s}));
            QCOMPARE(holder.readLine(int(testsupport::timeBound(20000))), u"LOCKED"_s);
            portalocker::RedisLock lock(channel, options, fast);
            QVERIFY(!lock.try_lock_for(300ms));
            holder.writeLine(u"release"_s);
            QCOMPARE(holder.readLine(int(testsupport::timeBound(10000))), u"RELEASED"_s);
            QVERIFY(lock.try_lock_for(5s));
            // Ours over TLS blocks Python's over TLS.
            testsupport::ChildProcess contender;
            QVERIFY(contender.start(python, {u"-c"_s, QString::fromUtf8(portalockerTlsScript),
                                             QString::fromStdString(channel), port,
                                             m_certificates.caFile(), u"0.5"_s, u"try"_s}));
            QCOMPARE(contender.readLine(int(testsupport::timeBound(20000))), u"ALREADY_LOCKED"_s);
            QVERIFY(!lock.lost());
            lock.unlock();
        }
    }

    void lockctlOverTls() {
        const QString lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
        const QString url = u"rediss://127.0.0.1:"_s + QString::number(m_server.tlsPort());
        auto run = [&](const QStringList& arguments, QString& errors) {
            QProcess process;
            process.start(lockctl, arguments);
            if (!process.waitForFinished(int(testsupport::timeBound(20000))))
                return -1;
            errors = QString::fromUtf8(process.readAllStandardError());
            return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        };
        QString errors;
        QCOMPARE(run({u"redis"_s, u"--url"_s, url, u"--cacert"_s, m_certificates.caFile(),
                      u"hold"_s, u"tls:cli"_s, u"--lease"_s, u"5000"_s, u"--"_s, u"true"_s},
                     errors),
                 0);
        QVERIFY2(!errors.contains(u"warning"_s), qPrintable(errors));
        // --tls with a redis:// URL, and a client certificate.
        auto client = m_certificates.client();
        const QString plainUrl =
            u"redis://127.0.0.1:"_s + QString::number(m_clientAuthServer.tlsPort());
        QCOMPARE(
            run({u"redis"_s, u"--url"_s, plainUrl, u"--tls"_s, u"--cacert"_s,
                 m_certificates.caFile(), u"--cert"_s, client.certificate, u"--key"_s, client.key,
                 u"hold"_s, u"tls:cli"_s, u"--lease"_s, u"5000"_s, u"--"_s, u"true"_s},
                errors),
            0);
        // Unverifiable: refused with the cause; --insecure passes with a warning.
        QCOMPARE(run({u"redis"_s, u"--url"_s, url, u"hold"_s, u"tls:cli"_s, u"--lease"_s, u"5000"_s,
                      u"--"_s, u"true"_s},
                     errors),
                 3);
        QVERIFY2(errors.contains(u"not signed by a trusted CA"_s), qPrintable(errors));
        QCOMPARE(run({u"redis"_s, u"--url"_s, url, u"--insecure"_s, u"hold"_s, u"tls:cli"_s,
                      u"--lease"_s, u"5000"_s, u"--"_s, u"true"_s},
                     errors),
                 0);
        QVERIFY2(errors.contains(u"warning: --insecure"_s), qPrintable(errors));
        // Read-only: holding is refused, nothing is taken.
        QVERIFY(run({u"redis"_s, u"--url"_s, url, u"--cacert"_s, m_certificates.caFile(),
                     u"--readonly"_s, u"hold"_s, u"tls:ro"_s, u"--lease"_s, u"5000"_s, u"--"_s,
                     u"true"_s},
                    errors) != 0);
        QVERIFY2(errors.contains(u"read-only"_s), qPrintable(errors));
        QCOMPARE(m_server.command("EXISTS tls:ro").integer, 0);
    }

    void cleanupTestCase() {
        m_server.stop();
        m_clientAuthServer.stop();
    }
};

QTEST_GUILESS_MAIN(TestRedisTls)
#include "tst_redistls.moc"
