#pragma once
// Small text helpers shared by models, views and dialogs: durations, byte ranges, times.

#include <QString>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace TextFormat {

/// "850 ms", "12.4 s", "4m 05s", "2h 03m", "3d 04h": short, fixed-ish width, sortable by eye.
QString duration(qint64 milliseconds);
/// Like duration() but with whole seconds below a minute ("12 s"): for ticking columns,
/// whose text should not jitter every repaint.
QString durationCoarse(qint64 milliseconds);
/// "whole file", "0–9", "4096–EOF"; `end` < 0 means to the end of the file.
QString byteRange(quint64 start, qint64 end);
/// The number of bytes in a range ("10 B", "4 KiB", "to EOF").
QString rangeLength(quint64 start, qint64 end);
/// Milliseconds since the epoch as local "HH:mm:ss" (today) or "MMM d HH:mm:ss".
QString clockTime(qint64 msecsSinceEpoch);
/// Local "yyyy-MM-dd HH:mm:ss.zzz" for logs and exports.
QString timestamp(qint64 msecsSinceEpoch);
/// "1,234" with the locale's group separator.
QString count(qint64 value);
/// A host as the views name it: "This computer" for "" (this machine), else the ssh
/// destination as the operator gave it.
QString hostName(const QString& host);
/// The host of a Redis connection's events: "Redis: NAME", NAME being the connection as the
/// Redis tab names it (or, for a server no connection here reaches, its address). No ssh
/// destination has this form (host names and ssh_config aliases have no spaces), so the Host
/// column and box never mistake one for the other.
QString redisHost(const QString& connectionName);
/// "1 lock", "0 locks", "1,234 locks": the count with the right one of two words.
QString plural(qint64 value, const QString& singular, const QString& pluralForm);

/// A name as the views show it: a file path, command line or other bytes a user, another
/// program or a server chose. The library's rules for names (see "How names are shown" in the
/// README): control, C1, bidi and zero-width characters escaped, a backslash doubled, so that
/// no name can break a row or read backwards. Plain printable ASCII comes back as it is.
QString shownName(const QString& text);
QString shownName(std::string_view bytes);

inline QString fromStd(const std::string& text) {
    return QString::fromStdString(text);
}
inline QString fromStd(std::string_view text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

template <class Clock, class Duration>
qint64 msecsSinceEpoch(const std::chrono::time_point<Clock, Duration>& time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

} // namespace TextFormat
