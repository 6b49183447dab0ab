#include "workers/passwordstore.h"

#include <QTimer>

#ifdef LOCKSCOPE_HAVE_QTKEYCHAIN
#include <qt6keychain/keychain.h>
#endif

using namespace Qt::StringLiterals;

namespace {
const QString service = u"io.lockscope.Lockscope"_s;
}

PasswordStore::PasswordStore(QObject* parent) : QObject(parent) {}

bool PasswordStore::keychainCompiledIn() {
#ifdef LOCKSCOPE_HAVE_QTKEYCHAIN
    return true;
#else
    return false;
#endif
}

void PasswordStore::read(const QString& connectionId) {
#ifdef LOCKSCOPE_HAVE_QTKEYCHAIN
    // No parent: a job deleted while the Secret Service still owes it a reply crashes in the
    // reply's callback (a store destroyed mid-job). Jobs delete themselves when done; the
    // `this` context of the connections below drops their results if the store went first.
    auto* job = new QKeychain::ReadPasswordJob(service);
    job->setKey(u"redis/"_s + connectionId);
    job->setAutoDelete(true);
    connect(job, &QKeychain::Job::finished, this, [this, connectionId](QKeychain::Job* finished) {
        auto* readJob = static_cast<QKeychain::ReadPasswordJob*>(finished);
        if (readJob->error() == QKeychain::EntryNotFound)
            emit readFinished(connectionId, QString(), QString());
        else
            emit readFinished(connectionId, readJob->textData(),
                              readJob->error() == QKeychain::NoError ? QString()
                                                                     : readJob->errorString());
    });
    job->start();
#else
    QTimer::singleShot(0, this, [this, connectionId] {
        emit readFinished(connectionId, QString(), tr("built without keychain support"));
    });
#endif
}

void PasswordStore::write(const QString& connectionId, const QString& password) {
#ifdef LOCKSCOPE_HAVE_QTKEYCHAIN
    auto* job = new QKeychain::WritePasswordJob(service);
    job->setKey(u"redis/"_s + connectionId);
    job->setTextData(password);
    job->setAutoDelete(true);
    connect(job, &QKeychain::Job::finished, this, [this, connectionId](QKeychain::Job* finished) {
        emit writeFinished(connectionId, finished->error() == QKeychain::NoError
                                             ? QString()
                                             : finished->errorString());
    });
    job->start();
#else
    Q_UNUSED(password);
    QTimer::singleShot(0, this, [this, connectionId] {
        emit writeFinished(connectionId, tr("built without keychain support"));
    });
#endif
}

void PasswordStore::remove(const QString& connectionId) {
#ifdef LOCKSCOPE_HAVE_QTKEYCHAIN
    auto* job = new QKeychain::DeletePasswordJob(service);
    job->setKey(u"redis/"_s + connectionId);
    job->setAutoDelete(true);
    job->start();
#else
    Q_UNUSED(connectionId);
#endif
}
