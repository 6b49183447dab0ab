#pragma once
// Shared by the Redis inspection suites: how each lock library writes its keys (the same
// commands the libraries send, or the library itself through /usr/bin/python3 - the holder
// scripts of redis-py and Python portalocker are in tests/support/data), and small helpers
// around the fixture server.

#include "redisserver.h"
#include "testsupport.h"

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/inspect/redislockrecord.hpp>

#include <QByteArray>
#include <QRandomGenerator>
#include <QString>
#include <QTest>

#include <string>

namespace redisinspect {

inline const QString python = QStringLiteral("/usr/bin/python3");

/// argv: NAME port. A python-redis-lock waiter: the commands of its acquire(blocking=True):
/// SET lock:NAME <base64 of 18 bytes> NX EX, else BLPOP lock-signal:NAME with the timeout
/// (30 s here, so only a signal wakes it within the test).
inline const char* pythonRedisLockWaiterScript = R"py(
import base64, os, sys
import redis
connection = redis.Redis(host='127.0.0.1', port=int(sys.argv[2]))
token = base64.b64encode(os.urandom(18))
print('WAITING', flush=True)
while not connection.set('lock:' + sys.argv[1], token, nx=True, ex=60):
    connection.blpop('lock-signal:' + sys.argv[1], 30)
print('ACQUIRED ' + token.decode(), flush=True)
)py";

inline QByteArray randomBytes(int count) {
    QByteArray bytes(count, '\0');
    for (int i = 0; i < count; ++i)
        bytes[i] = static_cast<char>(QRandomGenerator::global()->bounded(256));
    return bytes;
}

/// node-redlock's token: 16 random bytes in hex. One such token in about 2,200 also reads as
/// a version-1 UUID with a time in 2000-2100, which the inspector takes for redis-py's (the
/// version digit, the variant and the time all right by chance: 1/16 * 1/4 * 2.7 %); CI met
/// one. The tests check what is made of a node-redlock token, so theirs never has a '1' as its
/// version digit.
inline QByteArray nodeRedlockToken() {
    QByteArray token = randomBytes(16).toHex();
    if (token[12] == '1')
        token[12] = '4';
    return token;
}
/// redsync's token: base64 of 16 random bytes.
inline QByteArray redsyncToken() {
    return randomBytes(16).toBase64();
}
/// python-redis-lock's id: base64 of 18 random bytes.
inline QByteArray pythonRedisLockToken() {
    return randomBytes(18).toBase64();
}
/// A Redisson owner field: the client's UUID and a Java thread id.
inline QByteArray redissonField(int threadId) {
    return QByteArray("8743c9c0-0795-4907-87fd-6c719a6b4586:") + QByteArray::number(threadId);
}

inline QByteArray bytes(const std::string& text) {
    return QByteArray::fromStdString(text);
}

/// Runs a command on the fixture and fails the test on an error reply.
#define REDIS_OK(server, ...)                                                                      \
    do {                                                                                           \
        const testsupport::RedisReply reply_ = (server).command(QList<QByteArray>{__VA_ARGS__});   \
        QVERIFY2(!reply_.isError(), qPrintable(reply_.toString()));                                \
    } while (false)

/// The record for `key` in `locks`, or nullptr.
inline const portalocker::inspect::RedisLockRecord*
findRecord(const std::vector<portalocker::inspect::RedisLockRecord>& locks,
           const std::string& key) {
    for (const auto& record : locks)
        if (record.key == key)
            return &record;
    return nullptr;
}

} // namespace redisinspect
