#pragma once
// The "machines" the remote-host suites talk to, over sshd instances of their own:
//   machine      this computer, lockctl on PATH
//   cached       lockctl only in ~/.cache/lockscope (HOME points at a prepared directory)
//   bare         no lockctl at all
//   garbage      a "lockctl" that prints a banner and broken JSON
//   future       a lockctl that refuses agent protocol 1 (a newer one)
//   old          a lockctl from before the agent protocol (rejects --protocol)
//   installable  no lockctl yet, a home of its own to install one into
//   foreign      no lockctl, and a machine other than this one (uname -m says aarch64)
//   other        a second machine: a healthy lockctl in its own pid namespace, which sees
//                only the locks taken inside it
// plus, from SshServer, "<alias>-unknown-key", "<alias>-refused" and "unreachable".

#include "sshserver.h"
#include "testsupport.h"

#include <QObject>
#include <QString>
#include <QTemporaryDir>

class RemoteHosts {
  public:
    /// Starts both servers; false with error() set (the caller QFAILs).
    bool start(const QString& lockctl);
    void stop();

    testsupport::SshServer& machine() { return m_machine; }
    testsupport::SshServer& otherHost() { return m_otherHost; }
    QString scratch(const QString& name) const;
    const QString& error() const { return m_error; }
    /// Starts `lockctl --host other hold PATH [--shared] -- sh -c 'echo HELD; sleep'` in
    /// `holder` (LOCKSCOPE_SSH_COMMAND from the environment) and waits for HELD; false with
    /// `why` saying what the holder and both sshd logs said.
    bool holdOnOtherHost(const QString& lockctl, const QString& path, bool shared,
                         testsupport::ChildProcess& holder, QString& why);

  private:
    bool writeFakeLockctl(const QString& directory, const QByteArray& body,
                          const QString& name = QStringLiteral("lockctl"));

    QTemporaryDir m_scratch;
    testsupport::SshServer m_machine;
    testsupport::SshServer m_otherHost;
    QString m_error;
};

/// The fixture of the GUI's remote suites (session, signal, watches): both servers started
/// once per suite, lockctl's path, LOCKSCOPE_SSH_COMMAND set to reach the "other" host (the
/// GUI takes its ssh command line from the same variable as lockctl) and a directory for
/// settings files. A suite derives from it instead of QObject; QTest runs the inherited
/// initTestCase() and cleanupTestCase().
class RemoteHostsTest : public QObject {
    Q_OBJECT

  protected:
    RemoteHosts m_hosts;
    QString m_lockctl;
    QTemporaryDir m_directory;

  private slots:
    void initTestCase();
    void cleanupTestCase();
};
