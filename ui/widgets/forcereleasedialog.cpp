#include "widgets/forcereleasedialog.h"

#include "models/healthstyle.h"
#include "session/textformat.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFont>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace {

QLabel* valueLabel(const QString& text, bool monospace, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    if (monospace) {
        QFont font(u"monospace"_s);
        font.setStyleHint(QFont::Monospace);
        label->setFont(font);
    }
    return label;
}

} // namespace

ForceReleaseDialog::ForceReleaseDialog(const RedisLockRow& row, QWidget* parent)
    : QDialog(parent), m_row(row), m_ttl(new QLabel(this)), m_confirm(new QLineEdit(this)),
      m_release(new QPushButton(tr("Force release"), this)), m_close(nullptr),
      m_outcome(new QLabel(this)), m_steps(new QPlainTextEdit(this)) {
    setWindowTitle(tr("Force release %1").arg(row.key));
    auto* warning = new QLabel(
        tr("<b>This removes a lock another program holds.</b> It is deleted only if it still "
           "holds the token below; if it changed since you looked, nothing is deleted. The old "
           "holder may still be running and believe it holds the lock. The attempt is logged."),
        this);
    warning->setWordWrap(true);
    warning->setStyleSheet(u"background: %1; color: white; padding: 8px; border-radius: 4px"_s.arg(
        HealthStyle::accent(LockHealth::deadlocked).name()));

    auto* form = new QFormLayout;
    form->addRow(tr("Server"), valueLabel(row.connectionName, false, this));
    if (!row.node.isEmpty()) // the release runs on the key's master
        form->addRow(tr("Node"), valueLabel(row.node, false, this));
    form->addRow(tr("Key"), valueLabel(row.key, true, this));
    form->addRow(
        tr("Convention"),
        valueLabel(row.convention + u" ("_s + row.confidence + u" confidence)"_s, false, this));
    form->addRow(tr("Token seen"),
                 valueLabel(row.token.isEmpty()
                                ? tr("(none: channel lock)")
                                : row.token + (row.tokenComplete ? QString() : tr(" (truncated)")),
                            true, this));
    form->addRow(tr("Holder"),
                 valueLabel(row.holders.isEmpty() ? row.owner : row.holders, false, this));
    if (row.fencing >= 0)
        form->addRow(tr("Fencing"), valueLabel(QString::number(row.fencing), false, this));
    form->addRow(tr("TTL"), m_ttl);
    for (const QString& text : row.warnings)
        form->addRow(tr("Warning"), valueLabel(text, false, this));

    auto* typeLabel = new QLabel(tr("Type the key to confirm:"), this);
    m_confirm->setPlaceholderText(row.key);
    m_confirm->setFont(QFont(u"monospace"_s));
    m_release->setEnabled(false);
    m_release->setStyleSheet(u"QPushButton:enabled { color: %1; font-weight: bold }"_s.arg(
        HealthStyle::accent(LockHealth::deadlocked).name()));
    m_outcome->setWordWrap(true);
    m_outcome->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_steps->setReadOnly(true);
    m_steps->setVisible(false);
    m_steps->setMaximumHeight(120);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_release, QDialogButtonBox::DestructiveRole);
    m_close = buttons->button(QDialogButtonBox::Close);
    // Enter in the key field goes to the default button. That is Force release (which does
    // nothing while disabled), never Close: Enter must not throw the outcome away.
    m_close->setAutoDefault(false);
    m_close->setDefault(false);
    m_release->setAutoDefault(false);
    m_release->setDefault(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(warning);
    layout->addLayout(form);
    layout->addWidget(typeLabel);
    layout->addWidget(m_confirm);
    layout->addWidget(m_outcome);
    layout->addWidget(m_steps);
    layout->addWidget(buttons);
    resize(600, sizeHint().height());

    if (!row.releasable) {
        m_confirm->setEnabled(false);
        m_outcome->setText(
            tr("This lock cannot be force-released (a fencing counter, a value too "
               "large to compare, or a channel lock without a holder to disconnect)."));
    }
    connect(m_confirm, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_release->setEnabled(m_row.releasable && text == m_row.key && !m_started);
    });
    // No returnPressed connection: QDialog already turns Enter into a click on the default
    // button, and a second route would be a second action.
    connect(m_release, &QPushButton::clicked, this, &ForceReleaseDialog::release);
    connect(buttons, &QDialogButtonBox::rejected, this, &ForceReleaseDialog::reject);
    m_tick.setInterval(200);
    connect(&m_tick, &QTimer::timeout, this, &ForceReleaseDialog::updateTtl);
    m_tick.start();
    updateTtl();
}

void ForceReleaseDialog::updateTtl() {
    const qint64 remaining = m_row.remainingMs(QDateTime::currentMSecsSinceEpoch());
    if (remaining == -1)
        m_ttl->setText(
            u"<b style='color:%1'>%2</b>"_s.arg(HealthStyle::accent(LockHealth::stuck).name(),
                                                tr("no TTL: it never expires on its own")));
    else if (remaining < 0)
        m_ttl->setText(tr("held while the holder stays subscribed"));
    else
        m_ttl->setText(tr("%1 left (as of the last scan, counting down)")
                           .arg(TextFormat::duration(remaining)));
}

void ForceReleaseDialog::release() {
    if (!m_row.releasable || m_confirm->text() != m_row.key || m_started)
        return;
    m_started = true; // one release per dialog: the outcome describes the lock as seen
    m_release->setEnabled(false);
    m_confirm->setEnabled(false);
    m_outcome->setText(tr("Releasing…"));
    emit releaseConfirmed(m_row);
}

void ForceReleaseDialog::follow(ForceReleaseJob* job) {
    m_job = job;
    if (!job) {
        ForceReleaseOutcome outcome;
        outcome.result = ForceReleaseOutcome::Result::failed;
        outcome.resultName = u"failed"_s;
        outcome.message = tr("the connection of this lock was removed: nothing was released");
        outcome.auditLogged = true; // nothing was attempted, so there is nothing to log
        showOutcome(outcome);
        return;
    }
    connect(job, &ForceReleaseJob::finished, this, &ForceReleaseDialog::showOutcome);
}

void ForceReleaseDialog::showOutcome(const ForceReleaseOutcome& outcome) {
    QString colour;
    QString headline;
    switch (outcome.result) {
    case ForceReleaseOutcome::Result::released:
        colour = HealthStyle::accent(LockHealth::held).name();
        headline = tr("Released.");
        break;
    case ForceReleaseOutcome::Result::changed:
        colour = HealthStyle::accent(LockHealth::stuck).name();
        headline = tr("The lock changed meanwhile: nothing was deleted.");
        break;
    case ForceReleaseOutcome::Result::gone:
        colour = HealthStyle::accent(LockHealth::stuck).name();
        headline = tr("The lock is already gone: nothing was deleted.");
        break;
    case ForceReleaseOutcome::Result::refused:
    case ForceReleaseOutcome::Result::failed:
        colour = HealthStyle::accent(LockHealth::deadlocked).name();
        headline =
            outcome.result == ForceReleaseOutcome::Result::refused ? tr("Refused.") : tr("Failed.");
        break;
    }
    QString text =
        u"<b style='color:%1'>%2</b> %3"_s.arg(colour, headline, outcome.message.toHtmlEscaped());
    if (!outcome.deniedCommand.isEmpty())
        text += u"<br>"_s +
                tr("Denied by the server's ACL: %1").arg(outcome.deniedCommand.toHtmlEscaped());
    if (!outcome.auditLogged)
        text += u"<br><b>"_s + tr("The attempt could not be written to the audit log.") + u"</b>"_s;
    for (const QString& warning : outcome.warnings)
        text += u"<br>"_s + warning.toHtmlEscaped();
    m_outcome->setText(text);
    m_steps->setPlainText(outcome.steps.join(u'\n'));
    m_steps->setVisible(!outcome.steps.isEmpty());
    m_close->setFocus(Qt::OtherFocusReason); // the key field is done; Escape or Close leaves
}
