// PasswordStore against a real Secret Service: ctest runs this suite in a D-Bus session of
// its own with gnome-keyring's secrets component unlocked in a temporary home (see
// keychainsession.sh), so a password really goes into a keychain and comes back. The
// "noKeychain" run points the session bus at nothing: the store must then fail with a
// message (and the caller keeps the password for the session only).

#include "workers/passwordstore.h"

#include <QSignalSpy>
#include <QTest>
#include <QUuid>

class TestPasswordStore : public QObject {
    Q_OBJECT
  private slots:
    void builtWithKeychain() { QVERIFY(PasswordStore::keychainCompiledIn()); }

    void writeReadRemove() {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
                 "run through ctest: it starts a D-Bus session with a keyring");
        PasswordStore store;
        const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        const QString password = QStringLiteral("s3cr\u00e9t with spaces & \"quotes\"");

        QSignalSpy written(&store, &PasswordStore::writeFinished);
        store.write(id, password);
        QVERIFY(written.wait(10000));
        QCOMPARE(written.at(0).at(0).toString(), id);
        QVERIFY2(written.at(0).at(1).toString().isEmpty(),
                 qPrintable(written.at(0).at(1).toString()));

        QSignalSpy read(&store, &PasswordStore::readFinished);
        store.read(id);
        QVERIFY(read.wait(10000));
        QVERIFY2(read.at(0).at(2).toString().isEmpty(), qPrintable(read.at(0).at(2).toString()));
        QCOMPARE(read.at(0).at(1).toString(), password);

        // Another connection's entry is not this one's.
        read.clear();
        store.read(id + QStringLiteral("-other"));
        QVERIFY(read.wait(10000));
        QCOMPARE(read.at(0).at(1).toString(), QString());
        QCOMPARE(read.at(0).at(2).toString(), QString()); // not found is not an error

        store.remove(id);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QSignalSpy again(&store, &PasswordStore::readFinished);
                store.read(id);
                return again.wait(10000) && again.at(0).at(1).toString().isEmpty() &&
                       again.at(0).at(2).toString().isEmpty();
            }(),
            10000);
    }

    void noKeychain() {
        PasswordStore store;
        QSignalSpy written(&store, &PasswordStore::writeFinished);
        store.write(QStringLiteral("nowhere"), QStringLiteral("pw"));
        QVERIFY(written.wait(30000));
        const QString error = written.at(0).at(1).toString();
        QVERIFY2(!error.isEmpty(), "a write without any keychain must fail with a message");
        qInfo("without a keychain: %s", qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestPasswordStore)
#include "tst_ui_passwordstore.moc"
