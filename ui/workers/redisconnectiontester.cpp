#include "workers/redisconnectiontester.h"

#include "session/textformat.h"

#include <portalocker/inspect/redisscanner.hpp>

#include <QElapsedTimer>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

RedisConnectionTester::RedisConnectionTester(QObject* parent) : QObject(parent) {
    connect(&m_watcher, &QFutureWatcher<Result>::finished, this, [this] {
        const Result result = m_watcher.result();
        emit finished(result.ok, result.message);
    });
}

void RedisConnectionTester::test(const portalocker::RedisOptions& options) {
    if (m_watcher.isRunning())
        return;
    m_watcher.setFuture(QtConcurrent::run([options] {
        Result result;
        QElapsedTimer clock;
        clock.start();
        inspect::RedisScanOptions scanOptions;
        scanOptions.include_channel_locks = false;
        inspect::RedisScanner scanner(options, scanOptions);
        std::error_code ec;
        scanner.inspect_key("lockscope:connection-test", ec);
        const QString address = TextFormat::fromStd(options.address());
        if (ec) {
            result.message = TextFormat::fromStd(scanner.last_error());
            if (result.message.isEmpty())
                result.message = TextFormat::fromStd(ec.message());
            return result;
        }
        result.ok = true;
        result.message = QObject::tr("Connected to %1, database %2, in %3.")
                             .arg(address)
                             .arg(options.db)
                             .arg(TextFormat::duration(clock.elapsed()));
        return result;
    }));
}
