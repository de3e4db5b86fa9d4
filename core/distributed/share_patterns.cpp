// SPDX-License-Identifier: GPL-3.0-or-later
#include "distributed/share_patterns.h"

#include "patterns/pool_patterns.h"
#include "pipeline.h"
#include "selection/selection.h"
#include "store/feature_store.h"

#include <mutex>
#include <stdexcept>
#include <string>

namespace freesel {

PatternPool computeSharePatterns(const FeatureStore& store, const std::vector<int>& storeIndex,
                                 ContiguousShare share, const PatternParameters& params,
                                 uint64_t seed, int threads) {
    const uint64_t stageSeed = patternStageSeed(seed);
    const auto count = static_cast<int>(share.count);
    std::vector<RowMatrixXf> patterns(static_cast<size_t>(count));
    std::mutex errorMutex;
    std::string error; // an exception must not leave the parallel region
#pragma omp parallel for schedule(dynamic, 1) num_threads(resolveThreadCount(threads))
    for (int k = 0; k < count; ++k) {
        const int image = static_cast<int>(share.first) + k;
        try {
            patterns[size_t(k)] = extractImagePatterns(store.load(storeIndex[size_t(image)]),
                                                       params, imagePatternSeed(stageSeed, image))
                                      .patterns;
        } catch (const std::exception& e) {
            const std::lock_guard<std::mutex> lock(errorMutex);
            if (error.empty())
                error = e.what();
        }
    }
    if (!error.empty())
        throw std::runtime_error(error);
    PatternPool pool(count > 0 ? static_cast<int>(patterns[0].cols()) : 0);
    for (RowMatrixXf& rows : patterns) {
        pool.addImage(rows.data(), static_cast<int>(rows.rows()));
        rows = RowMatrixXf();
    }
    return pool;
}

} // namespace freesel
