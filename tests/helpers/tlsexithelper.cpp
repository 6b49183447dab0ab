// tlsexithelper PORT: a TLS connection attempt made while the process exits.
//
// A thread can still be inside a TLS call when a program's main returns: a pool thread that
// Qt has let go of but whose pthread has not yet finished, or lockctl's acquirer left behind
// on Ctrl-C. Such a thread runs while the exit handlers do. This helper stands in for it: an
// exit handler, registered before the library's first use of OpenSSL (so it runs after any
// handler OpenSSL registers then), dials PORT on 127.0.0.1 with TLS. PORT is a plain Redis
// port, so each attempt must fail for the server's reason ("does not speak TLS"), never for
// OpenSSL's ("cannot set up OpenSSL", or a crash on freed state).
//
// A third attempt runs on a detached thread that main waits for only as Qt's QThread::wait()
// does: until the thread's function returns, not until its pthread has finished. The thread's
// end (its thread-local destructors, OpenSSL's among them) is slowed down so that it falls
// into the exit handlers. Under LeakSanitizer (the asan stage) this is the CI failure of
// tst_ui_redistls: OpenSSL's exit handler ran first, and the thread's error queue was freed by
// no one.
//
// Prints "main: MESSAGE", "thread: MESSAGE" and "exit: MESSAGE"; exits 0 when all three
// attempts were made.

#include <portalocker/redisprobe.hpp>

#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

namespace {

int g_port = 0;

void attempt(const char* when) {
    portalocker::RedisOptions options;
    options.host = "127.0.0.1";
    options.port = g_port;
    options.tls.enabled = true;
    options.tls.verify = false; // the failure under test comes before any certificate
    options.connect_timeout = std::chrono::milliseconds(1500);
    std::error_code ec;
    std::string why;
    portalocker::probe_redis(options, ec, &why);
    std::printf("%s: %s\n", when, ec ? why.c_str() : "connected (unexpected)");
    std::fflush(stdout);
}

void at_exit() {
    attempt("exit");
    usleep(600 * 1000); // the thread below has ended before LeakSanitizer looks
}

pthread_key_t g_slowEnd;
sem_t g_returned;

void* thread_attempt(void*) {
    pthread_setspecific(g_slowEnd, &g_slowEnd); // runs slow_end when the thread ends
    attempt("thread");
    sem_post(&g_returned);
    return nullptr;
}

void slow_end(void*) {
    usleep(300 * 1000);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2 || (g_port = std::atoi(argv[1])) <= 0) {
        std::fprintf(stderr, "usage: tlsexithelper PORT\n");
        return 2;
    }
    std::atexit(at_exit);
    // Created before the library's first use of OpenSSL, so that its destructor runs before
    // the ones OpenSSL creates.
    pthread_key_create(&g_slowEnd, slow_end);
    attempt("main");
    sem_init(&g_returned, 0, 0);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    if (pthread_create(&thread, &attributes, thread_attempt, nullptr) != 0) {
        std::fprintf(stderr, "tlsexithelper: cannot start a thread\n");
        return 1;
    }
    while (sem_wait(&g_returned) != 0) {
    }
    return 0;
}
