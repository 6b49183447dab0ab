// The sentinels' own password is remembered across sessions the way the server's password is
// (issue #12): with "Remember password", RedisHub puts it in the system keychain (an entry of
// its own beside the server's), never in the settings file, and the next session's RedisHub
// reads both before its monitor starts. Without "remember" nothing is kept. ctest runs this
// suite in a private D-Bus session with gnome-keyring unlocked (keychainsession.sh), as it
// does tst_ui_passwordstore.

#include "session/appsettings.h"
#include "session/redishub.h"
#include "workers/passwordstore.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestSentinelPassword : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase() {
        QVERIFY(PasswordStore::keychainCompiledIn());
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through ctest: it starts a D-Bus session with a keyring");
    }

    void rememberedAcrossSessions_data() {
        QTest::addColumn<bool>("remember");
        QTest::newRow("remember") << true;
        QTest::newRow("session only") << false;
    }
    void rememberedAcrossSessions() {
        QFETCH(bool, remember);
        QTemporaryDir directory;
        const QString file = directory.filePath(u"settings.ini"_s);
        RedisConnectionConfig config;
        config.name = u"sentinels"_s;
        config.topology = RedisConnectionConfig::Topology::sentinel;
        config.sentinelMaster = u"mymaster"_s;
        // Nothing listens there: the monitors' scans fail, which does not matter here.
        config.sentinels = u"127.0.0.1:9"_s;
        config.password = u"server-secret"_s;
        config.sentinelPassword = u"sentinel s\u00e9cret"_s;
        config.rememberPassword = remember;
        QString id;
        {
            AppSettings settings(file);
            RedisHub hub(&settings);
            id = hub.addConnection(config);
            // Both keychain writes are done when a read of the sentinel entry sees them.
            PasswordStore probe;
            QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    QSignalSpy read(&probe, &PasswordStore::readFinished);
                    probe.read(id + u"/sentinel"_s);
                    return read.wait(10000) && read.at(0).at(1).toString() ==
                                                   (remember ? config.sentinelPassword : QString());
                }(),
                15000);
        }
        // The settings file holds neither password.
        QFile written(file);
        QVERIFY(written.open(QIODevice::ReadOnly));
        const QByteArray text = written.readAll();
        QVERIFY2(!text.contains("secret") && !text.contains("s\\xe9cret"), text.constData());

        AppSettings settings(file);
        RedisHub hub(&settings);
        hub.start();
        RedisMonitor* monitor = hub.monitor(id);
        QVERIFY(monitor);
        if (remember) {
            QTRY_COMPARE_WITH_TIMEOUT(hub.configs().value(0).sentinelPassword,
                                      config.sentinelPassword, 15000);
            QCOMPARE(hub.configs().value(0).password, config.password);
        } else {
            QTest::qWait(200);
            QCOMPARE(hub.configs().value(0).sentinelPassword, QString());
            QCOMPARE(hub.configs().value(0).password, QString());
        }
        hub.removeConnection(id);
    }
};

QTEST_GUILESS_MAIN(TestSentinelPassword)
#include "tst_ui_sentinelpassword.moc"
