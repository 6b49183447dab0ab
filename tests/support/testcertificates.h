#pragma once
// TestCertificates: a throw-away PKI made with the `openssl` program at test time, for Redis
// over TLS: a CA, a server certificate for 127.0.0.1/localhost, a client certificate, and
// the bad cases a client must refuse with a clear error (a server certificate from an
// unknown CA, an expired one, one not valid yet, one for another host name) or a server must
// refuse (a client certificate from an unknown CA).

#include <QString>
#include <QTemporaryDir>

namespace testsupport {

class TestCertificates {
  public:
    /// One certificate and its unencrypted private key (PEM files).
    struct Pair {
        QString certificate;
        QString key;
    };

    /// Makes every file; false with errorString() set (openssl missing or failing): the
    /// caller QFAILs, never skips.
    bool create();
    QString errorString() const { return m_error; }

    QString caFile() const { return path(u"ca.crt"); }
    /// A directory with the CA under its subject-hash name (for --cacertdir).
    QString caDirectory() const { return path(u"cadir"); }
    /// A CA nobody trusts: its certificates must be refused.
    QString otherCaFile() const { return path(u"otherca.crt"); }

    Pair server() const { return pair(u"server"); }             ///< 127.0.0.1, localhost
    Pair client() const { return pair(u"client"); }             ///< signed by the CA
    Pair unknownCaServer() const { return pair(u"unknownca"); } ///< signed by the other CA
    Pair expiredServer() const { return pair(u"expired"); }     ///< valid 2020-01-01..02
    Pair futureServer() const { return pair(u"future"); }       ///< valid from 2090
    Pair wrongNameServer() const { return pair(u"wrongname"); } ///< only elsewhere.example
    Pair unknownCaClient() const { return pair(u"unknownclient"); }

  private:
    QString path(QStringView name) const;
    Pair pair(QStringView name) const;
    bool openssl(const QStringList& arguments);
    bool makeCa(const QString& name, const QString& subject);
    bool makeLeaf(const QString& name, const QString& ca, const QString& extensions,
                  const QStringList& validity);

    QTemporaryDir m_directory;
    QString m_error;
};

} // namespace testsupport
