#pragma once
// RedisConnectionNames: what each Redis connection is called now, by its stable id. The
// activity log's rows and the timeline's lanes of a connection carry its id (as their host:
// hostOf()), never its name, and ask here when they are shown or exported: a renamed
// connection has one name everywhere at once, rows logged and lanes opened before the rename
// included, and a rename costs nothing per row. A removed connection keeps the last name it
// had, marked "(removed)": its history stays readable and is not mistaken for a connection of
// that name added later.

#include <QHash>
#include <QObject>
#include <QString>

class QAbstractItemModel;

class RedisConnectionNames : public QObject {
    Q_OBJECT
  public:
    explicit RedisConnectionNames(QObject* parent = nullptr);

    /// The host of the rows and lanes of the connection `connectionId` (EventRow::host,
    /// TimelineLane::host, the host filters' choice): stable across renames. It has a space,
    /// so no ssh destination has this form (see TextFormat::redisHost).
    static QString hostOf(const QString& connectionId);
    /// The connection whose host is `host`; empty when `host` is not a connection's.
    static QString connectionIdOf(const QString& host);

    /// Names a connection, new or renamed; renamed() when the name changed.
    void setName(const QString& connectionId, const QString& name);
    /// The connection is gone: its rows keep its last name, marked "(removed)".
    void setRemoved(const QString& connectionId);
    /// Repaints `column` of `model`, the one that shows connection names, in every row once
    /// per rename: the rows keep their ids, only what the column shows changes. Ends with
    /// either object.
    void repaintOnRename(QAbstractItemModel* model, int column);
    /// True until a connection is named (removed ones count: their rows may be in the log).
    bool isEmpty() const { return m_entries.isEmpty(); }
    /// "NAME", "NAME (removed)", or the id for a connection never named here.
    QString name(const QString& connectionId) const;
    /// How a host is shown: "Redis: NAME" for a connection's (hostOf()), else
    /// TextFormat::hostName(host).
    QString hostText(const QString& host) const;
    /// As hostText(), with `names` possibly null (the id stands for the name then).
    static QString hostText(const RedisConnectionNames* names, const QString& host);
    /// How a host is written to a file: as hostText() for a connection's, else `host` itself
    /// ("" for this computer, an ssh destination, "Redis: ADDRESS").
    static QString exportedHost(const RedisConnectionNames* names, const QString& host);

  signals:
    /// A connection's name() changed (renamed or removed).
    void renamed(const QString& connectionId);

  private:
    struct Entry {
        QString name;
        bool removed = false;
    };
    QHash<QString, Entry> m_entries;
};
