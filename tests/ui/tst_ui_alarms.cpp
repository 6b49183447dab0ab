// Desktop notifications (issue 13): AlarmWatcher announces a lock that becomes deadlocked,
// stuck or held by a stopped holder with waiters, on any host, once (again only when it gets
// worse, or after it recovered), nothing from a host whose connection is down, and a Redis
// connection that fails after it worked, once per failure; TrayNotifier summarises a burst
// and a click on the notification selects the lock in the window — with a real stopped
// holder and a real waiter.

#include "testsupport.h"

#include "models/filelockmodel.h"
#include "models/filelockproxymodel.h"
#include "session/alarmwatcher.h"
#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "widgets/filelockspage.h"
#include "widgets/mainwindow.h"
#include "widgets/traynotifier.h"

#include <QScopeGuard>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;

namespace {

FileLockEntry entry(const QString& id, LockHealth health, const QString& host = {},
                    bool stale = false) {
    auto row = QSharedPointer<FileLockRow>::create();
    row->id = id;
    row->path = u"/run/lock/"_s + id;
    row->health = health;
    row->host = host;
    row->hostStale = stale;
    return FileLockEntry{id, row, -1};
}

PollResult result(const QList<FileLockEntry>& entries) {
    PollResult poll;
    poll.fileLocks = entries;
    return poll;
}

} // namespace

class TestUiAlarms : public QObject {
    Q_OBJECT
  private slots:
    void raisedOnceWhenALockBecomesAlarming();
    void staleHostRaisesNothing();
    void redisFailureOncePerOutage();
    void burstIsOneNotification();
    void clickSelectsTheLock();
};

void TestUiAlarms::raisedOnceWhenALockBecomesAlarming() {
    AlarmWatcher alarms;
    QSignalSpy raised(&alarms, &AlarmWatcher::raised);
    const auto update = [&](LockHealth health) {
        alarms.updateLocks(result({entry(u"a"_s, health), entry(u"b"_s, LockHealth::longHeld)}));
    };
    update(LockHealth::contended);
    QCOMPARE(raised.count(), 0); // contended, long held: not alarming
    update(LockHealth::stuck);
    QCOMPARE(raised.count(), 1);
    auto alarm = raised.takeFirst().at(0).value<QList<Alarm>>();
    QCOMPARE(alarm.size(), 1);
    QCOMPARE(alarm.front().kind, Alarm::Kind::stuck);
    QCOMPARE(alarm.front().lockId, u"a"_s);
    QVERIFY2(alarm.front().title.contains(u"this computer"_s), qPrintable(alarm.front().title));
    update(LockHealth::stuck); // still stuck: not news
    QCOMPARE(raised.count(), 0);
    update(LockHealth::deadlocked); // worse: news
    QCOMPARE(raised.count(), 1);
    QCOMPARE(raised.takeFirst().at(0).value<QList<Alarm>>().front().kind, Alarm::Kind::deadlock);
    update(LockHealth::stuck); // better but still alarming: nothing
    QCOMPARE(raised.count(), 0);
    update(LockHealth::held);          // recovered...
    update(LockHealth::holderStopped); // ...and alarming again: news
    QCOMPARE(raised.count(), 1);
    QCOMPARE(alarms.history().size(), 3);
}

void TestUiAlarms::staleHostRaisesNothing() {
    AlarmWatcher alarms;
    QSignalSpy raised(&alarms, &AlarmWatcher::raised);
    alarms.updateLocks(result({entry(u"db-02 x"_s, LockHealth::stuck, u"ops@db-02"_s)}));
    QCOMPARE(raised.count(), 1);
    QVERIFY(raised.takeFirst().at(0).value<QList<Alarm>>().front().title.contains(u"ops@db-02"_s));
    // The connection drops: its rows are last known state, whatever they say.
    alarms.updateLocks(result({entry(u"db-02 x"_s, LockHealth::deadlocked, u"ops@db-02"_s, true),
                               entry(u"db-02 y"_s, LockHealth::deadlocked, u"ops@db-02"_s, true)}));
    QCOMPARE(raised.count(), 0);
    // Back, and the lock it had announced is still stuck: not news again.
    alarms.updateLocks(result({entry(u"db-02 x"_s, LockHealth::stuck, u"ops@db-02"_s)}));
    QCOMPARE(raised.count(), 0);
}

void TestUiAlarms::redisFailureOncePerOutage() {
    using State = RedisMonitor::State;
    AlarmWatcher alarms;
    QSignalSpy raised(&alarms, &AlarmWatcher::raised);
    // Never worked: a configuration problem the operator sees in the dialog, not an alarm.
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::failed, u"connection refused"_s);
    QCOMPARE(raised.count(), 0);
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::scanning, {});
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::ok, {});
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::scanning, {});
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::failed, u"connection lost"_s);
    QCOMPARE(raised.count(), 1);
    const Alarm alarm = raised.takeFirst().at(0).value<QList<Alarm>>().front();
    QCOMPARE(alarm.kind, Alarm::Kind::redisFailed);
    QCOMPARE(alarm.connectionId, u"c1"_s);
    QVERIFY(alarm.title.contains(u"cache"_s));
    QCOMPARE(alarm.text, u"connection lost"_s);
    // Its retries fail too: the same outage.
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::scanning, {});
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::failed, u"connection refused"_s);
    QCOMPARE(raised.count(), 0);
    // Works again, then fails: a new outage.
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::ok, {});
    alarms.updateRedis(u"c1"_s, u"cache"_s, State::failed, u"connection lost"_s);
    QCOMPARE(raised.count(), 1);
}

void TestUiAlarms::burstIsOneNotification() {
    QWidget window;
    AlarmWatcher alarms;
    TrayNotifier notifier(&alarms, &window);
    QList<FileLockEntry> entries;
    for (int i = 0; i < 6; ++i)
        entries << entry(u"lock%1"_s.arg(i), LockHealth::stuck, u"build-01"_s);
    alarms.updateLocks(result(entries));
    QVERIFY2(notifier.lastTitle().startsWith(u"6 "_s), qPrintable(notifier.lastTitle()));
    QVERIFY2(notifier.lastText().contains(u"and 2 more"_s), qPrintable(notifier.lastText()));
    QCOMPARE(notifier.lastAlarm().lockId, u"lock0"_s);
    // Not enabled (opt-in): nothing was shown, whatever the desktop offers.
    QCOMPARE(notifier.shownCount(), 0);
}

void TestUiAlarms::clickSelectsTheLock() {
    QTemporaryDir directory;
    AppSettings settings(directory.filePath(u"settings.ini"_s));
    settings.setStuckThresholdMs(1000);
    InspectorSession session(&settings);
    session.setRefreshInterval(100);
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    session.start();

    // A real holder, stopped, with a real waiter behind it: an alarm.
    const QString path = directory.filePath(u"stopped.lock"_s);
    testsupport::ChildProcess holder;
    QVERIFY(holder.startHelper({u"hold"_s, path}));
    const qint64 holderPid = holder.waitFor(u"LOCKED"_s).section(u' ', 1, 1).toLongLong();
    QVERIFY(holderPid > 0);
    testsupport::ChildProcess waiter;
    QVERIFY(waiter.startHelper({u"hold"_s, path}));
    QCOMPARE(::kill(static_cast<pid_t>(holderPid), SIGSTOP), 0);
    const auto resume = qScopeGuard([&] { ::kill(static_cast<pid_t>(holderPid), SIGCONT); });

    TrayNotifier* notifier = window.notifier();
    QTRY_VERIFY_WITH_TIMEOUT(notifier->lastAlarm().text.startsWith(path),
                             testsupport::timeBound(20000));
    QCOMPARE(notifier->lastAlarm().kind, Alarm::Kind::stoppedHolder);

    // Elsewhere in the window, as an operator would be, then the notification is clicked.
    window.tabs()->setCurrentIndex(window.tabs()->count() - 1);
    window.fileLocksPage()->view()->clearSelection();
    notifier->activateLast();
    QCOMPARE(window.tabs()->currentWidget(), static_cast<QWidget*>(window.fileLocksPage()));
    const QModelIndex current = window.fileLocksPage()->proxy()->mapToSource(
        window.fileLocksPage()->view()->currentIndex());
    QVERIFY(current.isValid());
    const FileLockRow* selected = session.fileLocks()->lockAt(current);
    QVERIFY(selected);
    QCOMPARE(selected->id, notifier->lastAlarm().lockId);
    QCOMPARE(selected->path, path);
}

QTEST_MAIN(TestUiAlarms)
#include "tst_ui_alarms.moc"
