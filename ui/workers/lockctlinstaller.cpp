#include "workers/lockctlinstaller.h"

#include <portalocker/inspect/sshcommand.hpp>

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QVersionNumber>

#include <gnu/libc-version.h>
#include <sys/utsname.h>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {

// Machine, then the C library: glibc answers getconf GNU_LIBC_VERSION ("glibc 2.36"); other
// C libraries do not, and their ldd says who they are ("musl libc (x86_64)").
constexpr auto probeCommand = "uname -m; if getconf GNU_LIBC_VERSION 2>/dev/null; then :; "
                              "else ldd --version 2>&1 | head -n 1; fi";

// The program arrives on standard input. It goes to a temporary name, is run once there
// (--help loads every shared library it needs), and only then replaces the old copy.
constexpr auto copyCommand =
    "d=\"$HOME/.cache/lockscope\"; t=\"$d/lockctl.new.$$\"; "
    "mkdir -p \"$d\" || exit 4; "
    "if ! cat > \"$t\"; then rm -f \"$t\"; echo \"cannot write $t\" >&2; exit 4; fi; "
    "chmod 755 \"$t\"; "
    "if ! out=$(\"$t\" --help 2>&1 >/dev/null); then rm -f \"$t\"; "
    "echo \"the copied lockctl does not run on $(uname -n): $out\" >&2; exit 5; fi; "
    "mv -f \"$t\" \"$d/lockctl\" && echo \"$d/lockctl\"";

/// The last non-empty line of a process's standard error (ssh's or the host's own words).
QString lastLine(const QByteArray& text) {
    const QStringList lines = QString::fromUtf8(text).split(u'\n', Qt::SkipEmptyParts);
    return lines.isEmpty() ? QString() : lines.back().trimmed();
}

} // namespace

LockctlInstaller::Probe LockctlInstaller::parseProbe(const QString& output) {
    Probe probe;
    const QStringList lines = output.split(u'\n', Qt::SkipEmptyParts);
    if (!lines.isEmpty())
        probe.machine = lines[0].trimmed();
    if (lines.size() < 2)
        return probe;
    const QString libc = lines[1].trimmed();
    static const QRegularExpression glibc(u"^glibc (\\d+\\.\\d+)"_s);
    static const QRegularExpression lddGlibc(u"(GLIBC|GNU libc).*\\s(\\d+\\.\\d+)\\s*$"_s);
    if (const auto match = glibc.match(libc); match.hasMatch()) {
        probe.libc = u"glibc"_s;
        probe.libcVersion = match.captured(1);
    } else if (const auto ldd = lddGlibc.match(libc); ldd.hasMatch()) {
        probe.libc = u"glibc"_s;
        probe.libcVersion = ldd.captured(2);
    } else if (libc.contains(u"musl"_s, Qt::CaseInsensitive)) {
        probe.libc = u"musl"_s;
    }
    return probe;
}

QString LockctlInstaller::refusal(const QString& destination, const Probe& remote,
                                  const QString& localMachine, const QString& localGlibc) {
    if (remote.machine.isEmpty())
        return tr("%1 did not say what machine it is (uname -m)").arg(destination);
    if (remote.machine != localMachine)
        return tr("%1 is %2, and this lockctl is built for %3")
            .arg(destination, remote.machine, localMachine);
    if (remote.libc != u"glibc"_s)
        return tr("%1 does not use the GNU C library (%2), and this lockctl needs glibc %3 or "
                  "later")
            .arg(destination, remote.libc.isEmpty() ? tr("unknown") : remote.libc, localGlibc);
    // Built here, it may use any symbol of this glibc: an older one may lack some.
    if (QVersionNumber::fromString(remote.libcVersion) < QVersionNumber::fromString(localGlibc))
        return tr("%1 has glibc %2, and this lockctl needs glibc %3 or later")
            .arg(destination, remote.libcVersion, localGlibc);
    return {};
}

QString LockctlInstaller::localMachine() {
    utsname name{};
    return ::uname(&name) == 0 ? QString::fromUtf8(name.machine) : QString();
}

QString LockctlInstaller::localGlibc() {
    return QString::fromUtf8(gnu_get_libc_version());
}

LockctlInstaller::LockctlInstaller(QString destination, QString lockctl,
                                   std::optional<QString> sshCommand, QObject* parent)
    : QObject(parent), m_destination(std::move(destination)), m_lockctl(std::move(lockctl)),
      m_sshCommand(std::move(sshCommand)) {}

LockctlInstaller::~LockctlInstaller() {
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->waitForFinished(1000);
    }
}

QProcess* LockctlInstaller::run(const QString& remoteCommand) {
    std::optional<std::string> sshCommand;
    if (m_sshCommand)
        sshCommand = m_sshCommand->toStdString();
    // BatchMode: no terminal to answer a password or host-key question: ssh fails with its
    // message instead.
    const std::vector<std::string> argv =
        inspect::ssh_argv(m_destination.toStdString(), remoteCommand.toStdString(), sshCommand,
                          {"-o", "BatchMode=yes"});
    QStringList arguments;
    for (std::size_t i = 1; i < argv.size(); ++i)
        arguments << QString::fromStdString(argv[i]);
    auto* process = new QProcess(this);
    process->setProgram(QString::fromStdString(argv.front()));
    process->setArguments(arguments);
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) // no finished() follows
            finish(false, tr("cannot run %1: %2").arg(process->program(), process->errorString()));
    });
    return process;
}

void LockctlInstaller::start() {
    if (!QFileInfo(m_lockctl).isExecutable()) {
        finish(false, tr("this build has no lockctl to copy (looked for %1)").arg(m_lockctl));
        return;
    }
    emit progress(tr("asking %1 for its machine and C library…").arg(m_destination));
    m_process = run(QString::fromLatin1(probeCommand));
    m_process->setStandardInputFile(QProcess::nullDevice());
    connect(m_process, &QProcess::finished, this, &LockctlInstaller::onProbed);
    m_process->start();
}

void LockctlInstaller::onProbed(int exitCode, QProcess::ExitStatus status) {
    const QByteArray output = m_process->readAllStandardOutput();
    const QByteArray errors = m_process->readAllStandardError();
    m_process->deleteLater();
    m_process = nullptr;
    if (status != QProcess::NormalExit || exitCode == 255) {
        const QString said = lastLine(errors);
        finish(false, said.isEmpty() ? tr("ssh could not reach %1").arg(m_destination) : said);
        return;
    }
    const Probe probe = parseProbe(QString::fromUtf8(output));
    if (const QString why = refusal(m_destination, probe, localMachine(), localGlibc());
        !why.isEmpty()) {
        finish(false, tr("Not copied: %1.").arg(why));
        return;
    }
    auto* program = new QFile(m_lockctl, this);
    if (!program->open(QIODevice::ReadOnly)) {
        finish(false, tr("cannot read %1: %2").arg(m_lockctl, program->errorString()));
        return;
    }
    emit progress(tr("copying %1 (%2 MB) to %3…")
                      .arg(m_lockctl)
                      .arg(double(program->size()) / 1e6, 0, 'f', 1)
                      .arg(m_destination));
    m_process = run(QString::fromLatin1(copyCommand));
    connect(m_process, &QProcess::finished, this, &LockctlInstaller::onCopied);
    // The program goes out in chunks as ssh takes them (a debug build's lockctl is ~70 MB:
    // neither read whole on the GUI thread nor buffered whole in QProcess), then end of file,
    // where the remote `cat` ends.
    QProcess* process = m_process;
    auto sendMore = [process, program] {
        if (process->bytesToWrite() > 0 || !program->isOpen())
            return;
        const QByteArray chunk = program->read(256 * 1024);
        if (!chunk.isEmpty()) {
            process->write(chunk);
            return;
        }
        program->close();
        process->closeWriteChannel();
    };
    connect(m_process, &QProcess::started, program, sendMore);
    connect(m_process, &QProcess::bytesWritten, program, sendMore);
    connect(m_process, &QProcess::finished, program, &QObject::deleteLater);
    m_process->start();
}

void LockctlInstaller::onCopied(int exitCode, QProcess::ExitStatus status) {
    const QString where = QString::fromUtf8(m_process->readAllStandardOutput()).trimmed();
    const QString said = lastLine(m_process->readAllStandardError());
    m_process->deleteLater();
    m_process = nullptr;
    if (status != QProcess::NormalExit || exitCode != 0) {
        finish(false,
               said.isEmpty()
                   ? tr("copying to %1 failed (exit status %2)").arg(m_destination).arg(exitCode)
                   : said);
        return;
    }
    finish(true, tr("Installed this build's lockctl on %1 as %2.").arg(m_destination, where));
}

void LockctlInstaller::finish(bool installed, const QString& message) {
    if (m_done)
        return;
    m_done = true;
    emit finished(installed, message);
}
