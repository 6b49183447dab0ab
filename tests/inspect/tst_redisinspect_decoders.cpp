// The pure parts of the Redis inspector, from tables: printable key names, base64, glob
// patterns, UUID1 and Redisson decoding, and the recognition of each convention from the
// bytes each library writes. No server.

#include <portalocker/inspect/redisbytes.hpp>
#include <portalocker/inspect/redisdecoders.hpp>
#include <portalocker/redislease.hpp>

#include "redis/leaseowner.hpp" // the writer of lease values, to test the reader against it

#include <QTest>

using namespace std::chrono_literals;
using namespace portalocker::inspect;

Q_DECLARE_METATYPE(std::string)

namespace {

std::string s(const char* text, std::size_t size) {
    return std::string(text, size);
}

RedisStringFacts facts(std::string_view key, std::string_view value, std::chrono::milliseconds pttl,
                       std::optional<bool> fencing = false) {
    RedisStringFacts result;
    result.key = key;
    result.value = value;
    result.size = value.size();
    result.pttl = pttl;
    result.has_fencing_counter = fencing;
    return result;
}

} // namespace

class TestRedisInspectDecoders : public QObject {
    Q_OBJECT

  private slots:
    void printable_data() {
        QTest::addColumn<std::string>("raw");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << std::string("lock:job") << QStringLiteral("lock:job");
        QTest::newRow("utf-8 kept") << std::string("verrou-é-锁") << QStringLiteral("verrou-é-锁");
        QTest::newRow("backslash") << std::string("a\\b") << QStringLiteral("a\\\\b");
        QTest::newRow("controls") << s("a\0b\n\r\t\x1b[31m\x7f", 12)
                                  << QStringLiteral("a\\x00b\\n\\r\\t\\x1b[31m\\x7f");
        QTest::newRow("invalid utf-8")
            << std::string("\xff\xfe ok \xc3") << QStringLiteral("\\xff\\xfe ok \\xc3");
        QTest::newRow("overlong") << std::string("\xc0\xaf") << QStringLiteral("\\xc0\\xaf");
        QTest::newRow("surrogate")
            << std::string("\xed\xa0\x80") << QStringLiteral("\\xed\\xa0\\x80");
        QTest::newRow("bidi override") << std::string("a\xe2\x80\xae"
                                                      "b")
                                       << QStringLiteral("a\\u{202e}b");
        QTest::newRow("c1 control") << std::string("\xc2\x85") << QStringLiteral("\\u{0085}");
        QTest::newRow("escape looks like escape")
            << std::string("\\x00") << QStringLiteral("\\\\x00");
    }
    void printable() {
        QFETCH(std::string, raw);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(printable_bytes(raw)), expected);
    }

    // The long form for values: cut before a whole character, its length said.
    void printableCut() {
        QCOMPARE(printable_bytes("ab\xc3\xa4", 3), std::string("ab... (4 bytes)"));
        QCOMPARE(printable_bytes("ab\xc3\xa4", 4), std::string("ab\xc3\xa4"));
        QCOMPARE(printable_bytes("\\\n\xe2\x80\xae", 4), std::string("\\\\\\n... (5 bytes)"));
    }

    void printableIsValidUtf8ForAllBytes() {
        std::string every;
        for (int i = 0; i < 256; ++i)
            every += static_cast<char>(i);
        const std::string shown = printable_bytes(every);
        QVERIFY(QString::fromUtf8(shown.data(), static_cast<qsizetype>(shown.size())).toUtf8() ==
                QByteArray::fromStdString(shown));
        for (char c : shown)
            QVERIFY(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }

    void base64() {
        for (const std::string& raw : {std::string(), std::string("f"), std::string("fo"),
                                       std::string("foo"), s("\0\xff\x10\x80", 4)}) {
            const std::string encoded = base64_encode(raw);
            QCOMPARE(QByteArray::fromStdString(encoded), QByteArray::fromStdString(raw).toBase64());
            QCOMPARE(base64_decode(encoded), std::optional<std::string>(raw));
        }
        QVERIFY(!base64_decode("abc"));      // length
        QVERIFY(!base64_decode("ab=c"));     // padding inside
        QVERIFY(!base64_decode("ab!c"));     // alphabet
        QVERIFY(!base64_decode("Zh=="));     // non-zero unused bits
        QVERIFY(!base64_decode("Zg==Zg==")); // padding before the end
    }

    void glob_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("matches");
        QTest::newRow("star") << "lock:*"
                              << "lock:job" << true;
        QTest::newRow("star none") << "lock:*"
                                   << "lock-signal:job" << false;
        QTest::newRow("question") << "job?"
                                  << "job1" << true;
        QTest::newRow("set") << "job[0-9]"
                             << "job7" << true;
        QTest::newRow("negated set") << "job[^0-9]"
                                     << "job7" << false;
        QTest::newRow("escape") << "a\\*b"
                                << "a*b" << true;
        QTest::newRow("escape literal") << "a\\*b"
                                        << "axb" << false;
        QTest::newRow("backtrack") << "*a*b*c"
                                   << "xxaxxbxxbxc" << true;
        QTest::newRow("many stars") << "*a*a*a*a*a*b"
                                    << "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" << false;
        QTest::newRow("empty") << ""
                               << "" << true;
    }
    void glob() {
        QFETCH(QString, pattern);
        QFETCH(QString, text);
        QFETCH(bool, matches);
        QCOMPARE(redis_glob_match(pattern.toStdString(), text.toStdString()), matches);
    }

    void literalPatterns() {
        QVERIFY(is_literal_pattern("lock:job"));
        QVERIFY(is_literal_pattern("a\\*b"));
        QVERIFY(!is_literal_pattern("lock:*"));
        QVERIFY(!is_literal_pattern("job[12]"));
        QCOMPARE(unescape_literal_pattern("a\\*b"), std::string("a*b"));
    }

    void uuid1() {
        // uuid.UUID(fields=...) for 2024-05-01T12:00:00Z, clock sequence 0x1234, node
        // 02:42:ac:11:00:02.
        auto info = decode_uuid1_hex("55fd200007b211ef92340242ac110002");
        QVERIFY(info);
        QCOMPARE(
            std::chrono::duration_cast<std::chrono::seconds>(info->time.time_since_epoch()).count(),
            1714564800LL);
        QCOMPARE(info->node, std::string("02:42:ac:11:00:02"));
        QVERIFY(!info->node_is_random);
        QCOMPARE(info->clock_sequence, std::uint16_t(0x1234));
        auto randomNode = decode_uuid1_hex("55fd200007b211ef92340342ac110002");
        QVERIFY(randomNode && randomNode->node_is_random);
        QVERIFY(!decode_uuid1_hex("55fd200007b241ef92340242ac110002")); // version 4
        QVERIFY(!decode_uuid1_hex("55fd200007b211ef12340242ac110002")); // NCS variant
        QVERIFY(!decode_uuid1_hex("55FD200007B211EF92340242AC110002")); // .hex is lowercase
        // Found by fuzz_redisdecoders: a version-1 time past 2262 overflowed the
        // nanosecond clock (UB). Such times are not representable, so not a redis-py token.
        QVERIFY(!decode_uuid1_hex("72316b1eea4f151fb9a602fc00000001"));
        QVERIFY(!decode_uuid1_hex("ffffffffffff1fff8fffffffffffffff"));
    }

    void redissonField() {
        auto owner = decode_redisson_field("8743c9c0-0795-4907-87fd-6c719a6b4586:57", "2");
        QVERIFY(owner);
        QCOMPARE(owner->client_uuid, std::string("8743c9c0-0795-4907-87fd-6c719a6b4586"));
        QCOMPARE(owner->thread_id, std::uint64_t(57));
        QCOMPARE(owner->reentry_count, std::int64_t(2));
        QVERIFY(!decode_redisson_field("8743c9c0-0795-4907-87fd-6c719a6b4586:", "1"));
        QVERIFY(!decode_redisson_field("8743c9c0-0795-4907-87fd-6c719a6b4586:x", "1"));
        QVERIFY(!decode_redisson_field("mode", "write"));
        QVERIFY(!decode_redisson_field("8743c9c0-0795-4907-87fd-6c719a6b4586:1", "one"));
    }

    void recognition_data() {
        QTest::addColumn<std::string>("key");
        QTest::addColumn<std::string>("value");
        QTest::addColumn<int>("pttl");
        QTest::addColumn<bool>("fencing");
        QTest::addColumn<QString>("convention"); // "" = not a lock
        QTest::addColumn<QString>("confidence");
        QTest::newRow("python-redis-lock")
            << std::string("lock:job") << std::string("3HorIHB1vEjTb4tsqcZ2ieEH") << 60000 << false
            << "python-redis-lock"
            << "high";
        QTest::newRow("18-byte base64 without prefix")
            << std::string("job") << std::string("3HorIHB1vEjTb4tsqcZ2ieEH") << 60000 << false
            << "token-lease"
            << "medium";
        QTest::newRow("redis-py") << std::string("job")
                                  << std::string("55fd200007b211ef92340242ac110002") << 30000
                                  << false << "redis-py"
                                  << "high";
        QTest::newRow("redis-py without ttl")
            << std::string("job") << std::string("55fd200007b211ef92340242ac110002") << -1 << false
            << "redis-py"
            << "high";
        QTest::newRow("our lease")
            << std::string("job") << std::string("55fd200007b211ef92340242ac110002") << 30000
            << true << "portalocker-lease"
            << "certain";
        QTest::newRow("node-redlock")
            << std::string("job") << std::string("2258dfd1d78db619649c9899a7db534a") << 10000
            << false << "node-redlock"
            << "medium";
        QTest::newRow("redsync") << std::string("job") << std::string("LPacib1eAoRV7Pw1LtU9PA==")
                                 << 8000 << false << "redsync"
                                 << "medium";
        QTest::newRow("uuid4 token")
            << std::string("job") << std::string("0f8fad5b-d9cb-469f-a165-70867728950e") << 5000
            << false << "token-lease"
            << "medium";
        QTest::newRow("random token with ttl")
            << std::string("job") << std::string("tok-AbC123xyz789QWE") << 5000 << false
            << "token-lease"
            << "low";
        QTest::newRow("random token, no ttl, plain name")
            << std::string("session") << std::string("tok-AbC123xyz789QWE") << -1 << false << ""
            << "";
        QTest::newRow("flag lock")
            << std::string("batch:lock") << std::string("1") << 60000 << false << "flag-lock"
            << "low";
        // A hand-made lock: no token, no lock word in the name, no TTL (the lock zoo's
        // zoo:nottl). The value says what it is.
        QTest::newRow("value says held, no ttl")
            << std::string("zoo:nottl") << std::string("held-forever") << -1 << false << "flag-lock"
            << "low";
        QTest::newRow("value says locked, with ttl")
            << std::string("account:42:state") << std::string("LOCKED by admin") << 60000 << false
            << "flag-lock"
            << "low";
        QTest::newRow("value says unlocked")
            << std::string("account:42:state") << std::string("unlocked") << -1 << false << ""
            << "";
        QTest::newRow("value with held inside a word")
            << std::string("user:1:note") << std::string("withheld; household") << -1 << false << ""
            << "";
        QTest::newRow("long text mentioning a lock")
            << std::string("doc:1")
            << std::string("A long paragraph of text that happens to mention that the door is "
                           "locked at night.")
            << -1 << false << ""
            << "";
        QTest::newRow("not a lock word")
            << std::string("blocklist") << std::string("1") << 60000 << false << ""
            << "";
        QTest::newRow("cache value")
            << std::string("user:1") << std::string("{\"name\": \"x\"}") << 60000 << false << ""
            << "";
    }
    void recognition() {
        QFETCH(std::string, key);
        QFETCH(std::string, value);
        QFETCH(int, pttl);
        QFETCH(bool, fencing);
        QFETCH(QString, convention);
        QFETCH(QString, confidence);
        auto recognised =
            recognise_string_lock(facts(key, value, std::chrono::milliseconds(pttl), fencing));
        if (convention.isEmpty()) {
            QVERIFY2(!recognised, recognised ? recognised->evidence.c_str() : "");
            return;
        }
        QVERIFY(recognised);
        QCOMPARE(QString::fromUtf8(to_string(recognised->convention)), convention);
        QCOMPARE(QString::fromUtf8(to_string(recognised->confidence)), confidence);
        QVERIFY(!recognised->evidence.empty());
    }

    // What RedisLease writes as its value, the inspector reads back: host and program may
    // hold anything (spaces, '%', control characters, UTF-8) and stay one word each.
    void leaseValueRoundTrip() {
        portalocker::redis::LeaseOwnerFacts owner;
        owner.host = "build host\n%7\x7f\t";
        owner.pid = "4242";
        owner.program = "my prog \xc3\xbc";
        const std::string token = "0123456789abcdef0123456789abcdef";
        const std::string value = portalocker::redis::lease_value(token, owner, 1700000000123);
        QVERIFY2(value.starts_with(token + " host=build%20host%0A%257%7F%09 pid=4242 "),
                 value.c_str());
        QCOMPARE(std::count(value.begin(), value.end(), ' '), std::ptrdiff_t(4));
        const auto decoded = decode_lease_value(value);
        QVERIFY(decoded);
        QCOMPARE(decoded->host, owner.host);
        QCOMPARE(decoded->pid, 4242LL);
        QCOMPARE(decoded->program, owner.program);
        QVERIFY(decoded->since);
        QCOMPARE(decoded->since->time_since_epoch(),
                 std::chrono::system_clock::duration(1700000000123ms));
        auto recognised = recognise_string_lock(facts("jobs:{1}", value, 30000ms, std::nullopt));
        QVERIFY(recognised);
        QCOMPARE(recognised->convention, RedisConvention::portalocker_lease);
        QCOMPARE(recognised->confidence, RedisConfidence::certain);
        // An empty host or program stays empty.
        owner.host.clear();
        owner.program.clear();
        const auto bare = decode_lease_value(portalocker::redis::lease_value(token, owner, 0));
        QVERIFY(bare && bare->host.empty() && bare->program.empty() && bare->pid == 4242);
    }

    void leaseValueRejects_data() {
        QTest::addColumn<std::string>("value");
        const std::string t = "0123456789abcdef0123456789abcdef";
        QTest::newRow("bare token (older versions)") << t;
        QTest::newRow("no pid") << t + " host=a program=b since=1";
        QTest::newRow("pid zero") << t + " pid=0";
        QTest::newRow("pid not a number") << t + " pid=12x";
        QTest::newRow("pid with a leading zero") << t + " pid=012"; // found by the fuzzer
        QTest::newRow("pid with a sign") << t + " pid=+12";
        QTest::newRow("pid past int") << t + " pid=2147483648";
        QTest::newRow("since with a leading zero") << t + " pid=1 since=0170";
        QTest::newRow("since not a number") << t + " pid=1 since=-5";
        QTest::newRow("word without =") << t + " pid=1 junk";
        QTest::newRow("empty name") << t + " =1 pid=1";
        QTest::newRow("bad escape") << t + " pid=1 host=%zz";
        QTest::newRow("cut escape") << t + " pid=1 host=%4";
        QTest::newRow("upper-case token") << std::string("0123456789ABCDEF0123456789ABCDEF pid=1");
        QTest::newRow("short token") << std::string("0123456789abcdef pid=1");
        QTest::newRow("no space after token") << t + "pid=1";
        QTest::newRow("double space") << t + " pid=1  host=a";
    }

    void leaseValueRejects() {
        QFETCH(std::string, value);
        QVERIFY(!decode_lease_value(value));
    }

    void leaseValueLaterFields() {
        const std::string t = "0123456789abcdef0123456789abcdef";
        // A later version may add fields: they are skipped.
        auto decoded = decode_lease_value(t + " pid=7 zone=eu-1 host=h");
        QVERIFY(decoded && decoded->pid == 7 && decoded->host == "h");
        // A date no clock gives is not taken as one.
        decoded = decode_lease_value(t + " pid=7 since=99999999999999999");
        QVERIFY(decoded && !decoded->since);
        // Found by the fuzzer: the year 2508 overflowed the clock's nanoseconds.
        decoded = decode_lease_value(t + " pid=7 since=17000000001232");
        QVERIFY(decoded && !decoded->since);
        QVERIFY(time_of_epoch_ms(1700000000000));
        QVERIFY(!time_of_epoch_ms(-1));
    }

    // The inspector's one line for a lease: who (LeaseOwner::describe(), shared with
    // RedisLease and lockctl), since when, which grant. A hostile name is shown escaped, a
    // UTF-8 one as it is.
    void leaseOwnerSummary_data() {
        QTest::addColumn<std::string>("program");
        QTest::addColumn<std::string>("who");
        QTest::newRow("plain") << std::string("lockctl") << std::string("pid 4242 lockctl");
        QTest::newRow("newline and bidi override")
            << std::string("evil\n\xe2\x80\xae") << std::string("pid 4242 evil\\n\\u{202e}");
        QTest::newRow("UTF-8 program")
            << std::string("m\xc3\xbchle") << std::string("pid 4242 m\xc3\xbchle");
        QTest::newRow("long program")
            << std::string(70, 'p') << "pid 4242 " + std::string(64, 'p') + "... (70 bytes)";
    }

    void leaseOwnerSummary() {
        QFETCH(std::string, program);
        QFETCH(std::string, who);
        portalocker::redis::LeaseOwnerFacts facts;
        facts.host = "build-3";
        facts.pid = "4242";
        facts.program = program;
        const std::string token = "0123456789abcdef0123456789abcdef";
        RedisLockRecord record;
        record.convention = RedisConvention::portalocker_lease;
        record.token = portalocker::redis::lease_value(token, facts, 1700000000123);
        record.token_printable = printable_bytes(record.token);
        record.value_size = record.token.size();
        record.lease_owner = decode_lease_value(record.token);
        QVERIFY(record.lease_owner);
        record.fencing = 3;
        QCOMPARE(record.owner_summary(),
                 who + " on build-3 since 2023-11-14 22:13:20Z, token " + token + " fencing 3");
    }

    void largeValueIsNeverAToken() {
        auto large = facts("big:lock", std::string(1024, 'a'), 60000ms);
        large.value_complete = false;
        large.size = 5 * 1024 * 1024;
        auto recognised = recognise_string_lock(large);
        QVERIFY(recognised);
        QCOMPARE(recognised->convention, RedisConvention::flag_lock);
        large.key = "big:value";
        QVERIFY(!recognise_string_lock(large));
    }

    void redissonHash() {
        std::vector<std::pair<std::string, std::string>> fields{
            {"8743c9c0-0795-4907-87fd-6c719a6b4586:1", "1"}};
        auto recognised = recognise_hash_lock("orders", fields, 30000ms);
        QVERIFY(recognised);
        QCOMPARE(recognised->convention, RedisConvention::redisson);
        fields.emplace_back("mode", "write");
        QVERIFY(!recognise_hash_lock("orders", fields, 30000ms));
        QVERIFY(!recognise_hash_lock("orders", {}, 30000ms));
    }

    void companionNames() {
        // The lease's companion keys as RedisLease itself names them.
        portalocker::RedisLease lease("jobs:42");
        QCOMPARE(lease_fencing_key("jobs:42"), lease.fencing_key());
        QCOMPARE(lease_signal_key("jobs:42"), lease.signal_key());
        QCOMPARE(lock_key_of_fencing_counter("jobs:42:fencing"),
                 std::optional<std::string>("jobs:42"));
        QVERIFY(!lock_key_of_fencing_counter(":fencing"));
        QCOMPARE(python_redis_lock_signal_key("lock:job"),
                 std::optional<std::string>("lock-signal:job"));
        QVERIFY(!python_redis_lock_signal_key("job"));
        QCOMPARE(redisson_unlock_channel("orders"), std::string("redisson_lock__channel:{orders}"));
        QCOMPARE(redisson_unlock_channel("{tag}orders"),
                 std::string("redisson_lock__channel:{tag}orders"));
        QVERIFY(is_signal_list_name("lock-signal:job"));
        QVERIFY(is_signal_list_name("jobs:42:signal"));
    }

    void integers() {
        QCOMPARE(parse_redis_integer("42"), std::optional<std::int64_t>(42));
        QCOMPARE(parse_redis_integer("-1"), std::optional<std::int64_t>(-1));
        QVERIFY(!parse_redis_integer(""));
        QVERIFY(!parse_redis_integer("4x"));
        QVERIFY(!parse_redis_integer("99999999999999999999999"));
    }
};

QTEST_GUILESS_MAIN(TestRedisInspectDecoders)
#include "tst_redisinspect_decoders.moc"
