#include "tls.hpp"

#include "../printable.hpp"

#include <portalocker/exceptions.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace portalocker::redis {
namespace {

// --- a socket BIO that never raises SIGPIPE ---
// OpenSSL's socket BIO writes with write(): a server that closed the connection would kill
// the process with SIGPIPE. A library must not touch the process's signal dispositions, so
// the BIO sends with MSG_NOSIGNAL instead.

int socket_write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
    ssize_t sent = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(bio);
    return static_cast<int>(sent);
}

int socket_read(BIO* bio, char* buffer, int size) {
    BIO_clear_retry_flags(bio);
    const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
    ssize_t got = ::recv(fd, buffer, static_cast<std::size_t>(size), 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(bio);
    return static_cast<int>(got);
}

long socket_control(BIO*, int command, long, void*) {
    // OpenSSL asks to flush after each handshake flight: sends are unbuffered here.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int socket_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

BIO_METHOD* socket_method() {
    // Created once (thread-safe static initialisation) and kept for the process's life.
    static BIO_METHOD* method = [] {
        BIO_METHOD* created =
            BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "portalocker nosignal socket");
        if (created) {
            BIO_meth_set_write(created, socket_write);
            BIO_meth_set_read(created, socket_read);
            BIO_meth_set_ctrl(created, socket_control);
            BIO_meth_set_create(created, socket_create);
        }
        return created;
    }();
    return method;
}

// OpenSSL, set up once for the process, and never torn down by an exit handler.
// By default OpenSSL frees all of its state in an atexit() handler. A thread can still be
// inside a TLS call while the process exits: a pool thread that Qt has let go of but whose
// pthread has not yet finished, or lockctl's acquirer left behind on Ctrl-C. That thread would
// then use freed memory, find OpenSSL refusing to start again, or leave its thread-local error
// queue to no one (LeakSanitizer reports it). The process's exit returns the memory anyway.
// The option only takes effect when this is the process's first use of OpenSSL; an
// application that set OpenSSL up earlier keeps its own choice.
bool openssl_ready() {
    static const bool ready = OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
    return ready;
}

// The OpenSSL error queue as text (and emptied, so that it cannot leak into a later call).
std::string openssl_errors() {
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty())
            text += "; ";
        text += buffer;
    }
    return text;
}

// "cannot set up OpenSSL: REASONS" (OpenSSL gives none once it has been shut down).
std::string setup_failure() {
    const std::string reasons = openssl_errors();
    return "cannot set up OpenSSL: " + (reasons.empty() ? "it gave no reason" : reasons);
}

bool is_ip_address(const std::string& host) {
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string asn1_time_text(const ASN1_TIME* time) {
    if (!time)
        return "?";
    BIO* memory = BIO_new(BIO_s_mem());
    if (!memory)
        return "?";
    std::string text = "?";
    if (ASN1_TIME_print(memory, time) == 1) {
        char* data = nullptr;
        long size = BIO_get_mem_data(memory, &data);
        text.assign(data, static_cast<std::size_t>(size));
    }
    BIO_free(memory);
    return text;
}

} // namespace

TlsSession::~TlsSession() {
    if (m_ssl)
        SSL_free(m_ssl);
    if (m_context)
        SSL_CTX_free(m_context);
}

int TlsSession::verify_callback(int preverified, x509_store_ctx_st* store) noexcept {
    if (preverified)
        return 1;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* session = ssl ? static_cast<TlsSession*>(SSL_get_app_data(ssl)) : nullptr;
    if (session && session->m_verifyError == 0) {
        session->m_verifyError = X509_STORE_CTX_get_error(store);
        if (X509* certificate = X509_STORE_CTX_get_current_cert(store)) {
            char subject[512] = {};
            X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof subject);
            session->m_verifySubject = subject;
            session->m_verifyNotBefore = asn1_time_text(X509_get0_notBefore(certificate));
            session->m_verifyNotAfter = asn1_time_text(X509_get0_notAfter(certificate));
        }
    }
    return 0;
}

bool TlsSession::set_up(int fd, const RedisTlsOptions& options, const std::string& host,
                        std::error_code& ec, std::string& message) {
    auto fail = [&](std::string text) {
        ec = make_error_code(errc::tls_failed);
        message = "TLS with Redis at " + m_address + ": " + detail::printable_text(text, 1024);
        return false;
    };
    // Before any other OpenSSL call: the first one sets OpenSSL up.
    if (!openssl_ready())
        return fail(setup_failure());
    ERR_clear_error();
    m_context = SSL_CTX_new(TLS_client_method());
    if (!m_context)
        return fail(setup_failure());
    SSL_CTX_set_min_proto_version(m_context, TLS1_2_VERSION);
    SSL_CTX_set_mode(m_context,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (options.verify) {
        SSL_CTX_set_verify(m_context, SSL_VERIFY_PEER, verify_callback);
        if (!options.ca_file.empty() || !options.ca_dir.empty()) {
            if (SSL_CTX_load_verify_locations(
                    m_context, options.ca_file.empty() ? nullptr : options.ca_file.c_str(),
                    options.ca_dir.empty() ? nullptr : options.ca_dir.c_str()) != 1)
                return fail("cannot load the CA certificates from " +
                            (options.ca_file.empty() ? "directory '" + options.ca_dir + "'"
                                                     : "'" + options.ca_file + "'") +
                            " (--cacert/--cacertdir): " + openssl_errors());
        } else if (SSL_CTX_set_default_verify_paths(m_context) != 1) {
            return fail("cannot load the system trust store: " + openssl_errors());
        }
    } else {
        SSL_CTX_set_verify(m_context, SSL_VERIFY_NONE, nullptr);
    }
    if (options.cert_file.empty() != options.key_file.empty())
        return fail(options.cert_file.empty()
                        ? "a client key (--key) needs its certificate (--cert)"
                        : "a client certificate (--cert) needs its private key (--key)");
    if (!options.cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(m_context, options.cert_file.c_str()) != 1)
            return fail("cannot load the client certificate '" + options.cert_file +
                        "' (--cert): " + openssl_errors());
        if (SSL_CTX_use_PrivateKey_file(m_context, options.key_file.c_str(), SSL_FILETYPE_PEM) !=
            1) {
            std::string reason = openssl_errors();
            if (reason.find("key values mismatch") != std::string::npos)
                return fail("the client key '" + options.key_file +
                            "' does not belong to the certificate '" + options.cert_file + "'");
            return fail("cannot load the client key '" + options.key_file + "' (--key): " + reason);
        }
        if (SSL_CTX_check_private_key(m_context) != 1)
            return fail("the client key '" + options.key_file +
                        "' does not belong to the certificate '" + options.cert_file + "'");
    }
    m_ssl = SSL_new(m_context);
    BIO_METHOD* method = socket_method();
    BIO* bio = method ? BIO_new(method) : nullptr;
    if (!m_ssl || !bio) {
        if (bio)
            BIO_free(bio);
        return fail(setup_failure());
    }
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
    SSL_set_bio(m_ssl, bio, bio); // the SSL owns the BIO from here
    SSL_set_app_data(m_ssl, this);
    // The name the certificate must carry: the SNI name when given (a tunnel or an address
    // that the certificate does not name), else what was dialled.
    const std::string& expected = options.sni.empty() ? host : options.sni;
    if (!is_ip_address(expected) && SSL_set_tlsext_host_name(m_ssl, expected.c_str()) != 1)
        return fail("invalid server name '" + expected + "' for SNI: " + openssl_errors());
    if (options.verify) {
        int set = is_ip_address(expected)
                      ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(m_ssl), expected.c_str())
                      : SSL_set1_host(m_ssl, expected.c_str());
        if (set != 1)
            return fail("cannot verify against the name '" + expected + "': " + openssl_errors());
    }
    return true;
}

std::unique_ptr<TlsSession> TlsSession::handshake(int fd, const RedisTlsOptions& options,
                                                  const std::string& host,
                                                  const std::string& address, Deadline deadline,
                                                  std::error_code& ec, std::string& message,
                                                  int cancel_fd) {
    std::unique_ptr<TlsSession> session(new TlsSession);
    session->m_address = address;
    if (!session->set_up(fd, options, host, ec, message))
        return nullptr;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int result = SSL_connect(session->m_ssl);
        if (result == 1)
            break;
        short events = 0;
        std::string reason;
        switch (SSL_get_error(session->m_ssl, result)) {
        case SSL_ERROR_WANT_READ:
            events = POLLIN;
            break;
        case SSL_ERROR_WANT_WRITE:
            events = POLLOUT;
            break;
        case SSL_ERROR_SYSCALL:
            reason = errno ? std::strerror(errno) : "the server closed the connection";
            break;
        case SSL_ERROR_ZERO_RETURN:
            reason = "the server closed the connection";
            break;
        default:
            reason = openssl_errors();
            break;
        }
        if (events == 0) {
            ec = make_error_code(errc::tls_failed);
            message = session->handshake_failure(options, host, reason);
            return nullptr;
        }
        pollfd descriptors[2] = {{fd, events, 0}, {cancel_fd, POLLIN, 0}};
        int ready = ::poll(descriptors, cancel_fd >= 0 ? 2 : 1, poll_timeout(deadline));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready > 0 && descriptors[0].revents == 0) {
            ec = make_error_code(errc::cancelled);
            message = "the TLS handshake with Redis at " + address + " was cancelled";
            return nullptr;
        }
        if (ready <= 0) {
            ec = make_error_code(ready == 0 ? errc::timeout : errc::tls_failed);
            message = "TLS with Redis at " + address +
                      (ready == 0 ? ": the TLS handshake did not complete in time (connect "
                                    "timeout); a plain (non-TLS) Redis port waits silently for "
                                    "a command, so check that this port speaks TLS"
                                  : ": " + std::string(std::strerror(errno)));
            return nullptr;
        }
    }
    session->m_handshakeDone = true;
    return session;
}

std::string TlsSession::handshake_failure(const RedisTlsOptions& options, const std::string& host,
                                          const std::string& reason) const {
    const std::string prefix = "TLS with Redis at " + m_address + ": ";
    const std::string subject =
        m_verifySubject.empty() ? std::string() : " (" + m_verifySubject + ")";
    const std::string expected = options.sni.empty() ? host : options.sni;
    std::string text;
    switch (m_verifyError) {
    case 0:
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        text =
            "the server's certificate" + subject +
            " is not signed by a trusted CA (unknown CA; "
            "trusted are " +
            (options.ca_file.empty() && options.ca_dir.empty()
                 ? std::string("the system trust store")
                 : "the CAs in " + (options.ca_file.empty() ? options.ca_dir : options.ca_file)) +
            "): give its CA with --cacert";
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        text = "the server's certificate" + subject + " has expired (valid until " +
               m_verifyNotAfter + ")";
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        text = "the server's certificate" + subject + " is not valid yet (valid from " +
               m_verifyNotBefore + "; check the clocks)";
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        text = "host name mismatch: the server's certificate" + subject + " is not issued for '" +
               expected + "' (--sni NAME checks the name the certificate carries)";
        break;
    default:
        text = std::string("the server's certificate") + subject +
               " was not accepted: " + X509_verify_cert_error_string(m_verifyError);
        break;
    }
    if (!text.empty())
        return prefix + detail::printable_text(text, 1024);
    // Not a certificate problem of ours: what the server (or the bytes it sent) said.
    if (reason.find("wrong version number") != std::string::npos ||
        reason.find("packet length too long") != std::string::npos ||
        reason.find("record layer failure") != std::string::npos)
        text = "the server does not speak TLS on this port (a plain Redis port? then use "
               "redis:// without --tls): " +
               reason;
    else if (reason.find("certificate required") != std::string::npos)
        text = "the server requires a client certificate (--cert FILE --key FILE): " + reason;
    else if (reason.find("alert bad certificate") != std::string::npos ||
             reason.find("alert unknown ca") != std::string::npos ||
             reason.find("alert certificate unknown") != std::string::npos ||
             reason.find("alert certificate expired") != std::string::npos)
        text = "the server rejected the client certificate '" + options.cert_file + "': " + reason;
    else if (reason.find("protocol version") != std::string::npos ||
             reason.find("unsupported protocol") != std::string::npos)
        text = "no TLS version in common (TLS 1.2 or later is required): " + reason;
    else
        text = "the TLS handshake failed: " + reason;
    return prefix + detail::printable_text(text, 1024);
}

IoResult TlsSession::classify(int result, std::error_code& ec, std::string& message) noexcept {
    switch (SSL_get_error(m_ssl, result)) {
    case SSL_ERROR_WANT_READ:
        return IoResult::want_read;
    case SSL_ERROR_WANT_WRITE:
        return IoResult::want_write;
    case SSL_ERROR_ZERO_RETURN:
        return IoResult::closed;
    case SSL_ERROR_SYSCALL:
        if (errno == 0 || errno == ECONNRESET || errno == EPIPE) {
            ERR_clear_error();
            return IoResult::closed;
        }
        ec = make_error_code(errc::connection_lost);
        message = std::strerror(errno);
        ERR_clear_error();
        return IoResult::failed;
    default: {
        std::string reason = openssl_errors();
        // With TLS 1.3 the server checks the client certificate after the client finished
        // its handshake: the refusal arrives as an alert on the first read.
        ec = make_error_code(errc::tls_failed);
        if (reason.find("certificate required") != std::string::npos)
            message =
                "the server requires a client certificate (--cert FILE --key FILE): " + reason;
        else if (reason.find("alert bad certificate") != std::string::npos ||
                 reason.find("alert unknown ca") != std::string::npos ||
                 reason.find("alert certificate unknown") != std::string::npos ||
                 reason.find("alert certificate expired") != std::string::npos)
            message = "the server rejected the client certificate: " + reason;
        else if (reason.find("unexpected eof") != std::string::npos)
            return IoResult::closed;
        else
            message = "TLS error: " + reason;
        return IoResult::failed;
    }
    }
}

IoResult TlsSession::read(char* buffer, std::size_t size, std::size_t& got, std::error_code& ec,
                          std::string& message) noexcept {
    got = 0;
    ERR_clear_error();
    errno = 0;
    int result = SSL_read_ex(m_ssl, buffer, size, &got);
    if (result == 1)
        return IoResult::done;
    return classify(result, ec, message);
}

IoResult TlsSession::write(const char* data, std::size_t size, std::size_t& written,
                           std::error_code& ec, std::string& message) noexcept {
    written = 0;
    ERR_clear_error();
    errno = 0;
    int result = SSL_write_ex(m_ssl, data, size, &written);
    if (result == 1)
        return IoResult::done;
    return classify(result, ec, message);
}

bool TlsSession::has_pending() const noexcept {
    return SSL_has_pending(m_ssl) == 1;
}

std::string TlsSession::description() const {
    const char* cipher = SSL_get_cipher_name(m_ssl);
    return std::string(SSL_get_version(m_ssl)) + ", " + (cipher ? cipher : "?");
}

} // namespace portalocker::redis
