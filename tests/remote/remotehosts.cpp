#include "remotehosts.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

bool RemoteHosts::writeFakeLockctl(const QString& directory, const QByteArray& body,
                                   const QString& name) {
    if (!QDir().mkpath(directory)) {
        m_error = QStringLiteral("cannot make ") + directory;
        return false;
    }
    QFile file(QDir(directory).filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write("#!/bin/sh\n" + body) < 0) {
        m_error = QStringLiteral("cannot write ") + file.fileName();
        return false;
    }
    file.close();
    return file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                               QFileDevice::ExeOwner);
}

QString RemoteHosts::scratch(const QString& name) const {
    return QDir(m_scratch.path()).filePath(name);
}

bool RemoteHosts::start(const QString& lockctl) {
    if (!m_scratch.isValid()) {
        m_error = QStringLiteral("cannot make a temporary directory");
        return false;
    }
    const QString lockctlDir = QFileInfo(lockctl).absolutePath();
    const QString system = QStringLiteral("/usr/local/bin:/usr/bin:/bin");
    const QString cache = scratch(QStringLiteral("cached/.cache/lockscope"));
    if (!QDir().mkpath(cache) || !QDir().mkpath(scratch(QStringLiteral("empty"))) ||
        !QFile::link(lockctl, QDir(cache).filePath(QStringLiteral("lockctl")))) {
        m_error = QStringLiteral("cannot prepare the hosts' home directories");
        return false;
    }
    if (!writeFakeLockctl(scratch(QStringLiteral("fake/garbage")),
                          "echo 'Welcome to the host!'\necho '{not json'\nsleep 600\n") ||
        !writeFakeLockctl(scratch(QStringLiteral("fake/future")),
                          "echo 'lockctl list: agent protocol 1 is not supported; this lockctl "
                          "(9.0) speaks protocol 2' >&2\nexit 2\n") ||
        !writeFakeLockctl(
            scratch(QStringLiteral("fake/old")),
            "echo \"lockctl list: unexpected argument '--protocol'\" >&2\nexit 2\n") ||
        !writeFakeLockctl(
            scratch(QStringLiteral("fake/foreign")),
            "if [ \"$1\" = -m ]; then echo aarch64; else exec /bin/uname \"$@\"; fi\n",
            QStringLiteral("uname")) ||
        !QDir().mkpath(scratch(QStringLiteral("install-home"))) ||
        !QDir().mkpath(scratch(QStringLiteral("foreign-home"))))
        return false;
    // QStringBuilder (QT_USE_QSTRINGBUILDER) in a lambda: its return type must be QString,
    // or the builder it returns refers to temporaries already gone.
    const QString plain = QStringLiteral("PATH=") + system;
    auto first = [&system](const QString& directory) -> QString {
        return QStringLiteral("PATH=") + directory + QLatin1Char(':') + system;
    };
    QList<testsupport::SshServer::Listener> listeners;
    auto add = [&listeners](const QString& alias, const QStringList& environment) {
        testsupport::SshServer::Listener listener;
        listener.alias = alias;
        listener.environment = environment;
        listeners.append(listener);
    };
    add(QStringLiteral("machine"), QStringList() << first(lockctlDir));
    add(QStringLiteral("cached"),
        QStringList() << plain << QStringLiteral("HOME=") + scratch(QStringLiteral("cached")));
    add(QStringLiteral("bare"),
        QStringList() << plain << QStringLiteral("HOME=") + scratch(QStringLiteral("empty")));
    add(QStringLiteral("installable"),
        QStringList() << plain
                      << QStringLiteral("HOME=") + scratch(QStringLiteral("install-home")));
    add(QStringLiteral("foreign"),
        QStringList() << first(scratch(QStringLiteral("fake/foreign")))
                      << QStringLiteral("HOME=") + scratch(QStringLiteral("foreign-home")));
    for (const QString& fake :
         {QStringLiteral("garbage"), QStringLiteral("future"), QStringLiteral("old")})
        add(fake, QStringList() << first(scratch(QStringLiteral("fake/") + fake)));
    if (!m_machine.start(listeners)) {
        m_error = m_machine.errorString();
        return false;
    }
    listeners.clear();
    add(QStringLiteral("other"), QStringList() << first(lockctlDir));
    if (!m_otherHost.start(listeners, true)) {
        m_error = m_otherHost.errorString();
        return false;
    }
    return true;
}

bool RemoteHosts::holdOnOtherHost(const QString& lockctl, const QString& path, bool shared,
                                  testsupport::ChildProcess& holder, QString& why) {
    QStringList arguments{QStringLiteral("--host"), QStringLiteral("other"), QStringLiteral("hold"),
                          path};
    if (shared)
        arguments << QStringLiteral("--shared");
    arguments << QStringLiteral("--") << QStringLiteral("sh") << QStringLiteral("-c")
              << QStringLiteral("echo HELD; exec sleep 600");
    if (!holder.start(lockctl, arguments)) {
        why = QStringLiteral("cannot start ") + lockctl;
        return false;
    }
    const QString line = holder.readLine(static_cast<int>(testsupport::timeBound(20000)));
    if (line == QStringLiteral("HELD"))
        return true;
    why = QStringLiteral("the remote holder said '") + line +
          QStringLiteral("' instead of HELD; its standard error: ") + holder.standardError() +
          QStringLiteral("\nthe other host's sshd log: ") + m_otherHost.log();
    return false;
}

void RemoteHosts::stop() {
    m_machine.kill();
    m_otherHost.kill();
}

void RemoteHostsTest::initTestCase() {
    QVERIFY2(m_directory.isValid(), qPrintable(m_directory.errorString()));
    m_lockctl = testsupport::programPath("LOCKSCOPE_LOCKCTL");
    QVERIFY2(m_hosts.start(m_lockctl), qPrintable(m_hosts.error()));
    qputenv("LOCKSCOPE_SSH_COMMAND", m_hosts.otherHost().sshCommand().toLocal8Bit());
}

void RemoteHostsTest::cleanupTestCase() {
    m_hosts.stop();
}
