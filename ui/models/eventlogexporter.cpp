#include "models/eventlogexporter.h"

#include "models/eventlogmodel.h"
#include "models/eventlogproxymodel.h"
#include "models/redisconnectionnames.h"
#include "session/textformat.h"

#include <QAbstractProxyModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <optional>

using namespace Qt::StringLiterals;

namespace {

QString csvField(const QString& text) {
    if (!text.contains(u',') && !text.contains(u'"') && !text.contains(u'\n'))
        return text;
    QString quoted = text;
    quoted.replace(u"\""_s, u"\"\""_s);
    return u'"' + quoted + u'"';
}

const EventRow* eventOf(const QAbstractItemModel& model, int row) {
    QModelIndex index = model.index(row, 0);
    while (const auto* proxy = qobject_cast<const QAbstractProxyModel*>(index.model()))
        index = proxy->mapToSource(index);
    const auto* log = qobject_cast<const EventLogModel*>(index.model());
    return log ? log->eventAt(index) : nullptr;
}

/// What an export holds: the categories shown and hidden, the text filter, the host filter,
/// the log's size.
struct Scope {
    QStringList shown;
    QStringList hidden;
    QString filter;
    std::optional<QString> host; ///< nullopt: every host; "": this computer
    /// The log's names of the Redis connections: rows are written with the name of now.
    const RedisConnectionNames* names = nullptr;
    int events = 0;
    int total = 0;
};

Scope scopeOf(const QAbstractItemModel& model) {
    Scope scope;
    scope.events = model.rowCount();
    scope.total = scope.events;
    const QAbstractItemModel* source = &model;
    while (const auto* proxy = qobject_cast<const QAbstractProxyModel*>(source))
        if (proxy->sourceModel())
            source = proxy->sourceModel();
        else
            break;
    scope.total = source->rowCount();
    if (const auto* log = qobject_cast<const EventLogModel*>(source))
        scope.names = log->connectionNames();
    const auto* filter = qobject_cast<const EventLogProxyModel*>(&model);
    for (int kind = 0; kind <= static_cast<int>(EventRow::Kind::problem); ++kind) {
        const auto eventKind = static_cast<EventRow::Kind>(kind);
        const bool shown = !filter || filter->isKindVisible(eventKind);
        (shown ? scope.shown : scope.hidden) << EventLogModel::kindLabel(eventKind);
    }
    if (filter) {
        scope.filter = filter->filterText().trimmed();
        scope.host = filter->hostFilter();
    }
    return scope;
}

QString quotedFilter(const QString& filter) {
    QString quoted = filter;
    quoted.replace(u"\\"_s, u"\\\\"_s).replace(u"\""_s, u"\\\""_s);
    return u'"' + quoted + u'"';
}

} // namespace

QString EventLogExporter::scopeLine(const QAbstractItemModel& model) {
    const Scope scope = scopeOf(model);
    QString line =
        u"# lockscope activity log; categories: "_s +
        (scope.hidden.isEmpty() ? u"all ("_s + scope.shown.join(u", "_s) + u')'
                                : scope.shown.join(u", "_s)) +
        u"; hidden: "_s + (scope.hidden.isEmpty() ? u"none"_s : scope.hidden.join(u", "_s)) +
        u"; filter: "_s + (scope.filter.isEmpty() ? u"none"_s : quotedFilter(scope.filter)) +
        (scope.host ? u"; host: "_s + RedisConnectionNames::hostText(scope.names, *scope.host)
                    : QString()) +
        u"; "_s + QString::number(scope.events) + u" of "_s + QString::number(scope.total) +
        u" events"_s;
    line.replace(u'\n', u' ');
    return line;
}

EventLogExporter::Format EventLogExporter::formatForFileName(const QString& fileName) {
    return fileName.endsWith(u".json"_s, Qt::CaseInsensitive) ||
                   fileName.endsWith(u".jsonl"_s, Qt::CaseInsensitive)
               ? Format::jsonLines
               : Format::csv;
}

qsizetype EventLogExporter::write(const QAbstractItemModel& model, QIODevice& device, Format format,
                                  QString* error) {
    qsizetype written = 0;
    auto put = [&](const QString& line) {
        if (device.write(line.toUtf8()) < 0) {
            if (error)
                *error = device.errorString();
            return false;
        }
        return true;
    };
    const Scope scope = scopeOf(model);
    if (format == Format::csv) {
        if (!put(scopeLine(model) + u'\n') ||
            !put(
                u"time,event,source,host,resource,lock_kind,mode,pid,command,duration_ms,duration_exact,detail\n"_s))
            return -1;
    } else {
        QJsonObject about{{u"categories"_s, QJsonArray::fromStringList(scope.shown)},
                          {u"hidden_categories"_s, QJsonArray::fromStringList(scope.hidden)},
                          {u"filter"_s, scope.filter},
                          {u"events"_s, scope.events},
                          {u"of"_s, scope.total}};
        if (scope.host)
            about.insert(u"host"_s, RedisConnectionNames::exportedHost(scope.names, *scope.host));
        const QJsonObject header{{u"lockscope_export"_s, about}};
        if (!put(QString::fromUtf8(QJsonDocument(header).toJson(QJsonDocument::Compact)) + u'\n'))
            return -1;
    }
    for (int row = 0; row < model.rowCount(); ++row) {
        const EventRow* event = eventOf(model, row);
        if (!event)
            continue;
        QString line;
        if (format == Format::csv) {
            const QStringList fields = {
                TextFormat::timestamp(event->timeMs),
                EventLogModel::kindLabel(event->kind),
                event->source,
                RedisConnectionNames::exportedHost(scope.names, event->host),
                event->resource,
                event->lockKind,
                event->mode,
                event->pid > 0 ? QString::number(event->pid) : QString(),
                event->command,
                event->durationMs >= 0 ? QString::number(event->durationMs) : QString(),
                event->durationExact ? u"true"_s : u"false"_s,
                event->detail};
            QStringList quoted;
            for (const QString& field : fields)
                quoted << csvField(field);
            line = quoted.join(u',') + u'\n';
        } else {
            QJsonObject object{
                {u"time"_s, TextFormat::timestamp(event->timeMs)},
                {u"time_ms"_s, event->timeMs},
                {u"event"_s, EventLogModel::kindLabel(event->kind)},
                {u"source"_s, event->source},
                {u"host"_s, RedisConnectionNames::exportedHost(scope.names, event->host)},
                {u"resource"_s, event->resource},
                {u"lock_kind"_s, event->lockKind},
                {u"mode"_s, event->mode},
                {u"pid"_s, event->pid},
                {u"command"_s, event->command},
                {u"detail"_s, event->detail}};
            if (event->durationMs >= 0) {
                object.insert(u"duration_ms"_s, event->durationMs);
                object.insert(u"duration_exact"_s, event->durationExact);
            }
            line = QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact)) + u'\n';
        }
        if (!put(line))
            return -1;
        ++written;
    }
    return written;
}
