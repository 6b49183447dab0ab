#include "testsupport.h"

#include "redis/resolver.hpp"

#include <QDeadlineTimer>
#include <QFile>
#include <QTest>

namespace testsupport {

QString programPath(const char* environmentVariable) {
    const QString path = qEnvironmentVariable(environmentVariable);
    if (path.isEmpty())
        qWarning("%s is not set: run the tests through ctest", environmentVariable);
    return path;
}

QString dataPath(const char* name) {
    const QString path = QStringLiteral(LOCKSCOPE_TEST_DATA_DIR "/") + QString::fromUtf8(name);
    if (!QFile::exists(path))
        QTest::qFail(qPrintable(QStringLiteral("missing test data file ") + path), __FILE__,
                     __LINE__);
    return path;
}

QByteArray dataFile(const char* name) {
    QFile file(dataPath(name));
    if (!file.open(QIODevice::ReadOnly)) {
        QTest::qFail(qPrintable(u"cannot read " + file.fileName() + u": " + file.errorString()),
                     __FILE__, __LINE__);
        return {};
    }
    return file.readAll();
}

bool synchronousHostLookup() {
    return !portalocker::redis::host_lookup_is_cancellable();
}

qint64 timeBound(qint64 ms) {
    bool ok = false;
    const int scale = qEnvironmentVariableIntValue("LOCKSCOPE_TIME_SCALE", &ok);
    return ok && scale > 1 ? ms * scale : ms;
}

void stopProcess(QProcess& process) {
    if (process.state() == QProcess::NotRunning)
        return;
    process.terminate();
    if (!process.waitForFinished(5000)) {
        process.kill();
        process.waitForFinished(5000);
    }
}

ChildProcess::ChildProcess() : m_process(std::make_unique<QProcess>()) {}

ChildProcess::~ChildProcess() {
    kill();
}

bool ChildProcess::start(const QString& program, const QStringList& arguments) {
    m_process->start(program, arguments);
    if (!m_process->waitForStarted(10000)) {
        qWarning("cannot start %s: %s", qPrintable(program), qPrintable(m_process->errorString()));
        return false;
    }
    return true;
}

bool ChildProcess::startHelper(const QStringList& arguments) {
    return start(programPath("LOCKSCOPE_LOCKHELPER"), arguments);
}

QString ChildProcess::readLine(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        const qsizetype newline = m_buffer.indexOf('\n');
        if (newline >= 0) {
            const QByteArray line = m_buffer.left(newline);
            m_buffer.remove(0, newline + 1);
            return QString::fromUtf8(line);
        }
        if (deadline.hasExpired())
            return {};
        if (m_process->state() == QProcess::NotRunning) {
            m_buffer += m_process->readAllStandardOutput();
            if (m_buffer.indexOf('\n') < 0)
                return {};
            continue;
        }
        m_process->waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        m_buffer += m_process->readAllStandardOutput();
        m_stderr += m_process->readAllStandardError();
    }
}

QString ChildProcess::waitFor(const QString& prefix, int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const QString line = readLine(int(qMax<qint64>(1, deadline.remainingTime())));
        if (line.startsWith(prefix))
            return line;
        if (line.isEmpty() && m_process->state() == QProcess::NotRunning)
            return {};
    }
    return {};
}

void ChildProcess::writeLine(const QString& line) {
    m_process->write(line.toUtf8() + '\n');
    m_process->waitForBytesWritten(5000);
}

qint64 ChildProcess::pid() const {
    return m_process->processId();
}

int ChildProcess::waitForExit(int timeoutMs) {
    if (m_process->state() != QProcess::NotRunning && !m_process->waitForFinished(timeoutMs))
        return -1;
    m_buffer += m_process->readAllStandardOutput();
    m_stderr += m_process->readAllStandardError();
    if (m_process->exitStatus() != QProcess::NormalExit)
        return -1;
    return m_process->exitCode();
}

void ChildProcess::kill() {
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

QString ChildProcess::standardError() {
    m_stderr += m_process->readAllStandardError();
    return QString::fromUtf8(m_stderr);
}

bool startRedisHolder(ChildProcess& process, const QStringList& arguments) {
    if (!process.start(programPath("LOCKSCOPE_REDISHELPER"), arguments))
        return false;
    const QString line = process.readLine(10000);
    if (!line.startsWith(QStringLiteral("LOCKED"))) {
        qWarning("redis helper said '%s' instead of LOCKED: %s", qPrintable(line),
                 qPrintable(process.standardError()));
        return false;
    }
    return true;
}

bool isHarmlessText(const QByteArray& text) {
    const QString decoded = QString::fromUtf8(text);
    if (decoded.toUtf8() != text)
        return false; // not valid UTF-8: fromUtf8 replaced something
    for (const char32_t c : decoded.toUcs4()) {
        const bool control = c < 0x20 || (c >= 0x7F && c <= 0x9F);
        const bool hiding = c == 0x061C || (c >= 0x200B && c <= 0x200F) ||
                            (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x2069) ||
                            c == 0xFEFF;
        if (control || hiding)
            return false;
    }
    return true;
}

} // namespace testsupport
