// The canary for tst_tsan_poolhandoff: the same queued hand-off started with QtConcurrent::run,
// which TSan cannot see through (see workers/pooltask.h). ctest passes it only when TSan
// reports a race: proof that the timing tst_tsan_poolhandoff relies on really happens.

#include "queuedhandoff.h"

#include <QTest>
#include <QtConcurrent/QtConcurrentRun>

class TestTsanCanaryQueue : public QObject {
    Q_OBJECT
  private slots:
    void queuedTaskIsReportedWithoutTheAnnotation() {
        const int answers = runQueuedHandoffs([](QThreadPool* pool, auto function) {
            return QtConcurrent::run(pool, std::move(function));
        });
        QCOMPARE(answers, 60);
    }
};

QTEST_GUILESS_MAIN(TestTsanCanaryQueue)
#include "tst_tsan_canary_queue.moc"
