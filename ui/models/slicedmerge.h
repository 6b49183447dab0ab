#pragma once
// SlicedMerge: merges a new set of rows into a flat item model by key, in slices of a few
// milliseconds, so that the GUI thread never stalls on a scan of 50,000 locks.
//
// A merge runs in three phases, each of which may be cut off and continued after the event
// loop had a turn; every cut leaves the model consistent:
//   remove  back to front, rows whose key is gone, in runs (beginRemoveRows/endRemoveRows);
//   update  front to back, rows that stay take their new value; only those that look
//           different are announced, as runs of dataChanged (unchanged rows cause no repaint);
//   insert  the new keys appended at the end, in chunks sized to a third of the budget.
// Rows are never reset or moved, so selection, sort and scroll position survive.
//
// Rows belong to a scope (the Redis connection they came from; one scope for file locks). A
// merge touches only the rows of its own scope. A newer batch for the scope being merged
// replaces the merge in flight and continues from wherever it got to (what was already
// applied is kept where it still matches); a batch for another scope waits its turn, and a
// newer batch for a waiting scope replaces the waiting one. A batch marked incomplete (a
// cancelled or cut-short scan) removes nothing: the rows it did not reach are kept.
//
// The model owns its rows and implements Host to change them, so that it keeps its own
// bookkeeping and the begin/end calls that only it may make; the engine decides what changes
// and when. GUI thread only.

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QString>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <deque>
#include <limits>
#include <memory>
#include <span>
#include <vector>

template <typename Rows> class SlicedMerge {
  public:
    using Row = typename Rows::value_type;

    /// What the engine needs from the model it fills.
    class Host {
      public:
        /// The key a row is merged by (unique within its scope).
        virtual const QString& mergeKey(const Row& row) const = 0;
        /// True if `row` belongs to `scope` (all rows do when the model has a single scope).
        virtual bool inMergeScope(const Row& row, const QString& scope) const {
            Q_UNUSED(row);
            Q_UNUSED(scope);
            return true;
        }
        /// True if the view would show `shown` and `incoming` alike (no dataChanged needed).
        virtual bool sameDisplay(const Row& shown, const Row& incoming) const = 0;
        /// Removes rows first..last inclusive, between beginRemoveRows and endRemoveRows.
        virtual void dropRows(qsizetype first, qsizetype last) = 0;
        /// Appends source[i] for each i in `picks`, between beginInsertRows and endInsertRows.
        virtual void appendRows(const QList<Row>& source, std::span<const qsizetype> picks) = 0;
        /// Rows first..last inclusive changed in every column: emit dataChanged.
        virtual void rowsRefreshed(qsizetype first, qsizetype last) = 0;
        /// A merge did not fit in one slice and goes on after the event loop had a turn;
        /// called once until onMergeFinished().
        virtual void onMergeContinuing() {}
        /// Every batch handed over so far has landed completely.
        virtual void onMergeFinished() = 0;

      protected:
        ~Host() = default;
    };

    /// How the work is cut into slices. The defaults suit a table of tens of thousands of rows
    /// behind a sorting proxy; tests make them tiny to force a slice after every row.
    struct Limits {
        int budgetMs = 10;              ///< the longest a slice may take
        int checkEvery = 256;           ///< rows visited between looks at the clock
        qsizetype maxRemovalRun = 4096; ///< rows one beginRemoveRows may cover
        qsizetype maxChangedRun = std::numeric_limits<qsizetype>::max(); ///< per dataChanged
        qsizetype firstChunk = 256; ///< rows in the first insertion chunk
        qsizetype minChunk = 64;
        qsizetype maxChunk = 16384;
    };

    /// One scan's rows for one scope. `index` maps each key to its position in `rows`; it may
    /// be left empty, then it is built when the merge starts (builders that run off the GUI
    /// thread pass it along to keep that work off it).
    struct Batch {
        QString scope;
        QList<Row> rows;
        QHash<QString, qsizetype> index;
        bool complete = true;
    };

    /// `rows` is the model's storage, read and updated in place; `host` changes its shape.
    SlicedMerge(Rows& rows, Host& host) : m_rows(rows), m_host(host) {
        m_continue.setSingleShot(true);
        m_continue.setInterval(0);
        QObject::connect(&m_continue, &QTimer::timeout, &m_continue, [this] { continueMerge(); });
    }
    SlicedMerge(const SlicedMerge&) = delete;
    SlicedMerge& operator=(const SlicedMerge&) = delete;

    Limits& limits() { return m_limits; }

    /// True while a merge is being applied in slices (or batches wait their turn).
    bool isMerging() const { return m_merge != nullptr; }

    enum class Start {
        now,   ///< as far as one slice allows before submit() returns, the rest later
        later, ///< from the next event-loop turn: a caller handing over many batches at once
               ///< (a host each) must not spend a slice per batch before it returns
    };

    /// Hands over a batch, merged from `start` on in slices.
    void submit(Batch batch, Start start = Start::now) {
        Q_ASSERT(QThread::currentThread() == m_continue.thread());
        auto merge = std::make_unique<Merge>();
        merge->batch = std::move(batch);
        if (m_merge && m_merge->batch.scope != merge->batch.scope) {
            for (auto& waiting : m_waiting)
                if (waiting->batch.scope == merge->batch.scope) {
                    waiting = std::move(merge);
                    return;
                }
            m_waiting.push_back(std::move(merge));
            return;
        }
        // A merge of this scope still landing is stale now; the new one starts from wherever
        // it got to, so the newest rows land without waiting behind older ones.
        if (start == Start::now) {
            this->start(std::move(merge));
            return;
        }
        m_continue.stop();
        prepare(std::move(merge));
        continueLater();
    }

    /// Forgets a batch waiting for `scope` (a connection that was removed).
    void discardWaiting(const QString& scope) {
        std::erase_if(m_waiting, [&](const auto& merge) { return merge->batch.scope == scope; });
    }

  private:
    enum class Phase { remove, update, insert };
    struct Merge {
        Batch batch;
        Phase phase = Phase::remove;
        qsizetype cursor = 0;
        std::vector<bool> used; ///< per incoming row: matched an existing row
        std::vector<qsizetype> toInsert;
        qsizetype chunk = 0;
    };

    void start(std::unique_ptr<Merge> merge) {
        m_continue.stop();
        prepare(std::move(merge));
        continueMerge();
    }

    /// Makes `merge` the current one, at the start of its first phase.
    void prepare(std::unique_ptr<Merge> merge) {
        m_merge = std::move(merge);
        Batch& batch = m_merge->batch;
        if (batch.index.size() != batch.rows.size()) {
            batch.index.clear();
            batch.index.reserve(batch.rows.size());
            for (qsizetype i = 0; i < batch.rows.size(); ++i)
                batch.index.insert(m_host.mergeKey(batch.rows[i]), i);
        }
        m_merge->used.assign(static_cast<std::size_t>(batch.rows.size()), false);
        // An incomplete scan did not see every row: the remove phase has nothing to visit.
        m_merge->cursor = batch.complete ? static_cast<qsizetype>(m_rows.size()) : 0;
        m_merge->chunk = m_limits.firstChunk;
    }

    void continueMerge() {
        Q_ASSERT(QThread::currentThread() == m_continue.thread());
        QElapsedTimer clock;
        clock.start();
        for (;;) {
            if (!runPhase(clock)) {
                continueLater(); // out of budget
                return;
            }
            if (m_merge->phase == Phase::insert) {
                m_merge.reset();
                if (m_waiting.empty())
                    break;
                // The next scope's batch goes on in this slice only while it has time left:
                // many waiting batches (a host each) must not add up to one long stall.
                std::unique_ptr<Merge> next = std::move(m_waiting.front());
                m_waiting.pop_front();
                prepare(std::move(next));
                if (outOfBudget(clock)) {
                    continueLater();
                    return;
                }
                continue;
            }
            if (m_merge->phase == Phase::remove) {
                m_merge->phase = Phase::update;
            } else {
                m_merge->phase = Phase::insert;
                for (qsizetype i = 0; i < m_merge->batch.rows.size(); ++i)
                    if (!m_merge->used[static_cast<std::size_t>(i)])
                        m_merge->toInsert.push_back(i);
            }
            m_merge->cursor = 0;
        }
        m_continuing = false;
        m_host.onMergeFinished();
    }

    /// Continues after the event loop had its turn.
    void continueLater() {
        m_continue.start();
        if (!m_continuing) {
            m_continuing = true;
            m_host.onMergeContinuing();
        }
    }

    /// Runs the current phase until it is done (true) or the slice is used up (false).
    bool runPhase(QElapsedTimer& clock) {
        switch (m_merge->phase) {
        case Phase::remove:
            return removePhase(clock);
        case Phase::update:
            return updatePhase(clock);
        case Phase::insert:
            return insertPhase(clock);
        }
        return true;
    }

    Row& rowAt(qsizetype position) const {
        return m_rows[static_cast<typename Rows::size_type>(position)];
    }

    bool outOfBudget(const QElapsedTimer& clock) const {
        return clock.elapsed() >= m_limits.budgetMs;
    }

    /// Is the row at `position` one this merge removes?
    bool goes(qsizetype position) const {
        const Row& row = rowAt(position);
        return m_host.inMergeScope(row, m_merge->batch.scope) &&
               !m_merge->batch.index.contains(m_host.mergeKey(row));
    }

    bool removePhase(const QElapsedTimer& clock) {
        // Back to front, so that removing a run leaves the rows still to visit where they are.
        int sinceCheck = 0;
        while (m_merge->cursor > 0) {
            const qsizetype last = m_merge->cursor - 1;
            if (!goes(last)) {
                m_merge->cursor = last;
            } else {
                qsizetype first = last;
                while (first > 0 && last - first + 1 < m_limits.maxRemovalRun && goes(first - 1))
                    --first;
                m_host.dropRows(first, last);
                m_merge->cursor = first;
                sinceCheck = m_limits.checkEvery; // a removal is worth a look at the clock
            }
            if (++sinceCheck >= m_limits.checkEvery) {
                sinceCheck = 0;
                if (outOfBudget(clock))
                    return m_merge->cursor == 0;
            }
        }
        return true;
    }

    bool updatePhase(const QElapsedTimer& clock) {
        int sinceCheck = 0;
        qsizetype runStart = -1;
        const auto flush = [&](qsizetype end) {
            if (runStart >= 0)
                m_host.rowsRefreshed(runStart, end - 1);
            runStart = -1;
        };
        Merge& merge = *m_merge;
        while (merge.cursor < static_cast<qsizetype>(m_rows.size())) {
            const qsizetype position = merge.cursor++;
            Row& row = rowAt(position);
            const qsizetype source = m_host.inMergeScope(row, merge.batch.scope)
                                         ? merge.batch.index.value(m_host.mergeKey(row), -1)
                                         : -1;
            // After a complete merge's remove phase every row of its scope has a new value.
            Q_ASSERT(source >= 0 || !merge.batch.complete ||
                     !m_host.inMergeScope(row, merge.batch.scope));
            if (source < 0) {
                flush(position); // another scope's row, or one an incomplete scan did not reach
            } else {
                merge.used[static_cast<std::size_t>(source)] = true;
                const Row& incoming = merge.batch.rows.at(source);
                const bool changed = !m_host.sameDisplay(row, incoming);
                // Take the new row even when it looks the same: it carries fresh values the
                // table does not show (a TTL base, a record), and the old scan can be freed.
                row = incoming;
                if (!changed) {
                    flush(position);
                } else {
                    if (runStart < 0)
                        runStart = position;
                    if (position + 1 - runStart >= m_limits.maxChangedRun)
                        flush(position + 1);
                }
            }
            if (++sinceCheck >= m_limits.checkEvery) {
                sinceCheck = 0;
                if (outOfBudget(clock)) {
                    flush(merge.cursor);
                    return merge.cursor >= static_cast<qsizetype>(m_rows.size());
                }
            }
        }
        flush(merge.cursor);
        return true;
    }

    bool insertPhase(const QElapsedTimer& clock) {
        Merge& merge = *m_merge;
        const auto total = static_cast<qsizetype>(merge.toInsert.size());
        while (merge.cursor < total) {
            const qsizetype chunk = std::min(merge.chunk, total - merge.cursor);
            QElapsedTimer chunkClock;
            chunkClock.start();
            m_host.appendRows(merge.batch.rows, std::span<const qsizetype>(merge.toInsert)
                                                    .subspan(static_cast<std::size_t>(merge.cursor),
                                                             static_cast<std::size_t>(chunk)));
            merge.cursor += chunk;
            // Size the next chunk so that it takes about a third of the budget.
            const qint64 spent = std::max<qint64>(1, chunkClock.elapsed());
            const qint64 target = std::max(1, m_limits.budgetMs / 3);
            merge.chunk =
                std::clamp<qsizetype>(chunk * target / spent, m_limits.minChunk, m_limits.maxChunk);
            if (outOfBudget(clock))
                return merge.cursor >= total;
        }
        return true;
    }

    Rows& m_rows;
    Host& m_host;
    Limits m_limits;
    std::unique_ptr<Merge> m_merge;
    std::deque<std::unique_ptr<Merge>> m_waiting; ///< other scopes' batches, in arrival order
    bool m_continuing = false;                    ///< onMergeContinuing() sent for this run
    QTimer m_continue;
};
