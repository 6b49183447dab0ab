// The connection dialog's SSH page (issue #12), against a redis-server on 127.0.0.1 reached
// through the test's own sshd (LOCKSCOPE_SSH_COMMAND points at its client configuration):
// Test says "via ssh DEST" and what it reached, a refused key fails Test in ssh's words, the
// destination survives the settings file and the URL, and one ssh would read as an option is
// refused.

#include "redisserver.h"
#include "sshserver.h"

#include "models/redisconnectionmodel.h"
#include "session/appsettings.h"
#include "widgets/redisconnectiondialog.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestUiRedisTunnel : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase() {
        QVERIFY2(m_ssh.start({{u"bastion"_s, {}}}), qPrintable(m_ssh.errorString()));
        qputenv("LOCKSCOPE_SSH_COMMAND", m_ssh.sshCommand().toLocal8Bit());
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    }

    void testSaysViaSsh() {
        RedisConnectionDialog dialog;
        dialog.setConfig(config(u"bastion"_s));
        dialog.showSshPage();
        auto* tabs = dialog.findChild<QTabWidget*>();
        QVERIFY(tabs);
        QCOMPARE(tabs->tabText(tabs->currentIndex()), u"SSH \u2713"_s);
        const QString result = runTest(dialog);
        QVERIFY2(result.contains(u"OK"_s) && result.contains(u"via ssh bastion"_s) &&
                     result.contains(u"Transport: plain via ssh bastion"_s),
                 qPrintable(result));
        QCOMPARE(dialog.config().sshDestination, u"bastion"_s);
        // With LOCKSCOPE_SCREENSHOT_DIR set, a picture of the page to look at by eye.
        const QString pictures = qEnvironmentVariable("LOCKSCOPE_SCREENSHOT_DIR");
        if (!pictures.isEmpty())
            dialog.grab().save(pictures + u"/redis-ssh-page.png"_s);
    }

    void refusedKeyFailsTestInSshsWords() {
        RedisConnectionDialog dialog;
        dialog.setConfig(config(u"bastion-refused"_s));
        const QString result = runTest(dialog);
        QVERIFY2(result.contains(u"Failed"_s) && result.contains(u"Permission denied"_s) &&
                     result.contains(u"ssh bastion-refused"_s),
                 qPrintable(result));
    }

    void destinationIsKeptAndShown() {
        QTemporaryDir directory;
        RedisConnectionConfig entered = config(u"ops@bastion"_s);
        entered.id = u"tunnel-1"_s;
        {
            AppSettings settings(directory.filePath(u"settings.ini"_s));
            settings.setConnections({entered}, {});
        }
        AppSettings reread(directory.filePath(u"settings.ini"_s));
        QCOMPARE(reread.connections().value(0).sshDestination, u"ops@bastion"_s);
        // The URL carries it (ssh=), and pasting the URL into the dialog fills the SSH page.
        QVERIFY2(entered.url().contains(u"ssh=ops%40bastion"_s), qPrintable(entered.url()));
        RedisConnectionDialog dialog;
        const QList<QLineEdit*> edits = dialog.findChildren<QLineEdit*>();
        // The URL field is the one whose placeholder shows URLs.
        QLineEdit* urlField = nullptr;
        for (QLineEdit* edit : edits)
            if (edit->placeholderText().startsWith(u"redis://"_s))
                urlField = edit;
        QVERIFY(urlField);
        urlField->setText(entered.url());
        QTest::keyClick(urlField, Qt::Key_Return);
        QCOMPARE(dialog.config().sshDestination, u"ops@bastion"_s);
        // A destination that ssh would read as an option is refused on Save.
        RedisConnectionConfig bad = config(u"-oProxyCommand=x"_s);
        dialog.setConfig(bad);
        dialog.accept();
        QVERIFY(dialog.result() != QDialog::Accepted);
    }

  private:
    RedisConnectionConfig config(const QString& destination) const {
        RedisConnectionConfig config;
        config.name = u"behind a bastion"_s;
        config.host = u"127.0.0.1"_s;
        config.port = m_server.port();
        config.sshDestination = destination;
        config.connectTimeoutMs = 8000;
        config.commandTimeoutMs = 8000;
        return config;
    }

    static QString runTest(RedisConnectionDialog& dialog) {
        dialog.test();
        if (!QTest::qWaitFor([&dialog] { return dialog.testButton()->isEnabled(); }, 30000))
            return u"(Test did not finish)"_s;
        return dialog.testResult()->text();
    }

    testsupport::SshServer m_ssh;
    testsupport::RedisServer m_server;
};

QTEST_MAIN(TestUiRedisTunnel)
#include "tst_ui_redistunnel.moc"
