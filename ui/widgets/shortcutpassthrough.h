#pragma once
// ShortcutPassThrough: lets the window's shortcuts through a text field that would swallow
// them. QLineEdit claims Ctrl+E (end of line, emacs style) and similar keys on X11, so Ctrl+E
// (export) did nothing while a filter field had focus. Installed on a field, it declines the
// field's claim on the given key sequences, and the window's action runs.

#include <QKeySequence>
#include <QList>
#include <QObject>

class ShortcutPassThrough : public QObject {
    Q_OBJECT
  public:
    ShortcutPassThrough(QList<QKeySequence> sequences, QObject* parent);
    /// Installs a pass-through for `sequences` on `field` (owned by the field).
    static void install(QObject* field, QList<QKeySequence> sequences);

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    QList<QKeySequence> m_sequences;
};
