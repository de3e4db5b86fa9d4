// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Dynamic chunk scheduling on ATen's threads (include only from backbone .cpp files).

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace freesel {

/// fn(begin, end) over [0, total) in chunks of `chunk`, handed to ATen's threads one at a time
/// (an atomic counter) rather than split evenly up front: when another program slows one core,
/// the other thread takes over its share instead of waiting for it at the region's barrier
/// (issue 19's busy machine). Each chunk computes the same values whichever thread runs it.
/// Called inside another parallel region it runs every chunk on the calling thread.
/// `idle` (may be empty): each thread, once no chunk is left to take, calls it until it returns
/// false, instead of waiting at the region's end for the thread with the last chunk (the
/// pipeline decodes the next images there).
template <class F>
void parallelChunks(int64_t total, int64_t chunk, const F& fn,
                    const std::function<bool()>& idle = {}) {
    const int64_t chunks = (total + chunk - 1) / chunk;
    std::atomic<int64_t> next{0};
    const int64_t workers = std::min<int64_t>(at::get_num_threads(), chunks);
    at::parallel_for(0, workers, 1, [&](int64_t, int64_t) {
        for (int64_t c = next.fetch_add(1, std::memory_order_relaxed); c < chunks;
             c = next.fetch_add(1, std::memory_order_relaxed))
            fn(c * chunk, std::min(total, (c + 1) * chunk));
        while (idle && idle()) {
        }
    });
}

/// Whether a backend on the CPU shares a batch of `count` images out image by image (its
/// imageParallel option, tasks of `imagesPerTask`): only when every one of `threads` threads
/// gets a task; else (many cores, small batches) threads would idle, and the products are split
/// across them instead.
inline bool sharesOutImages(bool onCpu, int threads, bool imageParallel, int imagesPerTask,
                            std::size_t count) {
    return onCpu && threads > 1 && imageParallel &&
           count >= std::size_t(threads) * std::size_t(imagesPerTask);
}

/// run(items) computed in tasks of `perTask` items handed out by parallelChunks, each task's
/// results put in its items' places. Each task runs on one thread: the kernels' own parallel
/// regions run inline there (ATen and oneDNN do not nest), so no operation waits for another
/// thread. `idle`: as parallelChunks's.
template <class Item, class Run>
auto runInTasks(const std::vector<Item>& items, int64_t perTask, const Run& run,
                const std::function<bool()>& idle = {}) {
    decltype(run(items)) results(items.size());
    parallelChunks(
        int64_t(items.size()), perTask,
        [&](int64_t begin, int64_t end) {
            auto done = run(std::vector<Item>(items.begin() + begin, items.begin() + end));
            std::move(done.begin(), done.end(), results.begin() + begin);
        },
        idle);
    return results;
}

} // namespace freesel
