// lockscope: the Lock Inspector window. Only wiring: arguments, settings, session, window.

#include "session/appsettings.h"
#include "session/inspectorsession.h"
#include "widgets/mainwindow.h"
#include "workers/snapshotpoller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace Qt::StringLiterals;

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"lockscope"_s);
    QApplication::setApplicationDisplayName(u"Lock Inspector"_s);
    QApplication::setOrganizationName(u"Lockscope"_s);
    QApplication::setApplicationVersion(QStringLiteral(LOCKSCOPE_VERSION));
    QApplication::setDesktopFileName(u"io.lockscope.Lockscope"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Lock Inspector: live file, semaphore and Redis locks."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption interval(u"refresh-interval"_s,
                                      u"Milliseconds between refreshes (default 1000)."_s, u"ms"_s);
    const QCommandLineOption stuck(
        u"stuck-threshold"_s, u"Seconds after which a held lock counts as stuck."_s, u"seconds"_s);
    const QCommandLineOption paused(u"paused"_s,
                                    u"Start with live refresh paused (after one refresh)."_s);
    const QCommandLineOption settingsFile(
        u"settings"_s, u"Keep settings in this INI file instead of the user's."_s, u"file"_s);
    const QCommandLineOption tab(u"tab"_s, u"Tab to show first (0-6; 6: Hosts)."_s, u"index"_s);
    const QCommandLineOption screenshot(
        u"screenshot"_s, u"Save a PNG of the window after the first refresh and quit."_s,
        u"path"_s);
    const QCommandLineOption screenshotDelay(
        u"screenshot-delay"_s, u"Milliseconds to wait after the first refresh (default 800)."_s,
        u"ms"_s, u"800"_s);
    parser.addOptions({interval, stuck, paused, settingsFile, tab, screenshot, screenshotDelay});
    parser.process(app);

    auto settings = parser.isSet(settingsFile)
                        ? std::make_unique<AppSettings>(parser.value(settingsFile))
                        : std::make_unique<AppSettings>();
    InspectorSession session(settings.get());
    if (parser.isSet(interval))
        session.setRefreshInterval(parser.value(interval).toInt(), false);
    if (parser.isSet(stuck))
        session.setStuckThreshold(parser.value(stuck).toLongLong() * 1000, false);
    MainWindow window(&session);
    if (parser.isSet(tab))
        window.tabs()->setCurrentIndex(parser.value(tab).toInt());
    window.show();
    session.start();
    if (parser.isSet(paused))
        session.poller()->setPaused(true);

    if (parser.isSet(screenshot)) {
        const QString path = parser.value(screenshot);
        const int delay = parser.value(screenshotDelay).toInt();
        auto take = [&window, path] {
            const bool saved = window.saveScreenshot(path);
            std::fprintf(saved ? stdout : stderr, "%s %s\n", saved ? "saved" : "could not save",
                         qPrintable(path));
            std::fflush(saved ? stdout : stderr);
            // Quit the way the operator does, by closing the window (it saves its layout, the
            // last window closed ends the loop): tst_ui_quit times exactly this path.
            if (saved)
                window.close();
            else
                QApplication::exit(1);
        };
        QObject::connect(
            &session, &InspectorSession::refreshed, &window,
            [take, delay, &window] { QTimer::singleShot(delay, &window, take); },
            Qt::SingleShotConnection);
        QTimer::singleShot(20000, &window, take); // no refresh at all: show what there is
    }
    return QApplication::exec();
}
