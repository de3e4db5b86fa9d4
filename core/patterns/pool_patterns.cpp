// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/pool_patterns.h"

#include "selection/selection.h"
#include "util/random_stream.h"

#include <vector>

namespace freesel {

namespace {
constexpr int kBatch = 256; // images per parallel batch: bounds memory, sets cancel latency
}

uint64_t imagePatternSeed(uint64_t seed, int image) {
    return RandomStream::forItem(seed, static_cast<uint64_t>(image)).next();
}

PatternPool computePoolPatterns(int imageCount, const std::function<ImageFeatures(int)>& fetch,
                                const PatternParameters& params, uint64_t seed, int threads,
                                const ProgressCallback& progress, const std::atomic<bool>* cancel,
                                const std::string& rowsFolder, int firstImage) {
    threads = resolveThreadCount(threads);
    PatternPool pool;
    bool initialised = false;
    std::vector<RowMatrixXf> batch(kBatch);
    for (int start = 0; start < imageCount; start += kBatch) {
        if (cancel && cancel->load())
            break;
        const int count = std::min(kBatch, imageCount - start);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (int k = 0; k < count; ++k)
            batch[k] = extractImagePatterns(fetch(start + k), params,
                                            imagePatternSeed(seed, firstImage + start + k))
                           .patterns;
        for (int k = 0; k < count; ++k) {
            if (!initialised) {
                const auto dims = static_cast<int>(batch[k].cols());
                pool = rowsFolder.empty() ? PatternPool(dims)
                                          : PatternPool::withRowsInFile(dims, rowsFolder);
                // At most K patterns per image: room for all of them at once (on huge pages,
                // mapped only as rows arrive) instead of a growing copy.
                pool.reserve(imageCount, int64_t(imageCount) * params.clusters);
                initialised = true;
            }
            pool.addImage(batch[k].data(), static_cast<int>(batch[k].rows()));
        }
        if (progress && !progress(start + count, imageCount))
            break;
    }
    return pool;
}

} // namespace freesel
