// A deliberate data race, run by a Qt Test slot as every suite's code is. Built only in the
// tsan preset, where ctest passes it only if ThreadSanitizer reports the race: proof that the
// preset's options and suppressions still let TSan see races in our code under Qt's frames.

#include <QTest>

#include <thread>

namespace {
int unguarded = 0; // written by two threads with nothing ordering them
}

class TestTsanCanary : public QObject {
    Q_OBJECT
  private slots:
    void raceIsReported() {
        std::thread other([] { ++unguarded; });
        ++unguarded;
        other.join();
        QVERIFY(unguarded >= 1);
    }
};

QTEST_GUILESS_MAIN(TestTsanCanary)
#include "tst_tsan_canary.moc"
