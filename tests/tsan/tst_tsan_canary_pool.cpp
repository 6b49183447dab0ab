// A deliberate data race between two tasks started with startPoolTask. Built only in the tsan
// preset, where ctest passes it only if ThreadSanitizer reports the race: proof that the
// tasks' hand-off annotation (workers/pooltask.h) orders a task after its start only, and
// does not hide races between the tasks' own code.

#include "workers/pooltask.h"

#include <QTest>

namespace {
int unguarded = 0; // written by two pool threads with nothing ordering them
}

class TestTsanCanaryPool : public QObject {
    Q_OBJECT
  private slots:
    void raceBetweenTasksIsReported() {
        QThreadPool pool;
        pool.setMaxThreadCount(2);
        QFuture<void> first = startPoolTask(&pool, [] { ++unguarded; });
        QFuture<void> second = startPoolTask(&pool, [] { ++unguarded; });
        first.waitForFinished();
        second.waitForFinished();
        QVERIFY(unguarded >= 1);
    }
};

QTEST_GUILESS_MAIN(TestTsanCanaryPool)
#include "tst_tsan_canary_pool.moc"
