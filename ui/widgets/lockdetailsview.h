#pragma once
// LockDetailsView: everything about the selected file lock, as text an operator can read and
// copy: the file, the byte range, every holder with its full command line, state and start
// time, every waiter with what blocks it, and what could not be seen.

#include "models/filelockrow.h"

#include <QTextBrowser>

#include <optional>

class LockDetailsView : public QTextBrowser {
    Q_OBJECT
  public:
    explicit LockDetailsView(QWidget* parent = nullptr);

    /// Shows `row` (nullptr: the placeholder). Re-renders only when something changed, or
    /// when `force` is set (the durations tick).
    void showLock(const FileLockRow* row, bool force = false);
    /// The HTML for a row (public for tests).
    static QString html(const FileLockRow& row, qint64 nowMs);

  private:
    std::optional<FileLockRow> m_shown;
};
