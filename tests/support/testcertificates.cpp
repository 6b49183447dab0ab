#include "testcertificates.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>

using namespace Qt::Literals::StringLiterals;

namespace testsupport {
namespace {

// One configuration for `openssl req` and `openssl ca`: `ca` signs with any validity
// (-startdate/-enddate make the expired and future certificates, which `x509 -days` cannot).
constexpr char configuration[] = R"(
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca ]
default_ca = testca
[ testca ]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
[ anything ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[ wrongname_ext ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:elsewhere.example
[ client_ext ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
)";

} // namespace

QString TestCertificates::path(QStringView name) const {
    return m_directory.filePath(name.toString());
}

TestCertificates::Pair TestCertificates::pair(QStringView name) const {
    const QString base = name.toString();
    return {path(QString(base + u".crt"_s)), path(QString(base + u".key"_s))};
}

bool TestCertificates::openssl(const QStringList& arguments) {
    QProcess process;
    process.setWorkingDirectory(m_directory.path());
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral("openssl"), arguments);
    if (!process.waitForStarted(10000)) {
        m_error = u"cannot run openssl (install the openssl package): "_s + process.errorString();
        return false;
    }
    process.waitForFinished(30000);
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        m_error = u"openssl "_s + arguments.join(u' ') + u" failed: "_s +
                  QString::fromLocal8Bit(process.readAll());
        return false;
    }
    return true;
}

bool TestCertificates::makeCa(const QString& name, const QString& subject) {
    return openssl({u"req"_s, u"-x509"_s, u"-config"_s, path(u"openssl.cnf"), u"-extensions"_s,
                    u"v3_ca"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:P-256"_s,
                    u"-nodes"_s, u"-days"_s, u"3"_s, u"-subj"_s, subject, u"-keyout"_s,
                    name + u".key"_s, u"-out"_s, name + u".crt"_s});
}

bool TestCertificates::makeLeaf(const QString& name, const QString& ca, const QString& extensions,
                                const QStringList& validity) {
    if (!openssl({u"req"_s, u"-new"_s, u"-config"_s, path(u"openssl.cnf"), u"-newkey"_s, u"ec"_s,
                  u"-pkeyopt"_s, u"ec_paramgen_curve:P-256"_s, u"-nodes"_s, u"-subj"_s,
                  u"/CN=lockscope-test-"_s + name, u"-keyout"_s, name + u".key"_s, u"-out"_s,
                  name + u".csr"_s}))
        return false;
    return openssl(QStringList{u"ca"_s, u"-batch"_s, u"-notext"_s, u"-config"_s,
                               path(u"openssl.cnf"), u"-cert"_s, ca + u".crt"_s, u"-keyfile"_s,
                               ca + u".key"_s, u"-extensions"_s, extensions, u"-in"_s,
                               name + u".csr"_s, u"-out"_s, name + u".crt"_s} +
                   validity);
}

bool TestCertificates::create() {
    if (!m_directory.isValid()) {
        m_error = QStringLiteral("cannot create a temporary directory");
        return false;
    }
    QFile config(path(u"openssl.cnf"));
    QFile index(path(u"index.txt"));
    QFile serial(path(u"serial"));
    if (!config.open(QIODevice::WriteOnly) || config.write(configuration) < 0 ||
        !index.open(QIODevice::WriteOnly) || !serial.open(QIODevice::WriteOnly) ||
        serial.write("1000\n") < 0 || !QDir(m_directory.path()).mkpath(u"newcerts"_s) ||
        !QDir(m_directory.path()).mkpath(u"cadir"_s)) {
        m_error = QStringLiteral("cannot write the openssl configuration");
        return false;
    }
    config.close();
    index.close();
    serial.close();
    const QStringList valid{u"-days"_s, u"3"_s};
    if (!makeCa(u"ca"_s, u"/CN=Lockscope Test CA"_s) ||
        !makeCa(u"otherca"_s, u"/CN=Lockscope Untrusted CA"_s) ||
        !makeLeaf(u"server"_s, u"ca"_s, u"server_ext"_s, valid) ||
        !makeLeaf(u"client"_s, u"ca"_s, u"client_ext"_s, valid) ||
        !makeLeaf(u"unknownca"_s, u"otherca"_s, u"server_ext"_s, valid) ||
        !makeLeaf(u"unknownclient"_s, u"otherca"_s, u"client_ext"_s, valid) ||
        !makeLeaf(u"wrongname"_s, u"ca"_s, u"wrongname_ext"_s, valid) ||
        !makeLeaf(u"expired"_s, u"ca"_s, u"server_ext"_s,
                  {u"-startdate"_s, u"20200101000000Z"_s, u"-enddate"_s, u"20200102000000Z"_s}) ||
        !makeLeaf(u"future"_s, u"ca"_s, u"server_ext"_s,
                  {u"-startdate"_s, u"20900101000000Z"_s, u"-enddate"_s, u"20900102000000Z"_s}))
        return false;
    // --cacertdir wants the CA under its subject hash (what c_rehash makes).
    QProcess hash;
    hash.start(u"openssl"_s, {u"x509"_s, u"-noout"_s, u"-hash"_s, u"-in"_s, caFile()});
    hash.waitForFinished(30000);
    const QString name = QString::fromLatin1(hash.readAllStandardOutput()).trimmed();
    if (name.isEmpty() || !QFile::copy(caFile(), caDirectory() + u'/' + name + u".0"_s)) {
        m_error = QStringLiteral("cannot hash the CA certificate for --cacertdir");
        return false;
    }
    return true;
}

} // namespace testsupport
