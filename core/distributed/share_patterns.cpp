// SPDX-License-Identifier: GPL-3.0-or-later
#include "distributed/share_patterns.h"

#include "patterns/pool_patterns.h"
#include "pipeline.h"
#include "selection/selection.h"
#include "store/feature_store.h"

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>

namespace freesel {

PatternPool computeSharePatterns(const FeatureStore& store, const std::vector<int>& storeIndex,
                                 ContiguousShare share, const PatternParameters& params,
                                 uint64_t seed, int threads, const std::string& rowsFolder) {
    const auto first = static_cast<int>(share.first);
    if (share.count == 0)
        return PatternPool();
    // A record that fails to load inside the parallel batch is replaced by one that loaded
    // (the first), the stage stops after that batch and the error is thrown here.
    const ImageFeatures standIn = store.load(storeIndex[size_t(first)]);
    std::mutex errorMutex;
    std::string error; // an exception must not leave the parallel region
    std::atomic<bool> failed{false};
    auto fetch = [&](int k) {
        try {
            return store.load(storeIndex[size_t(first + k)]);
        } catch (const std::exception& e) {
            const std::lock_guard<std::mutex> lock(errorMutex);
            if (error.empty())
                error = e.what();
            failed = true;
            return standIn;
        }
    };
    auto goOn = [&](int64_t, int64_t) { return !failed.load(); };
    PatternPool pool =
        computePoolPatterns(static_cast<int>(share.count), fetch, params, patternStageSeed(seed),
                            threads, goOn, nullptr, rowsFolder, first);
    if (!error.empty())
        throw std::runtime_error(error);
    return pool;
}

} // namespace freesel
