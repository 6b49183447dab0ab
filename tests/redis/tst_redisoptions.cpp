// RedisOptions: URL parsing (valid forms, clear errors that never echo the password),
// address() and to_url().

#include <portalocker/portalocker.hpp>

#include <QTest>

using portalocker::RedisOptions;

class TestRedisOptions : public QObject {
    Q_OBJECT

  private slots:
    void defaults() {
        RedisOptions options;
        QCOMPARE(options.host, std::string("127.0.0.1"));
        QCOMPARE(options.port, 6379);
        QCOMPARE(options.db, 0);
        QVERIFY(options.unix_socket.empty());
        QVERIFY(options.connect_timeout.count() > 0);
        QVERIFY(options.command_timeout.count() > 0);
    }

    void validUrls_data() {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<int>("db");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("socket");
        auto row = [](const char* name, const char* url, const char* host, int port, int db,
                      const char* user, const char* password, const char* socket) {
            QTest::newRow(name) << QString::fromUtf8(url) << QString::fromUtf8(host) << port << db
                                << QString::fromUtf8(user) << QString::fromUtf8(password)
                                << QString::fromUtf8(socket);
        };
        row("host only", "redis://cache", "cache", 6379, 0, "", "", "");
        row("host port", "redis://cache:6390", "cache", 6390, 0, "", "", "");
        row("db path", "redis://cache:6390/3", "cache", 6390, 3, "", "", "");
        row("trailing slash", "redis://cache/", "cache", 6379, 0, "", "", "");
        row("password only", "redis://:s3cret@cache", "cache", 6379, 0, "", "s3cret", "");
        row("user and password", "redis://alice:pw@10.0.0.1:7000/2", "10.0.0.1", 7000, 2, "alice",
            "pw", "");
        row("user only", "redis://alice@cache", "cache", 6379, 0, "alice", "", "");
        row("percent-encoded", "redis://al%40ce:p%3Aw%2F@cache", "cache", 6379, 0, "al@ce", "p:w/",
            "");
        row("at sign in password", "redis://u:a@b@cache", "cache", 6379, 0, "u", "a@b", "");
        row("ipv6", "redis://[::1]:6400/1", "::1", 6400, 1, "", "", "");
        row("ipv6 no port", "redis://[fe80::1]", "fe80::1", 6379, 0, "", "", "");
        row("db query", "redis://cache?db=5", "cache", 6379, 5, "", "", "");
        row("unix", "unix:///run/redis/redis.sock", "127.0.0.1", 6379, 0, "", "",
            "/run/redis/redis.sock");
        row("unix db", "unix:///tmp/r.sock?db=4", "127.0.0.1", 6379, 4, "", "", "/tmp/r.sock");
        row("unix credentials", "unix://bob:pw@/tmp/r.sock", "127.0.0.1", 6379, 0, "bob", "pw",
            "/tmp/r.sock");
        row("unix query credentials", "unix:///tmp/r.sock?db=1&username=bob&password=x%20y",
            "127.0.0.1", 6379, 1, "bob", "x y", "/tmp/r.sock");
        row("unix single slash", "unix:/tmp/r.sock", "127.0.0.1", 6379, 0, "", "", "/tmp/r.sock");
    }
    void validUrls() {
        QFETCH(QString, url);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(int, db);
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(QString, socket);
        RedisOptions options = RedisOptions::from_url(url.toStdString());
        QCOMPARE(QString::fromStdString(options.host), host);
        QCOMPARE(options.port, port);
        QCOMPARE(options.db, db);
        QCOMPARE(QString::fromStdString(options.username), user);
        QCOMPARE(QString::fromStdString(options.password), password);
        QCOMPARE(QString::fromStdString(options.unix_socket), socket);
        // The free function is the same parser.
        QCOMPARE(portalocker::parse_redis_url(url.toStdString()).port, port);
    }

    void invalidUrls_data() {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("reason");
        auto row = [](const char* url, const char* reason) {
            QTest::newRow(url) << QString::fromUtf8(url) << QString::fromUtf8(reason);
        };
        row("", "scheme");
        row("http://cache", "scheme");
        row("cache:6379", "scheme");
        row("redis://a:1,b:2", "sentinel=MASTER_NAME");
        row("redis://cache?insecure=maybe", "insecure must be 1 or 0");
        row("redis://cache?sentinel=", "master name");
        row("redis://cache?wait_replicas=-1", "wait_replicas");
        row("redis://cache?command_timeout_ms=0", "command_timeout_ms");
        row("redis://", "missing host");
        row("redis://:6379", "missing host");
        row("redis://cache:", "empty port");
        row("redis://cache:0", "port");
        row("redis://cache:65536", "port");
        row("redis://cache:12ab", "port");
        row("redis://cache/x", "database number");
        row("redis://cache/-1", "database number");
        row("redis://[::1", "IPv6");
        row("redis://[::1]x", "IPv6");
        row("redis://cache?db=x", "db");
        row("redis://cache?timeout=5", "unknown parameter");
        row("redis://u:%zz@cache", "percent-encoding");
        row("unix://", "socket path");
        row("unix://host/tmp/x.sock", "no host");
        row("unix:relative.sock", "socket path");
    }
    void invalidUrls() {
        QFETCH(QString, url);
        QFETCH(QString, reason);
        std::error_code ec;
        std::string why;
        RedisOptions::from_url(url.toStdString(), ec, &why);
        QVERIFY2(ec == portalocker::errc::invalid_url, qPrintable(url));
        QVERIFY2(QString::fromStdString(why).contains(reason), why.c_str());
        try {
            RedisOptions::from_url(url.toStdString());
            QFAIL("no exception");
        } catch (const portalocker::LockException& error) {
            QVERIFY(error.code() == portalocker::errc::invalid_url);
            QVERIFY2(QString::fromUtf8(error.what()).contains(reason), error.what());
        }
    }

    void errorsNeverShowThePassword() {
        std::error_code ec;
        std::string why;
        RedisOptions::from_url("redis://alice:hunter2@cache:notaport", ec, &why);
        QVERIFY(ec);
        QVERIFY2(why.find("hunter2") == std::string::npos, why.c_str());
        QVERIFY2(why.find("alice:***@cache") != std::string::npos, why.c_str());
    }

    void addressAndUrl() {
        RedisOptions options = RedisOptions::from_url("redis://alice:pw@cache:6390/2");
        QCOMPARE(options.address(), std::string("cache:6390"));
        QCOMPARE(options.to_url(), std::string("redis://alice:***@cache:6390/2"));
        QCOMPARE(options.to_url(true), std::string("redis://alice:pw@cache:6390/2"));
        QCOMPARE(RedisOptions::from_url(options.to_url(true)).password, std::string("pw"));

        RedisOptions v6 = RedisOptions::from_url("redis://[::1]:7000");
        QCOMPARE(v6.address(), std::string("[::1]:7000"));
        QCOMPARE(RedisOptions::from_url(v6.to_url()).host, std::string("::1"));

        RedisOptions local = RedisOptions::from_url("unix:///tmp/r.sock?db=3");
        QCOMPARE(local.address(), std::string("unix:/tmp/r.sock"));
        QCOMPARE(RedisOptions::from_url(local.to_url()).db, 3);
        QCOMPARE(RedisOptions::from_url(local.to_url()).unix_socket, std::string("/tmp/r.sock"));

        // Found by fuzz_redisurl: a socket path is percent-decoded when parsed, so printing
        // it back must encode it again, or "%25db=3" comes back as the bytes "%db=3" and
        // then as garbage.
        RedisOptions odd = RedisOptions::from_url("unix:///u%25db=3&user&bR");
        QCOMPARE(odd.unix_socket, std::string("/u%db=3&user&bR"));
        QCOMPARE(odd.to_url(), std::string("unix:///u%25db%3D3%26user%26bR"));
        QCOMPARE(RedisOptions::from_url(odd.to_url()).unix_socket, odd.unix_socket);
    }

    void tlsUrls() {
        RedisOptions plain = RedisOptions::from_url("redis://cache");
        QVERIFY(!plain.tls.enabled);
        QVERIFY(plain.tls.verify);

        RedisOptions options = RedisOptions::from_url(
            "rediss://alice:pw@cache.example:6380/2?cacert=/etc/ca%20file.pem&cacertdir=/etc/cas&"
            "cert=/c.pem&key=/k.pem&sni=redis.example");
        QVERIFY(options.tls.enabled);
        QVERIFY(options.tls.verify);
        QCOMPARE(options.host, std::string("cache.example"));
        QCOMPARE(options.port, 6380);
        QCOMPARE(options.db, 2);
        QCOMPARE(options.username, std::string("alice"));
        QCOMPARE(options.tls.ca_file, std::string("/etc/ca file.pem"));
        QCOMPARE(options.tls.ca_dir, std::string("/etc/cas"));
        QCOMPARE(options.tls.cert_file, std::string("/c.pem"));
        QCOMPARE(options.tls.key_file, std::string("/k.pem"));
        QCOMPARE(options.tls.sni, std::string("redis.example"));

        // The scheme is case-insensitive; ?tls turns TLS on for redis:// as well.
        QVERIFY(RedisOptions::from_url("REDISS://cache").tls.enabled);
        QVERIFY(RedisOptions::from_url("redis://cache?tls=1").tls.enabled);
        QVERIFY(!RedisOptions::from_url("rediss://cache?insecure=1").tls.verify);
        QVERIFY(!RedisOptions::from_url("rediss://cache?insecure").tls.verify);

        // Everything survives to_url() and back (a connection dialog saves the URL).
        RedisOptions back = RedisOptions::from_url(options.to_url(true));
        QVERIFY(back.tls.enabled);
        QCOMPARE(back.tls.ca_file, options.tls.ca_file);
        QCOMPARE(back.tls.ca_dir, options.tls.ca_dir);
        QCOMPARE(back.tls.cert_file, options.tls.cert_file);
        QCOMPARE(back.tls.key_file, options.tls.key_file);
        QCOMPARE(back.tls.sni, options.tls.sni);
        QCOMPARE(back.password, std::string("pw"));
        QVERIFY(QString::fromStdString(options.to_url()).startsWith(u"rediss://alice:***@"));
    }

    void readOnlyAndWaitUrls() {
        RedisOptions options = RedisOptions::from_url(
            "redis://cache?readonly=1&wait_replicas=2&wait_timeout_ms=250&connect_timeout_ms=700&"
            "command_timeout_ms=900");
        QVERIFY(options.read_only);
        QCOMPARE(options.wait_replicas, 2);
        QCOMPARE(options.wait_timeout.count(), 250);
        QCOMPARE(options.connect_timeout.count(), 700);
        QCOMPARE(options.command_timeout.count(), 900);
        RedisOptions back = RedisOptions::from_url(options.to_url());
        QVERIFY(back.read_only);
        QCOMPARE(back.wait_replicas, 2);
        QCOMPARE(back.wait_timeout.count(), 250);
        QCOMPARE(back.connect_timeout.count(), 700);
        QCOMPARE(back.command_timeout.count(), 900);
        QVERIFY(!RedisOptions::from_url("redis://cache").read_only);
    }

    void sentinelUrls() {
        RedisOptions options = RedisOptions::from_url(
            "redis://:masterpw@s1:26380,s2,[::1]:26390/1?sentinel=mymaster&sentinel_password=spw&"
            "sentinel_username=watch");
        QCOMPARE(options.sentinel.master_name, std::string("mymaster"));
        QCOMPARE(options.sentinel.sentinels.size(), std::size_t(3));
        QCOMPARE(options.sentinel.sentinels[0].host, std::string("s1"));
        QCOMPARE(options.sentinel.sentinels[0].port, 26380);
        QCOMPARE(options.sentinel.sentinels[1].host, std::string("s2"));
        QCOMPARE(options.sentinel.sentinels[1].port, 26379); // the Sentinel default
        QCOMPARE(options.sentinel.sentinels[2].host, std::string("::1"));
        QCOMPARE(options.sentinel.sentinels[2].port, 26390);
        QCOMPARE(options.sentinel.username, std::string("watch"));
        QCOMPARE(options.sentinel.password, std::string("spw"));
        QCOMPARE(options.password, std::string("masterpw"));
        QCOMPARE(options.db, 1);
        QCOMPARE(options.address(),
                 std::string("sentinel master 'mymaster' via s1:26380,s2:26379,[::1]:26390"));

        // The sentinels' password is hidden like the master's, in to_url() and errors.
        const std::string hidden = options.to_url();
        QVERIFY2(hidden.find("spw") == std::string::npos, hidden.c_str());
        QVERIFY2(hidden.find("masterpw") == std::string::npos, hidden.c_str());
        RedisOptions back = RedisOptions::from_url(options.to_url(true));
        QCOMPARE(back.sentinel.sentinels.size(), std::size_t(3));
        QCOMPARE(back.sentinel.sentinels[2].port, 26390);
        QCOMPARE(back.sentinel.password, std::string("spw"));
        std::error_code ec;
        std::string why;
        RedisOptions::from_url("redis://s1,s2?sentinel_password=hunter2&bogus=1", ec, &why);
        QVERIFY(ec);
        QVERIFY2(why.find("hunter2") == std::string::npos, why.c_str());
    }

    void sshUrls() {
        // ssh=DEST (issue #12) survives to_url(), with the characters a destination has.
        RedisOptions options = RedisOptions::from_url(
            "rediss://cache.internal:6380/2?ssh=ops%2Bci%40bastion.example&sentinel=m");
        QCOMPARE(options.ssh_destination, std::string("ops+ci@bastion.example"));
        RedisOptions back = RedisOptions::from_url(options.to_url());
        QCOMPARE(back.ssh_destination, options.ssh_destination);
        QCOMPARE(back.sentinel.master_name, std::string("m"));
        QVERIFY(back.tls.enabled);
        QVERIFY(RedisOptions::from_url("redis://h?ssh=user@b").ssh_destination == "user@b");
        QVERIFY(RedisOptions::from_url("redis://h").to_url().find("ssh") == std::string::npos);
        std::error_code ec;
        std::string why;
        RedisOptions::from_url("redis://h?ssh=", ec, &why);
        QVERIFY2(why.find("ssh needs a destination") != std::string::npos, why.c_str());
        RedisOptions::from_url("redis://h?ssh=-oProxyCommand=x", ec, &why);
        QVERIFY2(why.find("cannot start with '-'") != std::string::npos, why.c_str());
    }
};

QTEST_GUILESS_MAIN(TestRedisOptions)
#include "tst_redisoptions.moc"
