// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Dynamic chunk scheduling on ATen's threads (include only from backbone .cpp files).

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace freesel {

/// fn(begin, end) over [0, total) in chunks of `chunk`, handed to ATen's threads one at a time
/// (an atomic counter) rather than split evenly up front: when another program slows one core,
/// the other thread takes over its share instead of waiting for it at the region's barrier
/// (issue 19's busy machine). Each chunk computes the same values whichever thread runs it.
/// Called inside another parallel region it runs every chunk on the calling thread.
template <class F> void parallelChunks(int64_t total, int64_t chunk, const F& fn) {
    const int64_t chunks = (total + chunk - 1) / chunk;
    std::atomic<int64_t> next{0};
    const int64_t workers = std::min<int64_t>(at::get_num_threads(), chunks);
    at::parallel_for(0, workers, 1, [&](int64_t, int64_t) {
        for (int64_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
             c = next.fetch_add(1, std::memory_order_relaxed))
            fn(c * chunk, std::min(total, (c + 1) * chunk));
    });
}

} // namespace freesel
