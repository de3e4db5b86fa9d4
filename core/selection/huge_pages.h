// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Large per-row arrays of the sampler (the bfloat16 copy: 3.8 GB at 1M images x 5 x 384) are
// first touched page by page; on a virtual machine each 4 KB page fault cost ~30 us here, 2.8 s
// for 384 MB. Transparent huge pages (2 MB) cut the faults 512-fold, but Debian enables them
// only on request (madvise), so the sampler asks for them before it fills such an array.

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace freesel {

/// Sizes `values` to `count` elements (value-initialised), asking the kernel for huge pages
/// first where it offers them; a hint only, so any failure is ignored.
template <typename T> void resizeOnHugePages(std::vector<T>& values, size_t count) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
    if (values.capacity() < count && count * sizeof(T) >= 4 * kHugePage) {
        std::vector<T>().swap(values);
        values.reserve(count); // allocated, not yet touched
        const auto begin = reinterpret_cast<uintptr_t>(values.data());
        const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
        const uintptr_t last = (begin + count * sizeof(T)) & ~(kHugePage - 1);
        if (last > first)
            madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
    }
#endif
    values.resize(count);
}

} // namespace freesel
