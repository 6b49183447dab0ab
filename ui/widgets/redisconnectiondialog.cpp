#include "widgets/redisconnectiondialog.h"

#include "workers/passwordstore.h"
#include "workers/redisconnectiontester.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace {

constexpr auto warningStyle = "color: #b26a00; font-weight: bold";
constexpr auto errorColor = "#d32f2f";

using Topology = RedisConnectionConfig::Topology;

} // namespace

RedisConnectionDialog::RedisConnectionDialog(QWidget* parent)
    : QDialog(parent), m_name(new QLineEdit(this)), m_url(new QLineEdit(this)),
      m_tabs(new QTabWidget(this)), m_host(new QLineEdit(u"127.0.0.1"_s, this)),
      m_port(new QSpinBox(this)), m_socket(new QLineEdit(this)), m_db(new QSpinBox(this)),
      m_username(new QLineEdit(this)), m_password(new QLineEdit(this)),
      m_remember(new QCheckBox(tr("Remember password"), this)), m_passwordNote(new QLabel(this)),
      m_readOnly(new QCheckBox(tr("Read-only: never release, acquire or kill a client"), this)),
      m_match(new QLineEdit(u"*"_s, this)), m_connectTimeout(new QSpinBox(this)),
      m_commandTimeout(new QSpinBox(this)), m_tls(new QCheckBox(tr("Use TLS (rediss://)"), this)),
      m_caFile(new QLineEdit(this)), m_caDir(new QLineEdit(this)), m_certFile(new QLineEdit(this)),
      m_keyFile(new QLineEdit(this)), m_sni(new QLineEdit(this)),
      m_verify(new QCheckBox(tr("Verify the server's certificate and host name"), this)),
      m_topology(new QComboBox(this)), m_sentinelMaster(new QLineEdit(this)),
      m_sentinels(new QLineEdit(this)), m_sentinelUser(new QLineEdit(this)),
      m_sentinelPassword(new QLineEdit(this)), m_topologyNote(new QLabel(this)),
      m_ssh(new QLineEdit(this)), m_warning(new QLabel(this)),
      m_testButton(new QPushButton(tr("Test"), this)), m_testResult(new QLabel(this)),
      m_error(new QLabel(this)), m_tester(new RedisConnectionTester(this)) {
    setWindowTitle(tr("Redis connection"));
    m_name->setPlaceholderText(tr("prod cache"));
    m_url->setPlaceholderText(
        u"redis://user:pass@host:6379/0, rediss://host:6380, redis://s1:26379,s2?sentinel=mymaster"_s);
    auto* applyUrl = new QPushButton(tr("Use URL"), this);
    auto* urlRow = new QHBoxLayout;
    urlRow->addWidget(m_url, 1);
    urlRow->addWidget(applyUrl);

    m_tabs->addTab(createConnectionPage(), tr("Connection"));
    m_tabs->addTab(createTlsPage(), tr("TLS"));
    m_tabs->addTab(createTopologyPage(), tr("Topology"));
    m_tabs->addTab(createSshPage(), tr("SSH"));

    m_warning->setWordWrap(true);
    m_warning->setStyleSheet(QString::fromLatin1(warningStyle));
    m_testResult->setWordWrap(true);
    m_testResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_testResult->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_error->setStyleSheet(u"color: %1"_s.arg(QLatin1String(errorColor)));

    auto* top = new QFormLayout;
    top->addRow(tr("Name"), m_name);
    top->addRow(tr("URL"), urlRow);
    auto* testRow = new QHBoxLayout;
    testRow->addWidget(m_testButton, 0, Qt::AlignTop);
    testRow->addWidget(m_testResult, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_tabs);
    layout->addWidget(m_warning);
    layout->addLayout(testRow);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    resize(620, sizeHint().height());

    connect(applyUrl, &QPushButton::clicked, this, &RedisConnectionDialog::applyUrl);
    connect(m_url, &QLineEdit::returnPressed, this, &RedisConnectionDialog::applyUrl);
    connect(m_remember, &QCheckBox::toggled, this, &RedisConnectionDialog::updatePasswordNote);
    connect(m_testButton, &QPushButton::clicked, this, &RedisConnectionDialog::test);
    connect(m_tester, &RedisConnectionTester::finished, this,
            &RedisConnectionDialog::showTestResult);
    for (QCheckBox* box : {m_tls, m_verify, m_readOnly})
        connect(box, &QCheckBox::toggled, this, &RedisConnectionDialog::updateEnabled);
    connect(m_topology, &QComboBox::currentIndexChanged, this,
            &RedisConnectionDialog::updateEnabled);
    connect(m_ssh, &QLineEdit::textChanged, this, &RedisConnectionDialog::updateEnabled);
    connect(buttons, &QDialogButtonBox::accepted, this, &RedisConnectionDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &RedisConnectionDialog::reject);
    updatePasswordNote();
    updateEnabled();
}

QWidget* RedisConnectionDialog::createConnectionPage() {
    auto* page = new QWidget(this);
    m_port->setRange(1, 65535);
    m_port->setValue(6379);
    m_db->setRange(0, 65535);
    m_socket->setPlaceholderText(tr("optional: /run/redis/redis.sock"));
    m_username->setPlaceholderText(tr("ACL user (empty: default)"));
    m_password->setEchoMode(QLineEdit::Password);
    m_remember->setChecked(PasswordStore::keychainCompiledIn());
    m_passwordNote->setWordWrap(true);
    m_readOnly->setToolTip(tr("For looking only: the library refuses every command that "
                              "changes data or another client, and the release, acquire and "
                              "kill actions are greyed out."));
    m_match->setToolTip(tr("SCAN MATCH pattern for the keys to examine"));
    for (QSpinBox* timeout : {m_connectTimeout, m_commandTimeout}) {
        timeout->setRange(50, 60000);
        timeout->setValue(2000);
        timeout->setSuffix(u" ms"_s);
    }
    auto* form = new QFormLayout(page);
    form->addRow(tr("Host"), m_host);
    form->addRow(tr("Port"), m_port);
    form->addRow(tr("Unix socket"), m_socket);
    form->addRow(tr("Database"), m_db);
    form->addRow(tr("User"), m_username);
    form->addRow(tr("Password"), m_password);
    form->addRow(QString(), m_remember);
    form->addRow(QString(), m_passwordNote);
    form->addRow(QString(), m_readOnly);
    form->addRow(tr("Key pattern"), m_match);
    form->addRow(tr("Connect timeout"), m_connectTimeout);
    form->addRow(tr("Command timeout"), m_commandTimeout);
    return page;
}

QWidget* RedisConnectionDialog::createTlsPage() {
    auto* page = new QWidget(this);
    m_caFile->setPlaceholderText(tr("PEM file (--cacert); empty: the system trust store"));
    m_caDir->setPlaceholderText(tr("hashed certificate directory (--cacertdir)"));
    m_certFile->setPlaceholderText(tr("client certificate, PEM (--cert), if the server asks"));
    m_keyFile->setPlaceholderText(tr("its unencrypted private key, PEM (--key)"));
    m_sni->setPlaceholderText(tr("server name to send and check (--sni); empty: the host"));
    m_verify->setChecked(true);
    m_verify->setToolTip(tr("Unchecked is redis-cli's --insecure: anybody on the network path "
                            "can then read and change the traffic, passwords included."));
    auto* form = new QFormLayout(page);
    form->addRow(QString(), m_tls);
    form->addRow(tr("CA file"), pathRow(m_caFile, false));
    form->addRow(tr("CA directory"), pathRow(m_caDir, true));
    form->addRow(tr("Client certificate"), pathRow(m_certFile, false));
    form->addRow(tr("Client key"), pathRow(m_keyFile, false));
    form->addRow(tr("SNI / host name"), m_sni);
    form->addRow(QString(), m_verify);
    return page;
}

QWidget* RedisConnectionDialog::createTopologyPage() {
    auto* page = new QWidget(this);
    m_topology->addItem(tr("Single server"), static_cast<int>(Topology::standalone));
    m_topology->addItem(tr("Sentinel (find the master by name)"),
                        static_cast<int>(Topology::sentinel));
    m_topology->addItem(tr("Cluster (host and port name a seed node)"),
                        static_cast<int>(Topology::cluster));
    m_sentinelMaster->setPlaceholderText(u"mymaster"_s);
    m_sentinels->setPlaceholderText(u"10.0.0.1:26379, 10.0.0.2:26379, 10.0.0.3:26379"_s);
    m_sentinelUser->setPlaceholderText(tr("the sentinels' own ACL user, if any"));
    m_sentinelPassword->setEchoMode(QLineEdit::Password);
    m_sentinelPassword->setPlaceholderText(
        tr("kept like the password (\"Remember password\" on the Connection page)"));
    m_topologyNote->setWordWrap(true);
    auto* form = new QFormLayout(page);
    form->addRow(tr("Topology"), m_topology);
    form->addRow(tr("Master name"), m_sentinelMaster);
    form->addRow(tr("Sentinels"), m_sentinels);
    form->addRow(tr("Sentinel user"), m_sentinelUser);
    form->addRow(tr("Sentinel password"), m_sentinelPassword);
    form->addRow(QString(), m_topologyNote);
    return page;
}

QWidget* RedisConnectionDialog::createSshPage() {
    auto* page = new QWidget(this);
    m_ssh->setPlaceholderText(tr("user@bastion or a Host alias of ~/.ssh/config; empty: direct"));
    auto* note = new QLabel(
        tr("Every connection (the server, the sentinels and the master they name) goes through "
           "the system OpenSSH client: <tt>ssh -W host:port DESTINATION</tt>, with your ssh "
           "configuration, agent, keys and known_hosts. Lock Inspector never asks for a "
           "password (BatchMode): an unknown host key or a refused key is shown as the "
           "connection's error, in ssh's words. Host names are resolved on the ssh host; TLS "
           "still checks the server's own name. $LOCKSCOPE_SSH_COMMAND replaces <tt>ssh</tt>. "
           "Tip: ControlMaster/ControlPersist in your ssh configuration for this host make "
           "each scan's connections cheap."),
        page);
    note->setWordWrap(true);
    auto* form = new QFormLayout(page);
    form->addRow(tr("SSH destination"), m_ssh);
    form->addRow(QString(), note);
    return page;
}

QWidget* RedisConnectionDialog::pathRow(QLineEdit* edit, bool directory) {
    auto* row = new QWidget(this);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* browse = new QToolButton(row);
    browse->setText(u"\u2026"_s);
    browse->setToolTip(directory ? tr("Choose a directory") : tr("Choose a file"));
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this, edit, directory] {
        auto* picker = new QFileDialog(this);
        picker->setAttribute(Qt::WA_DeleteOnClose);
        picker->setFileMode(directory ? QFileDialog::Directory : QFileDialog::ExistingFile);
        if (!edit->text().isEmpty())
            picker->selectFile(edit->text());
        connect(picker, &QFileDialog::fileSelected, edit, &QLineEdit::setText);
        picker->open();
    });
    return row;
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

void RedisConnectionDialog::updateEnabled() {
    const bool tls = m_tls->isChecked();
    for (QLineEdit* edit : {m_caFile, m_caDir, m_certFile, m_keyFile})
        edit->parentWidget()->setEnabled(tls); // the path row, with its browse button
    m_sni->setEnabled(tls);
    m_verify->setEnabled(tls);
    const auto topology = static_cast<Topology>(m_topology->currentData().toInt());
    const bool sentinel = topology == Topology::sentinel;
    for (QLineEdit* edit : {m_sentinelMaster, m_sentinels, m_sentinelUser, m_sentinelPassword})
        edit->setEnabled(sentinel);
    m_host->setEnabled(!sentinel);
    m_port->setEnabled(!sentinel);
    m_socket->setEnabled(!sentinel);
    switch (topology) {
    case Topology::sentinel:
        m_topologyNote->setText(tr("The sentinels are asked for the master's address; after a "
                                   "failover the connection follows the new master. Host and "
                                   "port on the Connection page are not used. Sentinels speak "
                                   "TLS when the connection does."));
        break;
    case Topology::cluster:
        m_topologyNote->setText(tr("Host and port name any node of the Cluster (a seed): the "
                                   "slot map is read from it, every master is scanned, and each "
                                   "lock shows its node. Lease keys need a hash tag ({name}); "
                                   "channel locks are not possible on a Cluster."));
        break;
    case Topology::standalone:
        m_topologyNote->setText(tr("One server at the host and port (or socket) given."));
        break;
    }
    m_tabs->setTabText(1, tls ? tr("TLS \u2713") : tr("TLS"));
    const int sshTab = m_tabs->indexOf(m_ssh->parentWidget());
    m_tabs->setTabText(sshTab, m_ssh->text().trimmed().isEmpty() ? tr("SSH") : tr("SSH \u2713"));
    const QString warning = warningText();
    m_warning->setText(warning);
    m_warning->setVisible(!warning.isEmpty());
}

QString RedisConnectionDialog::warningText() const {
    QStringList warnings;
    if (m_tls->isChecked() && !m_verify->isChecked())
        warnings << tr("\u26a0 Insecure TLS: the server's certificate and name are not checked; "
                       "anybody on the network path can read and change the traffic.");
    return warnings.join(u'\n');
}

void RedisConnectionDialog::showTlsPage() {
    m_tabs->setCurrentIndex(1);
}

void RedisConnectionDialog::showSshPage() {
    m_tabs->setCurrentWidget(m_ssh->parentWidget());
}

void RedisConnectionDialog::showTestResult(bool ok, const QString& message) {
    m_testButton->setEnabled(true);
    const RedisConnectionTester::Result& result = m_tester->lastResult();
    QString html = u"<b style='color:%1'>%2</b> %3"_s.arg(
        ok ? u"#2e7d32"_s : QLatin1String(errorColor), ok ? tr("OK") : tr("Failed:"),
        message.toHtmlEscaped());
    for (const QString& line : result.details)
        html += u"<br>"_s + line.toHtmlEscaped();
    for (const QString& warning : result.warnings)
        html += u"<br><span style='%1'>%2</span>"_s.arg(
            QLatin1String(warningStyle), tr("Warning: %1").arg(warning).toHtmlEscaped());
    m_testResult->setText(html);
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
    m_readOnly->setChecked(config.readOnly);
    m_match->setText(config.match);
    m_connectTimeout->setValue(config.connectTimeoutMs);
    m_commandTimeout->setValue(config.commandTimeoutMs);
    m_tls->setChecked(config.tls);
    m_caFile->setText(config.tlsCaFile);
    m_caDir->setText(config.tlsCaDir);
    m_certFile->setText(config.tlsCertFile);
    m_keyFile->setText(config.tlsKeyFile);
    m_sni->setText(config.tlsSni);
    m_verify->setChecked(config.tlsVerify);
    m_topology->setCurrentIndex(m_topology->findData(static_cast<int>(config.topology)));
    m_sentinelMaster->setText(config.sentinelMaster);
    m_sentinels->setText(config.sentinels);
    m_sentinelUser->setText(config.sentinelUsername);
    m_sentinelPassword->setText(config.sentinelPassword);
    m_ssh->setText(config.sshDestination);
    updateEnabled();
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
    config.readOnly = m_readOnly->isChecked();
    config.match = m_match->text().isEmpty() ? u"*"_s : m_match->text();
    config.connectTimeoutMs = m_connectTimeout->value();
    config.commandTimeoutMs = m_commandTimeout->value();
    config.tls = m_tls->isChecked();
    config.tlsCaFile = m_caFile->text().trimmed();
    config.tlsCaDir = m_caDir->text().trimmed();
    config.tlsCertFile = m_certFile->text().trimmed();
    config.tlsKeyFile = m_keyFile->text().trimmed();
    config.tlsSni = m_sni->text().trimmed();
    config.tlsVerify = m_verify->isChecked();
    config.topology = static_cast<Topology>(m_topology->currentData().toInt());
    config.sentinelMaster = m_sentinelMaster->text().trimmed();
    config.sentinels = m_sentinels->text().trimmed();
    config.sentinelUsername = m_sentinelUser->text();
    config.sentinelPassword = m_sentinelPassword->text();
    config.sshDestination = m_ssh->text().trimmed();
    return config;
}

void RedisConnectionDialog::test() {
    if (m_tester->isRunning())
        return;
    m_testButton->setEnabled(false);
    m_testResult->setText(tr("Connecting…"));
    m_tester->test(config());
}

void RedisConnectionDialog::accept() {
    const RedisConnectionConfig entered = config();
    QString problem;
    if (entered.topology == Topology::sentinel) {
        QString listError;
        entered.sentinelEndpoints(&listError);
        if (entered.sentinelMaster.isEmpty() || entered.sentinels.isEmpty())
            problem = tr("Sentinel needs the master's name and at least one sentinel.");
        else if (!listError.isEmpty())
            problem = tr("The sentinel list is not valid: %1.").arg(listError);
    } else if (entered.host.isEmpty() && entered.unixSocket.isEmpty()) {
        problem = tr("Enter a host or a unix socket.");
    }
    if (entered.sshDestination.startsWith(u'-'))
        problem = tr("An ssh destination cannot start with '-' (ssh would read it as an option).");
    else if (!entered.sshDestination.isEmpty() && !entered.unixSocket.isEmpty() &&
             entered.topology != Topology::sentinel)
        problem = tr("An ssh tunnel reaches a host and port, not a unix socket.");
    if (entered.tls && entered.tlsCertFile.isEmpty() != entered.tlsKeyFile.isEmpty())
        problem = tr("A client certificate needs its key, and a key its certificate.");
    if (!problem.isEmpty()) {
        m_error->setText(problem);
        return;
    }
    QDialog::accept();
}
