// "Install lockctl there" (issue 13): a host without lockctl gets this build's, over a real
// ssh, after its machine and C library were checked; a foreign machine, another C library or
// an older glibc is refused with the reason and nothing is copied; a copy that cannot run
// there is removed again, with the loader's words; once installed the host connects.

#include "remotehosts.h"
#include "testsupport.h"

#include "workers/hostconnection.h"
#include "workers/lockctlinstaller.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestRemoteInstall : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase();
    void cleanupTestCase() { m_hosts.stop(); }
    void probeAnswers_data();
    void probeAnswers();
    void installsAndConnects();
    void foreignMachineRefused();
    void copyThatCannotRunIsRemoved();

  private:
    /// Runs an installer to its end; {installed, message}.
    std::pair<bool, QString> install(const QString& destination, const QString& lockctl);

    RemoteHosts m_hosts;
    QString m_lockctl;
};

void TestRemoteInstall::initTestCase() {
    m_lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
    QVERIFY2(m_hosts.start(m_lockctl), qPrintable(m_hosts.error()));
}

void TestRemoteInstall::probeAnswers_data() {
    QTest::addColumn<QString>("output");
    QTest::addColumn<QString>("refusal"); // a word of it, "" for none
    const QString machine = LockctlInstaller::localMachine();
    const QString glibc = LockctlInstaller::localGlibc();
    QTest::newRow("same") << machine + u"\nglibc "_s + glibc + u"\n"_s << QString();
    QTest::newRow("newer glibc") << machine + u"\nglibc 9.99\n"_s << QString();
    QTest::newRow("ldd's words") << machine + u"\nldd (Debian GLIBC 9.1-1) 9.1\n"_s << QString();
    QTest::newRow("older glibc") << machine + u"\nglibc 2.17\n"_s << u"glibc 2.17"_s;
    QTest::newRow("musl") << machine + u"\nmusl libc (x86_64)\n"_s << u"musl"_s;
    QTest::newRow("other machine") << u"riscv64\nglibc 9.0\n"_s << u"riscv64"_s;
    QTest::newRow("no answer") << QString() << u"uname -m"_s;
}

void TestRemoteInstall::probeAnswers() {
    QFETCH(QString, output);
    QFETCH(QString, refusal);
    const QString why =
        LockctlInstaller::refusal(u"db-02"_s, LockctlInstaller::parseProbe(output),
                                  LockctlInstaller::localMachine(), LockctlInstaller::localGlibc());
    if (refusal.isEmpty())
        QVERIFY2(why.isEmpty(), qPrintable(why));
    else
        QVERIFY2(why.contains(refusal) && why.contains(u"db-02"_s), qPrintable(why));
}

std::pair<bool, QString> TestRemoteInstall::install(const QString& destination,
                                                    const QString& lockctl) {
    LockctlInstaller installer(destination, lockctl, m_hosts.machine().sshCommand());
    QSignalSpy finished(&installer, &LockctlInstaller::finished);
    installer.start();
    if (finished.isEmpty() && !finished.wait(testsupport::timeBound(60000)))
        return {false, u"the installer did not finish"_s};
    return {finished.front().at(0).toBool(), finished.front().at(1).toString()};
}

void TestRemoteInstall::installsAndConnects() {
    // Before: the host has none, and says so.
    HostConnection before(u"installable"_s);
    before.setSshCommand(m_hosts.machine().sshCommand());
    before.start();
    QTRY_COMPARE_WITH_TIMEOUT(before.failure(), HostConnection::Failure::NotInstalled,
                              testsupport::timeBound(30000));
    before.stop();

    const auto [installed, message] = install(u"installable"_s, m_lockctl);
    QVERIFY2(installed, qPrintable(message));
    const QString copy = m_hosts.scratch(u"install-home/.cache/lockscope/lockctl"_s);
    QVERIFY2(message.contains(copy), qPrintable(message));
    QVERIFY(QFileInfo(copy).isExecutable());
    QCOMPARE(QFileInfo(copy).size(), QFileInfo(m_lockctl).size());
    QCOMPARE(QDir(QFileInfo(copy).absolutePath()).entryList(QDir::Files),
             QStringList{u"lockctl"_s});

    // After: the same host connects and streams snapshots.
    HostConnection after(u"installable"_s);
    after.setSshCommand(m_hosts.machine().sshCommand());
    after.start();
    QTRY_COMPARE_WITH_TIMEOUT(after.state(), HostConnection::State::Connected,
                              testsupport::timeBound(30000));
    after.stop();
}

void TestRemoteInstall::foreignMachineRefused() {
    const auto [installed, message] = install(u"foreign"_s, m_lockctl);
    QVERIFY(!installed);
    QVERIFY2(message.contains(u"aarch64"_s) && message.contains(u"foreign"_s), qPrintable(message));
    QVERIFY(!QFileInfo::exists(m_hosts.scratch(u"foreign-home/.cache"_s))); // nothing copied
}

void TestRemoteInstall::copyThatCannotRunIsRemoved() {
    // A "build" the host cannot run (here: not a program at all, as a missing library would
    // be): refused there in the loader's words, and no broken lockctl is left behind.
    QTemporaryDir local;
    QFile broken(local.filePath(u"lockctl"_s));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write(QByteArray(4096, '\x7f'));
    broken.close();
    QVERIFY(broken.setPermissions(QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    const auto [installed, message] = install(u"bare"_s, broken.fileName());
    QVERIFY(!installed);
    QVERIFY2(message.contains(u"does not run on"_s), qPrintable(message));
    const QDir cache(m_hosts.scratch(u"empty/.cache/lockscope"_s));
    QVERIFY2(cache.entryList(QDir::Files).isEmpty(),
             qPrintable(cache.entryList(QDir::Files).join(u' ')));
}

QTEST_GUILESS_MAIN(TestRemoteInstall)
#include "tst_remote_install.moc"
