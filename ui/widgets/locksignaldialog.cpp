#include "widgets/locksignaldialog.h"

#include "models/healthstyle.h"
#include "session/textformat.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

QString signalName(inspect::LockSignal signal) {
    return QString::fromLatin1(inspect::signal_name(signal).data(),
                               qsizetype(inspect::signal_name(signal).size()));
}

QString verb(inspect::LockSignal signal) {
    switch (signal) {
    case inspect::LockSignal::cont:
        return LockSignalDialog::tr("Continue");
    case inspect::LockSignal::terminate:
        return LockSignalDialog::tr("Terminate");
    case inspect::LockSignal::kill:
        break;
    }
    return LockSignalDialog::tr("Kill");
}

} // namespace

LockSignalDialog::LockSignalDialog(const FileLockRow& lock, const ProcessRow& process, bool holds,
                                   inspect::LockSignal signal, QString auditLogPath,
                                   QWidget* parent)
    : QDialog(parent),
      m_job(new LockSignalJob(process.pid, lock.path, signal, std::move(auditLogPath), this)),
      m_text(new QLabel(this)), m_outcome(new QLabel(this)),
      m_send(new QPushButton(verb(signal) + u" ("_s + signalName(signal) + u")"_s, this)),
      m_cancel(new QPushButton(tr("Cancel"), this)) {
    setWindowTitle(
        lock.host.isEmpty()
            ? tr("%1 process %2?").arg(verb(signal)).arg(process.pid)
            : tr("%1 process %2 on %3?").arg(verb(signal)).arg(process.pid).arg(lock.host));
    // Until setRemoteCommand(), a remote lock's job refuses: never a local pid by mistake.
    if (!lock.host.isEmpty())
        m_job->setRemote(lock.host, {});
    setAttribute(Qt::WA_DeleteOnClose);
    const auto esc = [](const QString& text) { return text.toHtmlEscaped(); };
    QString html =
        u"<p>"_s +
        tr("Send <b>%1</b> to process <b>%2</b>?").arg(signalName(signal)).arg(process.pid) +
        u"</p><table cellspacing=0 cellpadding=2>"_s;
    const auto line = [&html](const QString& label, const QString& value) {
        html += u"<tr><td style='color:gray;padding-right:8px'>"_s + label + u"</td><td>"_s +
                value + u"</td></tr>"_s;
    };
    line(tr("Command line"),
         u"<code>"_s + esc(process.commandLine.isEmpty() ? process.command : process.commandLine) +
             u"</code>"_s);
    if (!lock.host.isEmpty())
        line(tr("Host"),
             u"<b>"_s + esc(lock.host) + u"</b> "_s + tr("(through its lockctl over ssh)"));
    line(tr("User"), esc(process.user.isEmpty() ? tr("unknown") : process.user));
    line(tr("State"), esc(process.state));
    line(holds ? tr("Holds") : tr("Waits for"),
         esc(lock.kind) + u" "_s + esc(lock.mode) + u" lock on <b>"_s + esc(lock.path) + u"</b>"_s);
    if (holds && !lock.waiters.isEmpty())
        line(tr("Waiting for it"),
             TextFormat::plural(lock.waiters.size(), tr("process"), tr("processes")));
    html += u"</table><p style='color:gray'>"_s;
    switch (signal) {
    case inspect::LockSignal::cont:
        html += tr("A stopped process runs on and may then release the lock.");
        break;
    case inspect::LockSignal::terminate:
        html += tr("The process is asked to end; it may clean up first, or ignore it.");
        break;
    case inspect::LockSignal::kill:
        html += tr("The process ends at once without cleaning up; the kernel releases its "
                   "locks. Work it was doing may be left half done.");
        break;
    }
    html += u"<br>"_s +
            tr("Just before sending, the process is checked to still hold or wait for this file; "
               "the signal goes through a pidfd, so a reused pid is never signalled. The attempt "
               "is written to the activity log and the audit file.") +
            u"</p>"_s;
    m_text->setText(html);
    m_text->setTextFormat(Qt::RichText);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_outcome->setWordWrap(true);
    m_outcome->setTextFormat(Qt::RichText);
    m_outcome->hide();

    // Enter must not signal a process: Cancel is the default button.
    m_send->setAutoDefault(false);
    m_send->setDefault(false);
    m_cancel->setAutoDefault(true);
    m_cancel->setDefault(true);
    auto* buttons = new QDialogButtonBox(this);
    buttons->addButton(m_send, QDialogButtonBox::ActionRole);
    buttons->addButton(m_cancel, QDialogButtonBox::RejectRole);
    connect(m_send, &QPushButton::clicked, this, &LockSignalDialog::send);
    connect(m_cancel, &QPushButton::clicked, this, &LockSignalDialog::reject);
    connect(m_job, &LockSignalJob::finished, this, &LockSignalDialog::showOutcome);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_text);
    layout->addWidget(m_outcome);
    layout->addWidget(buttons);
    resize(560, sizeHint().height());
    m_cancel->setFocus();
}

void LockSignalDialog::setRemoteCommand(QStringList lockctlArgv) {
    m_job->setRemote(m_job->host(), std::move(lockctlArgv));
}

QStringList LockSignalDialog::remoteArguments() const {
    return LockSignalJob::remoteArguments(m_job->pid(), m_job->path(), m_job->signal());
}

QString LockSignalDialog::confirmationText() const {
    return m_text->text();
}

void LockSignalDialog::send() {
    m_send->setEnabled(false);
    m_outcome->setText(tr("Checking and sending…"));
    m_outcome->show();
    m_job->start();
}

void LockSignalDialog::showOutcome(const LockSignalOutcome& outcome) {
    const QString colour = outcome.sent ? HealthStyle::accent(LockHealth::held).name()
                                        : HealthStyle::accent(LockHealth::stuck).name();
    QString html = u"<b style='color:"_s + colour + u"'>"_s +
                   (outcome.sent ? tr("Sent.") : tr("Not sent.")) + u"</b> "_s +
                   outcome.message.toHtmlEscaped();
    if (!outcome.auditProblem.isEmpty())
        html +=
            u"<br><b>"_s + tr("Audit file: ") + u"</b>"_s + outcome.auditProblem.toHtmlEscaped();
    m_outcome->setText(html);
    m_outcome->show();
    // The outcome stays on screen until the operator closes the dialog.
    m_send->hide();
    m_cancel->setText(tr("Close"));
    emit signalled(m_job->pid(), m_job->path(), m_job->signal(), outcome);
}
