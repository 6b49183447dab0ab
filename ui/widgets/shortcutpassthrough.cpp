#include "widgets/shortcutpassthrough.h"

#include <QKeyEvent>

ShortcutPassThrough::ShortcutPassThrough(QList<QKeySequence> sequences, QObject* parent)
    : QObject(parent), m_sequences(std::move(sequences)) {}

void ShortcutPassThrough::install(QObject* field, QList<QKeySequence> sequences) {
    field->installEventFilter(new ShortcutPassThrough(std::move(sequences), field));
}

bool ShortcutPassThrough::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::ShortcutOverride) {
        const auto* key = static_cast<QKeyEvent*>(event);
        const QKeySequence pressed(key->keyCombination());
        for (const QKeySequence& sequence : std::as_const(m_sequences))
            if (sequence == pressed) {
                // Filtered without being accepted: the field never claims the key, so the
                // shortcut map hands it to the window's action.
                event->ignore();
                return true;
            }
    }
    return QObject::eventFilter(watched, event);
}
