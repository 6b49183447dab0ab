// The real lockscope program under Xvfb: it starts, refreshes, renders its window and saves a
// screenshot (kept in the build directory for humans to look at). A missing xvfb-run is a
// failure, not a skip: this is the only check that the program runs on a real X server.

#include "testsupport.h"

#include <QColor>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestUiScreenshot : public QObject {
    Q_OBJECT

  private slots:
    void startsAndRenders();
};

void TestUiScreenshot::startsAndRenders() {
    const QString xvfbRun = QStandardPaths::findExecutable(u"xvfb-run"_s);
    QVERIFY2(!xvfbRun.isEmpty(), "xvfb-run is not installed (apt-get install xvfb)");
    const QString program = testsupport::programPath("LOCKSCOPE_PROGRAM");
    QString screenshot = qEnvironmentVariable("LOCKSCOPE_SCREENSHOT");
    QTemporaryDir directory;
    if (screenshot.isEmpty())
        screenshot = directory.filePath(u"lockscope.png"_s);
    QFile::remove(screenshot);

    // Something to show: a lock held by another process.
    testsupport::ChildProcess holder;
    QVERIFY(holder.startHelper({u"hold"_s, directory.filePath(u"screenshot.lock"_s)}));
    QVERIFY(!holder.waitFor(u"LOCKED"_s).isEmpty());

    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_QPA_PLATFORM"_s); // the real xcb platform, on Xvfb
    process.setProcessEnvironment(environment);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(xvfbRun, {u"-a"_s, u"-s"_s, u"-screen 0 1600x1000x24"_s, program, u"--settings"_s,
                            directory.filePath(u"settings.ini"_s), u"--screenshot"_s, screenshot});
    QVERIFY2(process.waitForStarted(10000), qPrintable(process.errorString()));
    QVERIFY2(process.waitForFinished(60000), "lockscope did not finish within 60 s");
    const QString output = QString::fromLocal8Bit(process.readAll());
    QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
             qPrintable(output));

    QVERIFY2(QFileInfo(screenshot).size() > 0, qPrintable(output));
    const QImage image(screenshot);
    QVERIFY(!image.isNull());
    QVERIFY2(image.width() >= 800 && image.height() >= 500,
             qPrintable(u"%1x%2"_s.arg(image.width()).arg(image.height())));
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7)
            colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 20, qPrintable(u"only %1 colours"_s.arg(colours.size())));
    qInfo("screenshot: %s (%dx%d, %lld colours sampled)", qPrintable(screenshot), image.width(),
          image.height(), static_cast<long long>(colours.size()));
}

QTEST_MAIN(TestUiScreenshot)
#include "tst_ui_screenshot.moc"
