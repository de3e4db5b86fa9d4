// SPDX-License-Identifier: GPL-3.0-or-later
#include "search_candidates.h"

#include "clip_stage.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <unordered_set>

namespace freesel {

int64_t withinCount(double top, bool percent, int64_t available) {
    if (percent) {
        if (!(top > 0.0 && top <= 100.0))
            throw std::invalid_argument("--within-top as a percentage must be in (0%, 100%], got " +
                                        std::to_string(top) + "%");
        const auto count = int64_t(std::llround(top / 100.0 * double(available)));
        return std::clamp<int64_t>(count, std::min<int64_t>(1, available), available);
    }
    if (!(top >= 1.0) || top != std::floor(top))
        throw std::invalid_argument("--within-top must be a count >= 1 or a percentage like 20%, "
                                    "got " +
                                    std::to_string(top));
    return std::min<int64_t>(int64_t(top), available);
}

std::vector<int> searchCandidates(const ClipBackend& clip, const FeatureStore& store,
                                  const std::vector<int>& records, const QString& query, double top,
                                  bool percent) {
    if (query.trimmed().isEmpty())
        throw std::invalid_argument("--within: the query text is empty");
    const PoolClipEmbeddings pool = poolClipEmbeddings(store, records);
    const int64_t keep = withinCount(top, percent, pool.embeddings.rows());
    std::vector<int> matches;
    for (const SearchHit& hit : searchPool(clip, pool, query, keep))
        matches.push_back(hit.image);
    std::sort(matches.begin(), matches.end());
    return matches;
}

PoolPatterns restrictPatterns(const PoolPatterns& patterns, const std::vector<int>& poolIndices) {
    const std::unordered_set<int> keep(poolIndices.begin(), poolIndices.end());
    PoolPatterns out;
    out.patterns = PatternPool(patterns.patterns.dims());
    out.global = PatternPool(patterns.global.dims());
    for (size_t i = 0; i < patterns.poolIndex.size(); ++i) {
        if (!keep.count(patterns.poolIndex[i]))
            continue;
        out.poolIndex.push_back(patterns.poolIndex[i]);
        out.storeIndex.push_back(patterns.storeIndex[i]);
        const int image = int(i);
        out.patterns.addImage(patterns.patterns.pattern(patterns.patterns.firstPatternOf(image)),
                              patterns.patterns.patternCountOf(image));
        if (patterns.global.imageCount() > image)
            out.global.addImage(patterns.global.pattern(patterns.global.firstPatternOf(image)),
                                patterns.global.patternCountOf(image));
    }
    return out;
}

} // namespace freesel
