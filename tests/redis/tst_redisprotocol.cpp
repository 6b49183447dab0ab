// The channel-lock protocol helpers (internal, shared with the inspector), without a server:
// exact holder-name matching, ping and answer messages, who blocks whom, CLIENT LIST parsing
// and the choice of reapable subscribers.

#include "channelanswers.hpp"
#include "channelprotocol.hpp"
#include "clientlist.hpp"

#include <QTest>

using namespace portalocker::redis;
using channel::Answer;
using channel::Mode;

namespace {

const std::string idA = "0123456789abcdef0123456789abcdef";
const std::string idB = "fedcba9876543210fedcba9876543210";

Answer answer(const std::string& id, Mode mode) {
    Answer result;
    result.kind = Answer::Kind::protocol1;
    result.holder_id = id;
    result.mode = mode;
    return result;
}

} // namespace

class TestRedisProtocol : public QObject {
    Q_OBJECT

  private slots:
    void holderNamesMatchExactly() {
        QCOMPARE(channel::holder_client_name("jobs", idA), "jobs-lock-" + idA);
        QCOMPARE(channel::legacy_client_name("jobs"), std::string("jobs-lock"));
        auto match = channel::match_holder_name("jobs-lock-" + idA, "jobs");
        QVERIFY(match && !match->legacy && match->holder_id == idA);
        match = channel::match_holder_name("jobs-lock", "jobs");
        QVERIFY(match && match->legacy);
        // Holders of channel "jobs-lock-bar" are not holders of "jobs" (portalocker 4.x kills
        // them by prefix).
        QVERIFY(!channel::match_holder_name("jobs-lock-bar-lock-" + idA, "jobs"));
        QVERIFY(!channel::match_holder_name("jobs-lock-bar", "jobs"));
        QVERIFY(!channel::match_holder_name("jobs-lock-" + idA + "0", "jobs"));
        QVERIFY(!channel::match_holder_name("jobs-lock-0123456789ABCDEF0123456789ABCDEF", "jobs"));
        QVERIFY(!channel::match_holder_name("jobs-lockx", "jobs"));
        QVERIFY(!channel::match_holder_name("other-lock", "jobs"));
        QCOMPARE(channel::channel_of_holder_name("a-lock-b-lock-" + idB).value_or(""),
                 std::string("a-lock-b"));
        QVERIFY(!channel::channel_of_holder_name("jobs-lock"));
        QVERIFY(channel::is_valid_channel("jobs:nightly/1"));
        QVERIFY(!channel::is_valid_channel("has space"));
        QVERIFY(!channel::is_valid_channel(""));
        QVERIFY(!channel::is_valid_channel("tab\t"));
    }

    void pings() {
        const std::string ping = channel::make_ping("jobs-" + idA);
        QCOMPARE(channel::parse_ping(ping).value_or(""), "jobs-" + idA);
        // Python 2.2.1's field order, and extra fields, are fine.
        QCOMPARE(channel::parse_ping(R"({"response_channel": "r", "message": "ping", "x": 1})")
                     .value_or(""),
                 std::string("r"));
        QVERIFY(!channel::parse_ping("not json"));
        QVERIFY(!channel::parse_ping("[1, 2]"));
        QVERIFY(!channel::parse_ping(R"({"response_channel": ""})"));
        QVERIFY(!channel::parse_ping(R"({"response_channel": 5})"));
        QVERIFY(!channel::parse_ping(R"({"message": "ping"})"));
        QVERIFY(!channel::parse_ping(""));
    }

    void answers() {
        Answer parsed = channel::parse_answer(channel::make_answer(idA, Mode::shared));
        QVERIFY(parsed.kind == Answer::Kind::protocol1);
        QCOMPARE(parsed.holder_id, idA);
        QVERIFY(parsed.mode == Mode::shared);
        QVERIFY(channel::parse_answer("1795769577.087925").kind == Answer::Kind::legacy);
        QVERIFY(channel::parse_answer("garbage").kind == Answer::Kind::unknown);
        QVERIFY(channel::release_channel("jobs") != "jobs");
        QVERIFY(channel::new_response_channel("jobs").starts_with("jobs-"));
        QVERIFY(channel::new_response_channel("jobs") != channel::new_response_channel("jobs"));
    }

    // As portalocker 4.x reads answers: only "protocol": 1 with a known mode is a record; any
    // other answer is an unknown holder (exclusive, and not counted as having answered).
    void answersOfOtherProtocolsAreRejected() {
        // Plain literals: moc cannot parse some raw strings.
        const std::string record = "{\"holder_id\": \"" + idB + "\", \"mode\": \"shared\"";
        QVERIFY(channel::parse_answer(record + ", \"protocol\": 1}").kind ==
                Answer::Kind::protocol1);
        const std::vector<std::string> rejected{
            record + ", \"protocol\": 2}",
            record + "}",
            record + ", \"protocol\": \"1\"}",
            record + ", \"protocol\": 0}",
            "{\"holder_id\": \"" + idB + "\", \"mode\": \"upgrading\", \"protocol\": 1}",
            "{\"holder_id\": 7, \"mode\": \"shared\", \"protocol\": 1}"};
        for (const std::string& payload : rejected) {
            Answer parsed = channel::parse_answer(payload);
            QVERIFY2(parsed.kind == Answer::Kind::unknown, payload.c_str());
            QVERIFY(channel::blocks(parsed, true));
            QVERIFY(channel::blocks(parsed, false));
        }
        // A holder that answered with protocol 2 is still silent as far as reaping goes.
        const std::string text = "id=7 addr=127.0.0.1:5000 fd=8 name=jobs-lock-" + idB +
                                 " age=3 idle=0 flags=P db=0 sub=1 psub=0 cmd=subscribe\n";
        auto candidates =
            channel::silent_holders(parse_client_list(text), "jobs",
                                    {channel::parse_answer(record + ", \"protocol\": 2}")}, "");
        QCOMPARE(candidates.size(), std::size_t(1));
        QCOMPARE(candidates[0].holder_id, idB);
    }

    void whoBlocksWhom() {
        QVERIFY(channel::blocks(answer(idA, Mode::exclusive), false));
        QVERIFY(channel::blocks(answer(idA, Mode::exclusive), true));
        QVERIFY(channel::blocks(answer(idA, Mode::shared), false));
        QVERIFY(!channel::blocks(answer(idA, Mode::shared), true));
        QVERIFY(channel::blocks(answer(idA, Mode::pending), true)); // writer preference
        QVERIFY(!channel::blocks(answer(idA, Mode::pending), false));
        QVERIFY(channel::blocks(channel::parse_answer("1.5"), true));
        QVERIFY(channel::blocks(channel::parse_answer("?"), false));
        QCOMPARE(channel::describe_conflict({answer(idA, Mode::exclusive)}, 0, false),
                 "held exclusively by holder " + idA);
        QCOMPARE(channel::describe_conflict({answer(idA, Mode::shared), answer(idB, Mode::shared)},
                                            0, false),
                 std::string("held shared by 2 reader(s)"));
        QVERIFY(
            channel::describe_conflict({channel::parse_answer("1.5")}, 0, true).find("legacy") !=
            std::string::npos);
        QCOMPARE(channel::describe_conflict({}, 2, false),
                 std::string("2 subscriber(s) did not answer pings"));
    }

    void clientList() {
        const std::string text =
            "id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=jobs-lock-" + idA +
            " age=3 idle=0 flags=P db=0 sub=1 psub=0 ssub=0 multi=-1 cmd=subscribe user=default\n"
            "id=8 addr=127.0.0.1:5001 laddr=127.0.0.1:6379 fd=9 name=jobs-lock age=9 idle=1 "
            "flags=P db=2 sub=1 psub=0 cmd=subscribe user=py\n"
            "id=9 addr=[::1]:5002 fd=10 name= age=1 idle=1 flags=P db=0 sub=1 psub=0 "
            "cmd=subscribe\n"
            "id=10 addr=127.0.0.1:5003 fd=11 name=jobs-lock-bar-lock-" +
            idB +
            " age=1 idle=1 flags=P db=0 sub=1 psub=0 cmd=subscribe\n"
            "id=11 addr=127.0.0.1:5004 fd=12 name=jobs-lock-" +
            idB + " age=1 idle=1 flags=N db=0 sub=0 psub=0 cmd=client|setname\n";
        auto clients = parse_client_list(text);
        QCOMPARE(clients.size(), std::size_t(5));
        QCOMPARE(clients[0].id, 7LL);
        QCOMPARE(clients[0].address, std::string("127.0.0.1:5000"));
        QCOMPARE(clients[1].db, 2);
        QCOMPARE(clients[1].user, std::string("py"));
        QCOMPARE(clients[2].name, std::string());
        QCOMPARE(clients[2].address, std::string("[::1]:5002"));
        QCOMPARE(clients[0].subscriptions, 1);
        QCOMPARE(clients[4].subscriptions, 0);

        // Nobody answered: the exact holder names that are subscribed, nothing else.
        auto candidates = channel::silent_holders(clients, "jobs", {}, "");
        QCOMPARE(candidates.size(), std::size_t(2));
        QCOMPARE(candidates[0].client_id, 7LL);
        QCOMPARE(candidates[1].client_id, 8LL);
        QVERIFY(candidates[1].legacy);
        // Those who answered are alive; a legacy answer vouches for the legacy name.
        candidates = channel::silent_holders(clients, "jobs", {answer(idA, Mode::exclusive)}, "");
        QCOMPARE(candidates.size(), std::size_t(1));
        QVERIFY(candidates[0].legacy);
        channel::remove_answered(candidates, {channel::parse_answer("1.5")});
        QVERIFY(candidates.empty());
        // Never ourselves.
        candidates = channel::silent_holders(clients, "jobs", {}, "jobs-lock-" + idA);
        QCOMPARE(candidates.size(), std::size_t(1));
        QVERIFY(channel::still_subscribed(candidates[0], clients));
        clients[1].subscriptions = 0;
        QVERIFY(!channel::still_subscribed(candidates[0], clients));
    }
};

QTEST_GUILESS_MAIN(TestRedisProtocol)
#include "tst_redisprotocol.moc"
