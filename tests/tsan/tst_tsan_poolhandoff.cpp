// A task queued behind a busy pool thread, started with startPoolTask: ThreadSanitizer must
// see the queue's order (see workers/pooltask.h). tst_tsan_canary_queue runs the same timing
// through QtConcurrent::run and passes only when TSan reports it, so this suite would fail
// without the task's annotation.

#include "queuedhandoff.h"
#include "workers/pooltask.h"

#include <QTest>

class TestTsanPoolHandoff : public QObject {
    Q_OBJECT
  private slots:
    void queuedTaskIsNotARace() {
        const int answers = runQueuedHandoffs([](QThreadPool* pool, auto function) {
            return startPoolTask(pool, std::move(function));
        });
        QCOMPARE(answers, 60);
    }
};

QTEST_GUILESS_MAIN(TestTsanPoolHandoff)
#include "tst_tsan_poolhandoff.moc"
