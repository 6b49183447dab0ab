#pragma once
// Writes the rows of an activity-log view (after filtering) as CSV or JSON Lines, after a line
// that says what the export is: which categories of events it holds and which it left out,
// the text filter, and how many of the log's events that is. A reader of the file must be
// able to tell "nothing happened" from "it was filtered out".

#include <QAbstractItemModel>
#include <QIODevice>
#include <QString>

class EventLogExporter {
  public:
    enum class Format { csv, jsonLines };

    /// `model` is the EventLogModel or a proxy over it (its categories, text filter and host
    /// filter, when it is an EventLogProxyModel, go into the first line). CSV: a first line
    /// `# lockscope activity log; categories: ...; hidden: ...; filter: "..."; N of M events`
    /// (comment lines start with '#'; `; host: NAME` follows the filter when the view shows one
    /// host only, NAME being "This computer" or the ssh destination), then the column names and
    /// the rows. JSON Lines: a first object {"lockscope_export": {"categories": [...],
    /// "hidden_categories": [...], "filter": "...", "events": N, "of": M}} (with "host": "DEST"
    /// when one host only, "" meaning this computer), then one object per event. Each row's
    /// `host` is the ssh destination it happened on, empty for this computer, or "Redis: NAME"
    /// for the events of a Redis connection, NAME being its name at the time of the export
    /// (the same in every row, those logged before a rename too; "NAME (removed)" for a
    /// connection removed since). The host filter's NAME likewise. Returns the
    /// number of events written, -1 (with `error` set) when the device fails.
    static qsizetype write(const QAbstractItemModel& model, QIODevice& device, Format format,
                           QString* error = nullptr);
    /// The CSV comment line described at write(), without its newline.
    static QString scopeLine(const QAbstractItemModel& model);
    /// The format for a file name: .json / .jsonl give JSON Lines, anything else CSV.
    static Format formatForFileName(const QString& fileName);
};
