#include "session/textformat.h"

#include <portalocker/inspect/redisbytes.hpp>

#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>

using namespace Qt::StringLiterals;

namespace TextFormat {

namespace {
QString twoDigits(qint64 value) {
    return QString::number(value).rightJustified(2, u'0');
}
} // namespace

QString duration(qint64 milliseconds) {
    if (milliseconds < 0)
        return u"–"_s;
    if (milliseconds < 1000)
        return QString::number(milliseconds) + u" ms"_s;
    if (milliseconds < 60'000)
        return QString::number(static_cast<double>(milliseconds) / 1000.0, 'f', 1) + u" s"_s;
    return durationCoarse(milliseconds);
}

QString durationCoarse(qint64 milliseconds) {
    if (milliseconds < 0)
        return u"–"_s;
    const qint64 seconds = milliseconds / 1000;
    if (seconds < 60)
        return QString::number(seconds) + u" s"_s;
    const qint64 minutes = seconds / 60;
    if (minutes < 60)
        return QString::number(minutes) + u"m "_s + twoDigits(seconds % 60) + u's';
    const qint64 hours = minutes / 60;
    if (hours < 24)
        return QString::number(hours) + u"h "_s + twoDigits(minutes % 60) + u'm';
    return QString::number(hours / 24) + u"d "_s + twoDigits(hours % 24) + u'h';
}

QString byteRange(quint64 start, qint64 end) {
    if (start == 0 && end < 0)
        return u"whole file"_s;
    return QString::number(start) + u'\x2013' + (end < 0 ? u"EOF"_s : QString::number(end));
}

QString rangeLength(quint64 start, qint64 end) {
    if (end < 0)
        return u"to EOF"_s;
    const quint64 bytes = static_cast<quint64>(end) - start + 1;
    return QLocale().formattedDataSize(static_cast<qint64>(bytes), 1, QLocale::DataSizeIecFormat);
}

QString clockTime(qint64 msecsSinceEpoch) {
    const QDateTime time = QDateTime::fromMSecsSinceEpoch(msecsSinceEpoch);
    if (time.date() == QDate::currentDate())
        return time.toString(u"HH:mm:ss"_s);
    return time.toString(u"MMM d HH:mm:ss"_s);
}

QString timestamp(qint64 msecsSinceEpoch) {
    return QDateTime::fromMSecsSinceEpoch(msecsSinceEpoch).toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s);
}

QString count(qint64 value) {
    return QLocale().toString(value);
}

QString hostName(const QString& host) {
    return host.isEmpty() ? QCoreApplication::translate("TextFormat", "This computer") : host;
}

QString shownName(std::string_view bytes) {
    return fromStd(std::string_view(portalocker::inspect::printable_bytes(bytes)));
}

QString shownName(const QString& text) {
    for (const QChar c : text) {
        const char16_t unit = c.unicode();
        if (unit < 0x20 || unit >= 0x7F || unit == u'\\')
            return shownName(std::string_view(text.toStdString()));
    }
    return text;
}

QString redisHost(const QString& connectionName) {
    return u"Redis: "_s + connectionName;
}

QString plural(qint64 value, const QString& singular, const QString& pluralForm) {
    return count(value) + u' ' + (value == 1 ? singular : pluralForm);
}

} // namespace TextFormat
