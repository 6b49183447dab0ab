#pragma once
// RedisConnectionDialog: add or edit a Redis connection - by URL or by fields, with ACL user
// and password - and test it before saving. Where the password goes is said next to the
// "remember" box: the system keychain, or (without one) the settings file in plain text.

#include "session/redisconnectionconfig.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class RedisConnectionTester;

class RedisConnectionDialog : public QDialog {
    Q_OBJECT
  public:
    explicit RedisConnectionDialog(QWidget* parent = nullptr);

    void setConfig(const RedisConnectionConfig& config);
    /// The connection as entered (keeps the id of the one being edited).
    RedisConnectionConfig config() const;
    /// Starts the Test button's check.
    void test();
    QPushButton* testButton() const { return m_testButton; }
    QLabel* testResult() const { return m_testResult; }

    void accept() override;

  private:
    void applyUrl();
    void updatePasswordNote();

    QString m_id;
    QLineEdit* m_name;
    QLineEdit* m_url;
    QLineEdit* m_host;
    QSpinBox* m_port;
    QLineEdit* m_socket;
    QSpinBox* m_db;
    QLineEdit* m_username;
    QLineEdit* m_password;
    QCheckBox* m_remember;
    QLabel* m_passwordNote;
    QLineEdit* m_match;
    QSpinBox* m_connectTimeout;
    QSpinBox* m_commandTimeout;
    QPushButton* m_testButton;
    QLabel* m_testResult;
    QLabel* m_error;
    RedisConnectionTester* m_tester;
};
