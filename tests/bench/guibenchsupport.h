#pragma once
// Shared by the GUI benchmarks: a stall meter (longest gap between the ticks of a 10 ms timer
// on the GUI thread), event-loop waits, and the process's resident memory.

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdio>

#include <ctime>

#include <sys/resource.h>
#include <unistd.h>

namespace guibench {

inline double currentRssMb() {
    long pages = 0;
    long resident = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(statm);
    }
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1048576.0;
}

inline double peakRssMb() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0; // ru_maxrss is in KiB on Linux
}

/// CPU time the calling thread has used, in ms.
inline double threadCpuMs() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

/// The calling thread's time spent runnable but waiting for a core (the scheduler's run
/// queue), in ms, from /proc/thread-self/schedstat; -1 where the kernel does not say.
inline double threadRunQueueMs() {
    double onCpuNs = 0;
    double waitingNs = -1e6;
    if (FILE* stat = std::fopen("/proc/thread-self/schedstat", "r")) {
        if (std::fscanf(stat, "%lf %lf", &onCpuNs, &waitingNs) != 2)
            waitingNs = -1e6;
        std::fclose(stat);
    }
    return waitingNs / 1e6;
}

/// Records the longest gap between the ticks of a 10 ms timer, and the most CPU time the GUI
/// thread spent between two ticks. On a busy shared machine the wall-clock gap also counts
/// the time the thread waited for a core; the CPU time is the work the GUI thread did itself.
/// The longest gap is also split into where its time went: the GUI thread's CPU, its wait in
/// the run queue (runnable, no core free) and the rest, in which it slept: up to the timer's
/// 10 ms in the event loop's own wait for the tick, anything beyond blocked on a lock or in a
/// system call.
class StallMeter {
  public:
    StallMeter() {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            const double cpu = threadCpuMs();
            const double runQueue = threadRunQueueMs();
            if (m_last >= 0) {
                if (now - m_last > m_longest) {
                    m_longest = now - m_last;
                    m_longestGapCpu = cpu - m_lastCpu;
                    m_longestGapRunQueue = runQueue < 0 ? -1 : runQueue - m_lastRunQueue;
                }
                m_longestCpu = std::max(m_longestCpu, cpu - m_lastCpu);
            }
            m_last = now;
            m_lastCpu = cpu;
            m_lastRunQueue = runQueue;
        });
        m_clock.start();
        m_timer.start();
    }
    /// The longest gap since the last reset, in ms, minus the timer's own 10 ms.
    double takeLongestMs() {
        const double longest = static_cast<double>(m_longest) / 1e6;
        m_lastGap = {longest, m_longestGapCpu, m_longestGapRunQueue,
                     m_longestGapRunQueue < 0
                         ? -1
                         : std::max(0.0, longest - m_longestGapCpu - m_longestGapRunQueue)};
        m_longest = 0;
        m_lastTakenCpu = m_longestCpu;
        m_longestCpu = 0;
        return std::max(0.0, longest - 10.0);
    }
    /// The most GUI-thread CPU time between two ticks up to the last takeLongestMs(), in ms.
    double lastLongestCpuMs() const { return m_lastTakenCpu; }
    /// Where the time of the longest gap up to the last takeLongestMs() went, in ms (the whole
    /// gap, tick included; -1 for the run queue and sleep where the kernel does not say).
    struct Gap {
        double wallMs = 0;
        double cpuMs = 0;
        double runQueueMs = -1;
        double sleptMs = -1;
    };
    Gap lastLongestGap() const { return m_lastGap; }

  private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = -1;
    qint64 m_longest = 0;
    double m_lastCpu = -1;
    double m_lastRunQueue = 0;
    double m_longestCpu = 0;
    double m_longestGapCpu = 0;
    double m_longestGapRunQueue = -1;
    double m_lastTakenCpu = 0;
    Gap m_lastGap;
};

/// "wall 230.1 = CPU 7.0 + run queue 220.3 + slept 2.8 ms": where a gap's time went.
inline void printGap(const char* what, const StallMeter::Gap& gap) {
    std::printf("  %-54s wall %6.1f = CPU %5.1f + run queue %6.1f + slept %6.1f ms\n", what,
                gap.wallMs, gap.cpuMs, gap.runQueueMs, gap.sleptMs);
}

/// With BENCH_GUI_TRACE set, names every event delivery that blocks the GUI thread longer than
/// BENCH_GUI_TRACE ms (15 when it is not a number).
class TracingApplication : public QApplication {
  public:
    using QApplication::QApplication;
    bool notify(QObject* receiver, QEvent* event) override {
        if (!m_trace)
            return QApplication::notify(receiver, event);
        QElapsedTimer clock;
        clock.start();
        const double cpuBefore = threadCpuMs();
        const double runQueueBefore = threadRunQueueMs();
        const int type = event->type();
        const bool result = QApplication::notify(receiver, event);
        const qint64 spent = clock.elapsed();
        // CPU time far below the wall time: the thread was not running - waiting for a core
        // (run queue: a busy machine) or blocked (the rest), not working.
        if (spent > m_threshold)
            std::fprintf(stderr,
                         "  [trace] %lld ms (%.0f ms CPU, %.0f ms run queue): event %d to %s "
                         "(%s)\n",
                         static_cast<long long>(spent), threadCpuMs() - cpuBefore,
                         threadRunQueueMs() - runQueueBefore, type,
                         receiver->metaObject()->className(), qPrintable(receiver->objectName()));
        return result;
    }

  private:
    bool m_trace = qEnvironmentVariableIsSet("BENCH_GUI_TRACE");
    qint64 m_threshold = qEnvironmentVariableIntValue("BENCH_GUI_TRACE") > 0
                             ? qEnvironmentVariableIntValue("BENCH_GUI_TRACE")
                             : 15;
};

inline void spin(int milliseconds) {
    QEventLoop loop;
    QTimer::singleShot(milliseconds, &loop, &QEventLoop::quit);
    loop.exec();
}

/// Runs the event loop until `done` or `timeoutMs`; false on timeout.
template <class Done> bool spinUntil(Done done, int timeoutMs) {
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > timeoutMs)
            return false;
        spin(5);
    }
    return true;
}

} // namespace guibench
