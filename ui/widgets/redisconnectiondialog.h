#pragma once
// RedisConnectionDialog: add or edit a Redis connection - by URL or by fields, with ACL user
// and password, TLS (CA, client certificate, SNI, verification), the topology (a single
// server, a Sentinel-managed master, a Cluster) and read-only - and test it before saving.
// Where the password goes is said next to the "remember" box: the system keychain, or
// (without one) the settings file in plain text. Turning verification off is shown as a
// warning. The SSH page names a destination to reach the servers through (the system
// OpenSSH client, `ssh -W`).

#include "session/redisconnectionconfig.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
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
    /// Shows the page with the TLS fields (for screenshots and tests).
    void showTlsPage();
    /// Shows the page with the SSH tunnel field (for screenshots and tests).
    void showSshPage();
    /// The warning about unverified TLS; empty when there is nothing to warn.
    QString warningText() const;

    void accept() override;

  private:
    QWidget* createConnectionPage();
    QWidget* createTlsPage();
    QWidget* createTopologyPage();
    QWidget* createSshPage();
    /// A line edit with a "…" button that picks a file (or a directory) with a non-modal-loop
    /// file dialog.
    QWidget* pathRow(QLineEdit* edit, bool directory);
    void applyUrl();
    void updatePasswordNote();
    void updateEnabled();
    void showTestResult(bool ok, const QString& message);

    QString m_id;
    QLineEdit* m_name;
    QLineEdit* m_url;
    QTabWidget* m_tabs;
    // Connection
    QLineEdit* m_host;
    QSpinBox* m_port;
    QLineEdit* m_socket;
    QSpinBox* m_db;
    QLineEdit* m_username;
    QLineEdit* m_password;
    QCheckBox* m_remember;
    QLabel* m_passwordNote;
    QCheckBox* m_readOnly;
    QLineEdit* m_match;
    QSpinBox* m_connectTimeout;
    QSpinBox* m_commandTimeout;
    // TLS
    QCheckBox* m_tls;
    QLineEdit* m_caFile;
    QLineEdit* m_caDir;
    QLineEdit* m_certFile;
    QLineEdit* m_keyFile;
    QLineEdit* m_sni;
    QCheckBox* m_verify;
    // Topology
    QComboBox* m_topology;
    QLineEdit* m_sentinelMaster;
    QLineEdit* m_sentinels;
    QLineEdit* m_sentinelUser;
    QLineEdit* m_sentinelPassword;
    QLabel* m_topologyNote;
    // SSH
    QLineEdit* m_ssh;

    QLabel* m_warning;
    QPushButton* m_testButton;
    QLabel* m_testResult;
    QLabel* m_error;
    RedisConnectionTester* m_tester;
};
