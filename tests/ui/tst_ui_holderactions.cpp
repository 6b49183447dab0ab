// Acting on a holder from the GUI: the confirmation shows the full command line, user and
// the lock; Enter does not signal (Cancel is the default); a refused signal stays on screen
// with its reason and is reported once.

#include "models/filelockrow.h"
#include "widgets/locksignaldialog.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestUiHolderActions : public QObject {
    Q_OBJECT
  private slots:
    void enterDoesNotSignal();
    void refusalStaysOnScreen();

  private:
    static FileLockRow lockRow() {
        FileLockRow lock;
        lock.id = u"FLOCK 254:0:1 0-EOF WRITE 1"_s;
        lock.path = u"/tmp/tst_ui_holderactions-not-locked.lock"_s;
        lock.pathKnown = true;
        lock.kind = u"flock"_s;
        lock.mode = u"write"_s;
        return lock;
    }
    static ProcessRow processRow() {
        ProcessRow process;
        process.pid = QCoreApplication::applicationPid(); // never signalled: it holds nothing
        process.command = u"tst_ui_holder"_s;
        process.commandLine = u"/usr/bin/backup --really-long-argument-list /var/data"_s;
        process.user = u"alice"_s;
        process.state = u"stopped"_s;
        return process;
    }
    QTemporaryDir m_dir;
};

void TestUiHolderActions::enterDoesNotSignal() {
    auto* dialog =
        new LockSignalDialog(lockRow(), processRow(), true, portalocker::inspect::LockSignal::kill,
                             m_dir.filePath(u"audit.jsonl"_s));
    QSignalSpy signalled(dialog, &LockSignalDialog::signalled);
    QSignalSpy rejected(dialog, &QDialog::rejected);
    const QString text = dialog->confirmationText();
    QVERIFY2(text.contains(u"--really-long-argument-list /var/data"_s), qPrintable(text));
    QVERIFY(text.contains(u"alice"_s));
    QVERIFY(text.contains(u"/tmp/tst_ui_holderactions-not-locked.lock"_s));
    QVERIFY(text.contains(u"SIGKILL"_s));
    dialog->open();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    QTest::keyClick(dialog, Qt::Key_Return);
    QCOMPARE(rejected.count(), 1);
    QTest::qWait(200);
    QCOMPARE(signalled.count(), 0);
}

void TestUiHolderActions::refusalStaysOnScreen() {
    auto* dialog = new LockSignalDialog(lockRow(), processRow(), true,
                                        portalocker::inspect::LockSignal::terminate,
                                        m_dir.filePath(u"audit.jsonl"_s));
    QSignalSpy signalled(dialog, &LockSignalDialog::signalled);
    dialog->open();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    dialog->sendButton()->click();
    QVERIFY(signalled.wait(30000));
    const auto outcome = signalled.front().at(3).value<LockSignalOutcome>();
    QVERIFY(!outcome.sent);
    QCOMPARE(outcome.resultName, u"not-related"_s);
    QVERIFY(outcome.auditLogged);
    QVERIFY(dialog->isVisible()); // the outcome stays until the operator closes it
    QVERIFY(!dialog->sendButton()->isVisible());
    dialog->close();
}

QTEST_MAIN(TestUiHolderActions)
#include "tst_ui_holderactions.moc"
