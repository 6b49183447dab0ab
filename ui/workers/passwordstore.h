#pragma once
// PasswordStore: Redis passwords in the system keychain through QtKeychain when Lock
// Inspector was built with it; otherwise it stores nothing (the caller then keeps passwords
// for the session only, or - when the operator ticks "remember" - in the settings file with
// a warning). Asynchronous: the keychain may ask the user to unlock it.

#include <QObject>
#include <QString>

class PasswordStore : public QObject {
    Q_OBJECT
  public:
    explicit PasswordStore(QObject* parent = nullptr);

    /// True when built with QtKeychain (a keychain may still be unavailable at run time:
    /// then reads and writes fail with a message).
    static bool keychainCompiledIn();

    void read(const QString& connectionId);
    void write(const QString& connectionId, const QString& password);
    void remove(const QString& connectionId);

  signals:
    /// `error` is empty on success (an empty password then means none was stored).
    void readFinished(const QString& connectionId, const QString& password, const QString& error);
    void writeFinished(const QString& connectionId, const QString& error);
};
