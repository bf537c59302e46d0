// Storage of a run's output records (records.hpp).
#include "mmsim/records.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mmsim {

#if defined(__linux__)
namespace {
// Mappings of finished runs' records, kept for the next pass (a sweep, a benchmark's
// repeats): the pages their records reached are faulted in, so reusing them costs no page faults and
// no zeroing by the kernel. One list per record kind (their sizes differ a lot), each
// holding at most kPoolBytes; beyond that a mapping goes back to the kernel.
constexpr size_t kPoolBytes = size_t(64) << 20;

struct Pool {
    std::mutex mutex;
    std::vector<std::pair<void *, size_t>> free;
    size_t bytes = 0;
};

Pool &pool(int kind) {
    static Pool pools[kRecordKinds];
    return pools[kind];
}

// Fault `bytes` at `p` in now, in one call, rather than one trap per page as it fills (an
// older kernel refuses the advice, and the pages fault in as they are written).
void populate(void *p, size_t bytes) {
#if defined(MADV_POPULATE_WRITE)
    madvise(p, bytes, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}
}  // namespace

void *grow_records(void *p, size_t old_bytes, size_t &new_bytes, size_t &ready, int kind) {
    if (!p) {
        Pool &pl = pool(kind);
        std::lock_guard<std::mutex> lock(pl.mutex);
        if (!pl.free.empty()) {  // the largest kept mapping
            size_t best = 0;
            for (size_t k = 1; k < pl.free.size(); ++k)
                if (pl.free[k].second > pl.free[best].second) best = k;
            const auto m = pl.free[best];
            pl.free.erase(pl.free.begin() + static_cast<std::ptrdiff_t>(best));
            pl.bytes -= m.second;
            ready = 0;  // (what its run wrote is faulted in: ready_records passes over it quickly)
            if (m.second >= new_bytes) {
                new_bytes = m.second;
                return m.first;
            }
            p = m.first;
            old_bytes = m.second;
        }
    }
    void *q = p ? mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE)
                : mmap(nullptr, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) throw std::bad_alloc();
    if (!p) ready = 0;
    if (new_bytes >= (size_t(4) << 20)) madvise(q, new_bytes, MADV_HUGEPAGE);
    return q;
}

size_t ready_records(void *p, size_t ready, size_t bytes) {
    const size_t to = std::min(bytes, ready + kRecordStepBytes);
    populate(static_cast<char *>(p) + ready, to - ready);
    return to;
}

void free_records(void *p, size_t bytes, int kind) {
    if (!p) return;
    Pool &pl = pool(kind);
    {
        std::lock_guard<std::mutex> lock(pl.mutex);
        if (pl.bytes + bytes <= kPoolBytes) {
            pl.free.emplace_back(p, bytes);
            pl.bytes += bytes;
            return;
        }
    }
    munmap(p, bytes);
}
#else
void *grow_records(void *p, size_t, size_t &new_bytes, size_t &ready, int) {
    void *q = std::realloc(p, new_bytes);
    if (!q) throw std::bad_alloc();
    ready = new_bytes;
    return q;
}

size_t ready_records(void *, size_t, size_t bytes) { return bytes; }

void free_records(void *p, size_t, int) { std::free(p); }
#endif

}  // namespace mmsim
