// Storage of a run's output records (records.hpp).
#include "mmsim/records.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mmsim {

#if defined(__linux__)
void *grow_records(void *p, size_t old_bytes, size_t new_bytes) {
    void *q = p ? mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE)
                : mmap(nullptr, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) throw std::bad_alloc();
    // Large logs: huge pages where the kernel allows them.
    if (new_bytes >= (size_t(4) << 20)) madvise(q, new_bytes, MADV_HUGEPAGE);
#if defined(MADV_POPULATE_WRITE)
    // Fault the new part in now, in one call, rather than one trap per page as it fills
    // (an older kernel refuses the advice, and the pages fault in as they are written).
    madvise(static_cast<char *>(q) + old_bytes, new_bytes - old_bytes, MADV_POPULATE_WRITE);
#endif
    return q;
}

void free_records(void *p, size_t bytes) {
    if (p) munmap(p, bytes);
}
#else
void *grow_records(void *p, size_t, size_t new_bytes) {
    void *q = std::realloc(p, new_bytes);
    if (!q) throw std::bad_alloc();
    return q;
}

void free_records(void *p, size_t) { std::free(p); }
#endif

}  // namespace mmsim
