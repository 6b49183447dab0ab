#include "widgets/redisconnectiondialog.h"

#include "workers/passwordstore.h"
#include "workers/redisconnectiontester.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

RedisConnectionDialog::RedisConnectionDialog(QWidget* parent)
    : QDialog(parent), m_name(new QLineEdit(this)), m_url(new QLineEdit(this)),
      m_host(new QLineEdit(u"127.0.0.1"_s, this)), m_port(new QSpinBox(this)),
      m_socket(new QLineEdit(this)), m_db(new QSpinBox(this)), m_username(new QLineEdit(this)),
      m_password(new QLineEdit(this)), m_remember(new QCheckBox(tr("Remember password"), this)),
      m_passwordNote(new QLabel(this)), m_match(new QLineEdit(u"*"_s, this)),
      m_connectTimeout(new QSpinBox(this)), m_commandTimeout(new QSpinBox(this)),
      m_testButton(new QPushButton(tr("Test"), this)), m_testResult(new QLabel(this)),
      m_error(new QLabel(this)), m_tester(new RedisConnectionTester(this)) {
    setWindowTitle(tr("Redis connection"));
    m_name->setPlaceholderText(tr("prod cache"));
    m_url->setPlaceholderText(u"redis://user:password@host:6379/0  or  unix:///run/redis.sock"_s);
    auto* applyUrl = new QPushButton(tr("Use URL"), this);
    auto* urlRow = new QHBoxLayout;
    urlRow->addWidget(m_url, 1);
    urlRow->addWidget(applyUrl);
    m_port->setRange(1, 65535);
    m_port->setValue(6379);
    m_db->setRange(0, 65535);
    m_socket->setPlaceholderText(tr("optional: /run/redis/redis.sock"));
    m_username->setPlaceholderText(tr("ACL user (empty: default)"));
    m_password->setEchoMode(QLineEdit::Password);
    m_remember->setChecked(PasswordStore::keychainCompiledIn());
    m_passwordNote->setWordWrap(true);
    m_match->setToolTip(tr("SCAN MATCH pattern for the keys to examine"));
    for (QSpinBox* timeout : {m_connectTimeout, m_commandTimeout}) {
        timeout->setRange(50, 60000);
        timeout->setValue(2000);
        timeout->setSuffix(u" ms"_s);
    }
    m_testResult->setWordWrap(true);
    m_testResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(u"color: #d32f2f"_s);

    auto* form = new QFormLayout;
    form->addRow(tr("Name"), m_name);
    form->addRow(tr("URL"), urlRow);
    form->addRow(tr("Host"), m_host);
    form->addRow(tr("Port"), m_port);
    form->addRow(tr("Unix socket"), m_socket);
    form->addRow(tr("Database"), m_db);
    form->addRow(tr("User"), m_username);
    form->addRow(tr("Password"), m_password);
    form->addRow(QString(), m_remember);
    form->addRow(QString(), m_passwordNote);
    form->addRow(tr("Key pattern"), m_match);
    form->addRow(tr("Connect timeout"), m_connectTimeout);
    form->addRow(tr("Command timeout"), m_commandTimeout);
    auto* testRow = new QHBoxLayout;
    testRow->addWidget(m_testButton);
    testRow->addWidget(m_testResult, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(testRow);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    resize(560, sizeHint().height());

    connect(applyUrl, &QPushButton::clicked, this, &RedisConnectionDialog::applyUrl);
    connect(m_url, &QLineEdit::returnPressed, this, &RedisConnectionDialog::applyUrl);
    connect(m_remember, &QCheckBox::toggled, this, &RedisConnectionDialog::updatePasswordNote);
    connect(m_testButton, &QPushButton::clicked, this, &RedisConnectionDialog::test);
    connect(m_tester, &RedisConnectionTester::finished, this,
            [this](bool ok, const QString& message) {
                m_testButton->setEnabled(true);
                m_testResult->setText(u"<b style='color:%1'>%2</b> %3"_s.arg(
                    ok ? u"#2e7d32"_s : u"#d32f2f"_s, ok ? tr("OK") : tr("Failed:"),
                    message.toHtmlEscaped()));
            });
    connect(buttons, &QDialogButtonBox::accepted, this, &RedisConnectionDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &RedisConnectionDialog::reject);
    updatePasswordNote();
}

void RedisConnectionDialog::updatePasswordNote() {
    if (!m_remember->isChecked()) {
        m_passwordNote->setText(tr("The password is kept for this session only."));
        m_passwordNote->setStyleSheet(QString());
    } else if (PasswordStore::keychainCompiledIn()) {
        m_passwordNote->setText(tr("The password is stored in the system keychain."));
        m_passwordNote->setStyleSheet(QString());
    } else {
        m_passwordNote->setText(tr("Warning: there is no keychain. The password will be stored "
                                   "in PLAIN TEXT in Lock Inspector's settings file."));
        m_passwordNote->setStyleSheet(u"color: #d32f2f; font-weight: bold"_s);
    }
}

void RedisConnectionDialog::applyUrl() {
    RedisConnectionConfig parsed = config();
    QString error;
    if (!parsed.setFromUrl(m_url->text(), &error)) {
        m_error->setText(tr("Not a valid Redis URL: %1").arg(error));
        return;
    }
    m_error->clear();
    const QString name = m_name->text();
    setConfig(parsed);
    m_name->setText(name);
    m_url->clear();
}

void RedisConnectionDialog::setConfig(const RedisConnectionConfig& config) {
    m_id = config.id;
    m_name->setText(config.name);
    m_host->setText(config.host);
    m_port->setValue(config.port);
    m_socket->setText(config.unixSocket);
    m_db->setValue(config.db);
    m_username->setText(config.username);
    m_password->setText(config.password);
    m_remember->setChecked(config.rememberPassword);
    m_match->setText(config.match);
    m_connectTimeout->setValue(config.connectTimeoutMs);
    m_commandTimeout->setValue(config.commandTimeoutMs);
}

RedisConnectionConfig RedisConnectionDialog::config() const {
    RedisConnectionConfig config;
    config.id = m_id;
    config.name = m_name->text().trimmed();
    config.host = m_host->text().trimmed();
    config.port = m_port->value();
    config.unixSocket = m_socket->text().trimmed();
    config.db = m_db->value();
    config.username = m_username->text();
    config.password = m_password->text();
    config.rememberPassword = m_remember->isChecked();
    config.match = m_match->text().isEmpty() ? u"*"_s : m_match->text();
    config.connectTimeoutMs = m_connectTimeout->value();
    config.commandTimeoutMs = m_commandTimeout->value();
    return config;
}

void RedisConnectionDialog::test() {
    if (m_tester->isRunning())
        return;
    m_testButton->setEnabled(false);
    m_testResult->setText(tr("Connecting…"));
    m_tester->test(config().toOptions());
}

void RedisConnectionDialog::accept() {
    if (m_host->text().trimmed().isEmpty() && m_socket->text().trimmed().isEmpty()) {
        m_error->setText(tr("Enter a host or a unix socket."));
        return;
    }
    QDialog::accept();
}
