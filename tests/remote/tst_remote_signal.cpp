// Acting on a remote holder (issue #13): the signal dialog on a lock of the second host
// ("other": its own pid namespace, over a real sshd) goes through that host's
// `lockctl signal PID --lock PATH --json`. The same file is also held (shared) by a process of
// this computer: the remote holder ends, this computer's does not. The confirmation names
// the host, the activity log reads "operator @ other", and this computer's audit file has
// the attempt naming the host. The File locks page opens the dialog wired that way from a
// remote row's details link. A remote row without a host command is refused, not signalled
// here.

#include "models/eventlogmodel.h"
#include "models/filelockmodel.h"
#include "remotehosts.h"
#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "session/remotehub.h"
#include "testsupport.h"
#include "session/redishub.h"
#include "widgets/filelockspage.h"
#include "widgets/lockdetailsview.h"
#include "widgets/locksignaldialog.h"
#include "workers/hostconnection.h"

#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

const FileLockRow* lockOn(const FileLockModel& model, const QString& host, const QString& path) {
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex index = model.index(row, 0);
        if (!index.data(FileLockModel::IsWaiterRole).toBool() &&
            index.data(FileLockModel::HostRole).toString() == host &&
            index.data(FileLockModel::PathRole).toString() == path)
            return model.lockAt(index);
    }
    return nullptr;
}

bool eventLogContains(const EventLogModel& log, const QString& text) {
    for (int row = 0; row < log.rowCount(); ++row)
        if (log.index(row, 0).data(EventLogModel::SearchTextRole).toString().contains(text))
            return true;
    return false;
}

/// An operator's action logged with `host` in the activity log's Host column data.
bool operatorActionOn(const EventLogModel& log, const QString& host) {
    for (int row = 0; row < log.rowCount(); ++row) {
        const EventRow* event = log.eventAt(log.index(row, 0));
        if (event->kind == EventRow::Kind::operatorAction && event->host == host)
            return true;
    }
    return false;
}

} // namespace

class TestRemoteSignal : public RemoteHostsTest {
    Q_OBJECT

  private slots:
    void terminateARemoteHolder() {
        const QString path = m_hosts.scratch(u"signal-remote.lock"_s);
        testsupport::ChildProcess remoteHolder, localHolder;
        QString why;
        QVERIFY2(m_hosts.holdOnOtherHost(m_lockctl, path, true, remoteHolder, why),
                 qPrintable(why));
        QVERIFY(localHolder.start(m_lockctl, {u"hold"_s, path, u"--shared"_s, u"--"_s, u"sh"_s,
                                              u"-c"_s, u"echo HELD; exec sleep 600"_s}));
        QCOMPARE(localHolder.readLine(), u"HELD"_s);

        AppSettings settings(m_directory.filePath(u"settings.ini"_s));
        InspectorSession session(&settings);
        QString error;
        QVERIFY2(session.remote()->addHost(u"other"_s, &error), qPrintable(error));
        session.start();
        const int bound = static_cast<int>(testsupport::timeBound(30000));
        FileLockModel& model = *session.fileLocks();
        QTRY_VERIFY_WITH_TIMEOUT(lockOn(model, u"other"_s, path) &&
                                     !lockOn(model, u"other"_s, path)->holders.isEmpty(),
                                 bound);
        const FileLockRow remoteLock = *lockOn(model, u"other"_s, path);
        const ProcessRow holder = *remoteLock.holders.front().process;

        const QString auditFile = m_directory.filePath(u"audit.jsonl"_s);
        auto* dialog = new LockSignalDialog(remoteLock, holder, true,
                                            inspect::LockSignal::terminate, auditFile);
        QVERIFY2(dialog->confirmationText().contains(u"other"_s) &&
                     dialog->windowTitle().contains(u"on other"_s),
                 qPrintable(dialog->confirmationText()));
        HostConnection* host = session.remote()->host(u"other"_s);
        QVERIFY(host);
        dialog->setRemoteCommand(host->lockctlCommand(dialog->remoteArguments()));
        connect(dialog, &LockSignalDialog::signalled, &session, &InspectorSession::logLockSignal);
        QSignalSpy signalled(dialog, &LockSignalDialog::signalled);
        dialog->sendButton()->click();
        QVERIFY(signalled.wait(bound));
        const auto outcome = signalled.at(0).at(3).value<LockSignalOutcome>();
        QVERIFY2(outcome.sent, qPrintable(outcome.resultName + u": "_s + outcome.message));
        QCOMPARE(outcome.host, u"other"_s);
        QVERIFY2(outcome.auditLogged, qPrintable(outcome.auditProblem));
        delete dialog;

        // The remote holder ended (its `lockctl --host` with it); this computer's did not.
        QCOMPARE(remoteHolder.waitForExit(bound), 128 + SIGTERM);
        QTest::qWait(200);
        QCOMPARE(localHolder.process().state(), QProcess::Running);
        QTRY_VERIFY_WITH_TIMEOUT(!lockOn(model, u"other"_s, path), bound);
        QVERIFY(lockOn(model, QString(), path));

        QVERIFY(eventLogContains(*session.eventLog(), u"operator @ other"_s));
        QVERIFY(operatorActionOn(*session.eventLog(), u"other"_s));
        QFile audit(auditFile);
        QVERIFY(audit.open(QIODevice::ReadOnly));
        const QByteArray line = audit.readAll();
        QVERIFY2(line.contains("file locks on other (over ssh)") && line.contains("SIGTERM") &&
                     line.contains("\"outcome\":\"sent\""),
                 line.constData());

        ::kill(static_cast<pid_t>(localHolder.pid()), SIGTERM);
        QCOMPARE(localHolder.waitForExit(), 128 + SIGTERM);
    }

    void pageSignalsThroughTheHost() {
        // The File locks page's own path: select the remote row, follow the details'
        // "Terminate" link; the dialog it opens is wired to the host's lockctl.
        const QString path = m_hosts.scratch(u"signal-page.lock"_s);
        testsupport::ChildProcess remoteHolder;
        QString why;
        QVERIFY2(m_hosts.holdOnOtherHost(m_lockctl, path, false, remoteHolder, why),
                 qPrintable(why));
        AppSettings settings(m_directory.filePath(u"page.ini"_s));
        InspectorSession session(&settings);
        QString error;
        QVERIFY2(session.remote()->addHost(u"other"_s, &error), qPrintable(error));
        session.redis()->setAuditLogPath(m_directory.filePath(u"page-audit.jsonl"_s));
        session.start();
        FileLocksPage page(&session);
        const int bound = static_cast<int>(testsupport::timeBound(30000));
        QTRY_VERIFY_WITH_TIMEOUT(
            lockOn(*session.fileLocks(), u"other"_s, path) &&
                !lockOn(*session.fileLocks(), u"other"_s, path)->holders.isEmpty(),
            bound);
        const qint64 pid =
            lockOn(*session.fileLocks(), u"other"_s, path)->holders.front().process->pid;
        auto* view = page.findChild<QTableView*>();
        QVERIFY(view);
        QModelIndex row;
        for (int i = 0; i < view->model()->rowCount() && !row.isValid(); ++i) {
            const QModelIndex index = view->model()->index(i, 0);
            if (index.data(FileLockModel::HostRole).toString() == u"other"_s &&
                index.data(FileLockModel::PathRole).toString() == path)
                row = index;
        }
        QVERIFY(row.isValid());
        view->setCurrentIndex(row);
        auto* details = page.findChild<LockDetailsView*>();
        QVERIFY(details);
        emit details->anchorClicked(QUrl(u"action:terminate:"_s + QString::number(pid)));
        LockSignalDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = page.findChild<LockSignalDialog*>()) != nullptr);
        QVERIFY(dialog->confirmationText().contains(u"other"_s));
        QSignalSpy signalled(dialog, &LockSignalDialog::signalled);
        dialog->sendButton()->click();
        QVERIFY(signalled.wait(bound));
        const auto outcome = signalled.at(0).at(3).value<LockSignalOutcome>();
        QVERIFY2(outcome.sent, qPrintable(outcome.resultName + u": "_s + outcome.message));
        QCOMPARE(remoteHolder.waitForExit(bound), 128 + SIGTERM);
        QTRY_VERIFY_WITH_TIMEOUT(eventLogContains(*session.eventLog(), u"operator @ other"_s),
                                 bound);
    }

    void remoteRowWithoutCommandIsRefused() {
        // A row of another host whose connection is gone: nothing is signalled on this
        // computer, whatever process has that pid here.
        testsupport::ChildProcess localHolder;
        const QString path = m_hosts.scratch(u"signal-refused.lock"_s);
        QVERIFY(localHolder.start(m_lockctl, {u"hold"_s, path, u"--"_s, u"sh"_s, u"-c"_s,
                                              u"echo HELD; exec sleep 600"_s}));
        QCOMPARE(localHolder.readLine(), u"HELD"_s);
        FileLockRow lock;
        lock.path = path;
        lock.host = u"gone-host"_s;
        ProcessRow process;
        process.pid = localHolder.pid(); // the same pid as a real local holder of the file
        auto* dialog = new LockSignalDialog(lock, process, true, inspect::LockSignal::kill,
                                            m_directory.filePath(u"audit2.jsonl"_s));
        QSignalSpy signalled(dialog, &LockSignalDialog::signalled);
        dialog->sendButton()->click();
        QVERIFY(signalled.wait(10000));
        const auto outcome = signalled.at(0).at(3).value<LockSignalOutcome>();
        QVERIFY(!outcome.sent);
        QVERIFY2(outcome.message.contains(u"no connection to gone-host"_s),
                 qPrintable(outcome.message));
        delete dialog;
        QTest::qWait(200);
        QCOMPARE(localHolder.process().state(), QProcess::Running);
        ::kill(static_cast<pid_t>(localHolder.pid()), SIGTERM);
        QCOMPARE(localHolder.waitForExit(), 128 + SIGTERM);
    }
};

QTEST_MAIN(TestRemoteSignal)
#include "tst_remote_signal.moc"
