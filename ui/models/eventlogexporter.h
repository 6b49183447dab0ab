#pragma once
// Writes the rows of an activity-log view (after filtering) as CSV or JSON Lines.

#include <QAbstractItemModel>
#include <QIODevice>
#include <QString>

class EventLogExporter {
  public:
    enum class Format { csv, jsonLines };

    /// `model` is the EventLogModel or a proxy over it. Returns the number of rows written,
    /// -1 (with `error` set) when the device fails.
    static qsizetype write(const QAbstractItemModel& model, QIODevice& device, Format format,
                           QString* error = nullptr);
    /// The format for a file name: .json / .jsonl give JSON Lines, anything else CSV.
    static Format formatForFileName(const QString& fileName);
};
