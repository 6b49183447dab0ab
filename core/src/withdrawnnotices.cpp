#include "withdrawnnotices.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace portalocker::detail {

namespace {

#if defined(__linux__)
// One byte maps one page; that is enough to hold the file (the page is never touched, so no
// memory is spent on it and unmapping it needs no TLB flush).
constexpr std::size_t mapping_length = 1;
#endif

void drop(void* mapping) noexcept {
#if defined(__linux__)
    ::munmap(mapping, mapping_length);
#else
    (void)mapping;
#endif
}

} // namespace

WithdrawnNotices& WithdrawnNotices::instance() noexcept {
    // Never destroyed: notices may be withdrawn by threads still running during exit, and
    // the process's mappings end with it anyway.
    static WithdrawnNotices* set = new WithdrawnNotices;
    return *set;
}

void* WithdrawnNotices::keep_alive(int fd) noexcept {
#if defined(__linux__)
    void* mapping = ::mmap(nullptr, mapping_length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED)
        return nullptr;
    // A child made by fork() must not hold our notices' memory (nor keep it after we free it).
    (void)::madvise(mapping, mapping_length, MADV_DONTFORK);
    return mapping;
#else
    (void)fd;
    return nullptr;
#endif
}

void WithdrawnNotices::add(void* mapping) noexcept {
    for (std::atomic<void*>& slot : m_slots) {
        void* expected = nullptr;
        if (slot.compare_exchange_strong(expected, mapping, std::memory_order_acq_rel)) {
            m_count.fetch_add(1, std::memory_order_release);
            return;
        }
    }
    drop(mapping); // all slots taken: free it now rather than lose it
}

void WithdrawnNotices::release_all() noexcept {
    if (m_count.load(std::memory_order_acquire) == 0)
        return;
    for (std::atomic<void*>& slot : m_slots) {
        if (void* mapping = slot.exchange(nullptr, std::memory_order_acq_rel)) {
            m_count.fetch_sub(1, std::memory_order_release);
            drop(mapping);
        }
    }
}

} // namespace portalocker::detail
