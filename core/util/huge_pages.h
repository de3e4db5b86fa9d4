// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Large per-row arrays (the pool's float rows: 7.7 GB at 1M images x 5 x 384; the sampler's
// 8-bit rows: 1.9 GB; D, bounds and positions: 20-40 MB each) are first touched page by page.
// On a virtual machine each page fault is an exception the hypervisor sees: measured here,
// touching 384 MB of fresh 4 KB pages took 1.1 s, while one madvise(MADV_POPULATE_WRITE) mapped
// the same pages in 0.05 s. So such an array is allocated untouched and asked for transparent
// huge pages (2 MB: 512 times fewer faults and TLB entries; Debian enables them only on
// request); arrays filled at once (assign) also for all their pages at once. All are hints: on
// an older kernel or another system nothing changes.

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace freesel {

namespace huge_pages_detail {
// Below this an array is a few hundred pages at most: not worth the system calls.
constexpr size_t kMinimumBytes = size_t(4) << 20;

/// Asks for huge pages where whole 2 MB pages fit in [data, data + bytes).
inline void adviseHugePages(const void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
    const auto begin = reinterpret_cast<uintptr_t>(data);
    const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
    const uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
    if (last > first)
        madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
    (void)data;
    (void)bytes;
#endif
}

/// Hints for the pages of [data, data + bytes): huge pages where whole 2 MB pages fit, and
/// every page mapped now (Linux 5.14 and later; an older kernel refuses it, harmlessly).
inline void prepareRange(const void* data, size_t bytes) {
    adviseHugePages(data, bytes);
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    constexpr uintptr_t kPage = 4096;
    const auto begin = reinterpret_cast<uintptr_t>(data);
    const uintptr_t start = begin & ~(kPage - 1);
    madvise(reinterpret_cast<void*>(start), begin + bytes - start, MADV_POPULATE_WRITE);
#endif
}

/// Drops the old allocation and reserves `count` elements afresh: the new pages are not touched
/// yet, so the hints above still decide how they are mapped.
template <typename T> void allocateUntouched(std::vector<T>& values, size_t count) {
    std::vector<T>().swap(values);
    values.reserve(count);
}
} // namespace huge_pages_detail

/// Sizes `values` to `count` copies of `value`. A large array that has to grow is allocated
/// afresh, untouched, and prepared (huge pages, mapped at once) before it is filled.
template <typename T> void assignOnHugePages(std::vector<T>& values, size_t count, const T& value) {
    if (values.capacity() < count && count * sizeof(T) >= huge_pages_detail::kMinimumBytes) {
        huge_pages_detail::allocateUntouched(values, count);
        huge_pages_detail::prepareRange(values.data(), count * sizeof(T));
    }
    values.assign(count, value);
}

/// Reserves room for `count` elements on huge pages, without mapping them: the count may be an
/// upper bound. Rows read at random (the sampler reads a float row wherever a pair's 8-bit test
/// is inconclusive) then miss the TLB 512 times less often: with 4 KB pages nearly every such
/// read of a 7.7 GB pool waited for a page walk first.
template <typename T> void reserveOnHugePages(std::vector<T>& values, size_t count) {
    if (values.capacity() >= count)
        return;
    if (count * sizeof(T) < huge_pages_detail::kMinimumBytes || !values.empty()) {
        values.reserve(count);
        return;
    }
    huge_pages_detail::allocateUntouched(values, count);
    huge_pages_detail::adviseHugePages(values.data(), count * sizeof(T));
}

/// Sizes `values` to `count` value-initialised elements (see assignOnHugePages).
template <typename T> void resizeOnHugePages(std::vector<T>& values, size_t count) {
    assignOnHugePages(values, count, T{});
}

} // namespace freesel
