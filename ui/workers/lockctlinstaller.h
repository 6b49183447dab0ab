#pragma once
// LockctlInstaller: copies this build's lockctl to a remote host that has none, where the
// remote-host agent looks for it (~/.cache/lockscope/lockctl), over the same ssh as the host
// connection. First it asks the host for its machine (`uname -m`) and C library (glibc and
// its version) and refuses, with the reason, when this build cannot run there; then it
// streams the program through ssh into a temporary name, runs it once there (a missing shared
// library or an older glibc shows in the loader's own words) and only then moves it into
// place, so a failed copy never leaves a broken lockctl behind.

#include <QObject>
#include <QProcess>
#include <QString>

#include <optional>

class LockctlInstaller : public QObject {
    Q_OBJECT
  public:
    /// What the host said about itself.
    struct Probe {
        QString machine;     ///< uname -m: "x86_64", "aarch64"
        QString libc;        ///< "glibc", "musl", or "" when it could not be told
        QString libcVersion; ///< "2.36" for glibc
    };
    /// The host's answer to probeCommand().
    static Probe parseProbe(const QString& output);
    /// Why a lockctl built for `localMachine` against glibc `localGlibc` cannot run on a host
    /// described by `remote` ("" when it can, as far as these tell).
    static QString refusal(const QString& destination, const Probe& remote,
                           const QString& localMachine, const QString& localGlibc);
    /// This computer's machine and glibc version.
    static QString localMachine();
    static QString localGlibc();

    /// `lockctl`: the program to copy. `sshCommand`: LOCKSCOPE_SSH_COMMAND's text, if any.
    LockctlInstaller(QString destination, QString lockctl, std::optional<QString> sshCommand,
                     QObject* parent = nullptr);
    ~LockctlInstaller() override;

    void start();
    const QString& destination() const { return m_destination; }

  signals:
    /// A step began ("checking …", "copying 9.1 MB …").
    void progress(const QString& text);
    /// Done: `installed` and what happened, in words for the operator (ssh's or the loader's
    /// own when it failed).
    void finished(bool installed, const QString& message);

  private:
    QProcess* run(const QString& remoteCommand);
    void onProbed(int exitCode, QProcess::ExitStatus status);
    void onCopied(int exitCode, QProcess::ExitStatus status);
    void finish(bool installed, const QString& message);

    QString m_destination;
    QString m_lockctl;
    std::optional<QString> m_sshCommand;
    QProcess* m_process = nullptr;
    bool m_done = false;
};
