// SPDX-License-Identifier: GPL-3.0-or-later
// Planning in exact pruned D^2 sampling: before a step evaluates any row, the bounds of the
// tops and groups decide which groups each new query may affect (distance_sampler.h).
#include "selection/distance_kernels.h"
#include "selection/distance_sampler.h"
#include "util/target_clones.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace freesel::sampling_detail {

/// Decides which groups each query of the new image may affect: a top (then a group) whose
/// bounds exclude the query's distance to its centre is skipped as a whole. Tops are planned
/// in parallel into their own lists, joined in top order so the plan never depends on threads.
void DistanceSampler::planWork(const std::vector<float>& queries, int queryCount) {
    std::vector<float> toTops(static_cast<size_t>(queryCount) * topCount_);
    if (options_.metric == DistanceMetric::Cosine) { // every query against every top: tiles
        dotsOfRowsWithRows(queries.data(), queryCount, topCentres_.data(), topCount_, dims_,
                           toTops.data());
        for (float& value : toTops)
            value = std::acos(std::clamp(value, -1.0f, 1.0f));
    } else {
        for (int q = 0; q < queryCount; ++q)
            metricDistances(&queries[size_t(q) * dims_], topCentres_.data(), topCount_, dims_,
                            options_.metric, &toTops[size_t(q) * topCount_]);
    }
    topWork_.resize(topCount_);
    topWorkQueries_.resize(topCount_);
    const auto planTops = [&](int64_t begin, int64_t end) {
        for (auto t = static_cast<int>(begin); t < end; ++t)
            planTop(t, queries, queryCount, toTops.data());
    };
    if (int64_t(groupCount_) * queryCount > 2048)
        team_->forEach(topCount_, 4, planTops);
    else
        planTops(0, topCount_);
    work_.clear();
    workQueries_.clear();
    for (int t = 0; t < topCount_; ++t) {
        const auto offset = static_cast<int>(workQueries_.size());
        for (WorkItem item : topWork_[t]) {
            item.firstQuery += offset;
            work_.push_back(item);
        }
        workQueries_.insert(workQueries_.end(), topWorkQueries_[t].begin(),
                            topWorkQueries_[t].end());
    }
}

void DistanceSampler::planTop(int t, const std::vector<float>& queries, int queryCount,
                              const float* toTops) {
    std::vector<WorkItem>& items = topWork_[t];
    std::vector<QueryCheck>& checks = topWorkQueries_[t];
    items.clear();
    checks.clear();
    const bool prune = options_.pruning;
    const bool cosine = options_.metric == DistanceMetric::Cosine;
    const int firstGroup = topGroupStart_[t], groups = topGroupStart_[t + 1] - firstGroup;
    thread_local std::vector<int> needed;
    needed.clear();
    for (int q = 0; q < queryCount; ++q)
        if (!prune || !topBounds_[t].excludes(toTops[size_t(q) * topCount_ + t], slack_))
            needed.push_back(q);
    if (needed.empty())
        return;
    // Per needed query: its dot (cosine) or distance (Euclidean) to each group centre of this
    // top; with the prefilter, 8-bit estimates refined below where a group may admit it.
    thread_local std::vector<float> toGroups;
    toGroups.resize(needed.size() * groups);
    centreValues(t, queries, needed, toGroups.data());
    const auto admits = [&](const Bounds& bounds, const std::pair<float, float>& dots,
                            float value) {
        return cosine ? value >= dots.first && value <= dots.second
                      : !bounds.excludes(value, slack_);
    };
    // Pass 1: the (group, query) pairs the tops' bounds and the 8-bit estimates leave open.
    thread_local std::vector<CentreCheck> open;
    openPairs(t, needed, toTops, toGroups.data(), open);
    if (prefilter_)
        refineCentreDots(queries, open);
    // Pass 2: the group's bounds on the exact values decide, in group order.
    for (size_t i = 0; i < open.size();) {
        const int g = open[i].group;
        const auto first = static_cast<int>(checks.size());
        bool core = !prune;
        for (; i < open.size() && open[i].group == g; ++i) {
            const float value = open[i].value;
            if (prune) {
                const bool coreAdmits = admits(groupBounds_[g], groupDotRange_[g], value);
                if (!coreAdmits && !admits(looseBounds_[g], looseDotRange_[g], value))
                    continue;
                core = core || coreAdmits;
            }
            checks.push_back(
                {open[i].query, cosine ? std::acos(std::clamp(value, -1.0f, 1.0f)) : value});
        }
        if (static_cast<int>(checks.size()) > first)
            items.push_back({g, first, static_cast<int>(checks.size()) - first, !core});
    }
}

namespace {
/// Sets `bit` in bits[i] for each group i that may admit a query (planTop's pass 1): the group
/// has active rows, its bounds against the top centre admit the query's angle to that centre
/// (topBounds null: no pruning), and its dot range widened by the 8-bit margin overlaps the
/// estimate values[i] (values null: no prefilter). Bitwise operators instead of && and ||
/// keep the loop free of branches, so it vectorises; they test exactly the same conditions.
template <bool prune, bool prefilter>
FREESEL_CLONES void
markAdmittedLoop(int groups, const int64_t* active, const Bounds* topBounds, float toTop,
                 float slack, const float* values, const std::pair<float, float>* coreDots,
                 const std::pair<float, float>* looseDots, const float* margins, const float* norms,
                 float queryMargin, uint64_t* bits, uint64_t bit) {
#pragma omp simd
    for (int i = 0; i < groups; ++i) {
        bool pass = active[i] != 0;
        if constexpr (prune)
            pass &= !((toTop - topBounds[i].upper > slack) | (topBounds[i].lower - toTop > slack));
        if constexpr (prefilter) {
            const float margin = margins[i] + norms[i] * queryMargin;
            const float high = values[i] + margin, low = values[i] - margin;
            pass &= ((high >= coreDots[i].first) & (low <= coreDots[i].second)) |
                    ((high >= looseDots[i].first) & (low <= looseDots[i].second));
        }
        bits[i] |= pass ? bit : 0;
    }
}

void markAdmitted(int groups, const int64_t* active, const Bounds* topBounds, float toTop,
                  float slack, const float* values, const std::pair<float, float>* coreDots,
                  const std::pair<float, float>* looseDots, const float* margins,
                  const float* norms, float queryMargin, uint64_t* bits, uint64_t bit) {
    const auto loop =
        topBounds ? (values ? markAdmittedLoop<true, true> : markAdmittedLoop<true, false>)
                  : (values ? markAdmittedLoop<false, true> : markAdmittedLoop<false, false>);
    loop(groups, active, topBounds, toTop, slack, values, coreDots, looseDots, margins, norms,
         queryMargin, bits, bit);
}
} // namespace

/// The (group, query) pairs of top t that neither the group's bounds against the top centre
/// nor (with the prefilter) the 8-bit estimate of the dot with the group centre rule out, in
/// group order and, within a group, in the order of `needed`. The tests run query by query
/// over all groups of the top (straight-line code the compiler vectorises), each setting its
/// query's bit in a per-group mask; the masks are then read group by group.
void DistanceSampler::openPairs(int t, const std::vector<int>& needed, const float* toTops,
                                const float* toGroups, std::vector<CentreCheck>& open) const {
    const int firstGroup = topGroupStart_[t], groups = topGroupStart_[t + 1] - firstGroup;
    const auto chunks = static_cast<int>((needed.size() + 63) / 64);
    thread_local std::vector<uint64_t> admitted;
    admitted.assign(size_t(chunks) * groups, 0);
    const bool prune = options_.pruning, prefilter = prefilter_;
    const float slack = slack_;
    const Bounds* topBounds = &groupTopBounds_[firstGroup];
    const auto* coreDots = &groupDotRange_[firstGroup];
    const auto* looseDots = &looseDotRange_[firstGroup];
    const float* margins = &centreMargin_[firstGroup];
    const float* norms = &centreNorm_[firstGroup];
    const int64_t* active = &activeInGroup_[firstGroup];
    for (size_t k = 0; k < needed.size(); ++k) {
        const int q = needed[k];
        const float toTop = toTops[size_t(q) * topCount_ + t];
        const float queryMargin = prefilter ? queryMargin_[q] : 0.0f;
        const float* values = toGroups + k * groups;
        uint64_t* bits = &admitted[(k / 64) * groups];
        const uint64_t bit = uint64_t(1) << (k % 64);
        markAdmitted(groups, active, prune ? topBounds : nullptr, toTop, slack,
                     prefilter ? values : nullptr, coreDots, looseDots, margins, norms, queryMargin,
                     bits, bit);
    }
    open.clear();
    for (int i = 0; i < groups; ++i)
        for (int c = 0; c < chunks; ++c)
            for (uint64_t word = admitted[size_t(c) * groups + i]; word != 0; word &= word - 1) {
                const int k = c * 64 + __builtin_ctzll(word);
                open.push_back(
                    {firstGroup + i, needed[size_t(k)], toGroups[size_t(k) * groups + i]});
            }
}

/// The float dots of the open pairs with their group centres, four independent sums at a time
/// (one dot alone waits on its own additions).
void DistanceSampler::refineCentreDots(const std::vector<float>& queries,
                                       std::vector<CentreCheck>& open) const {
    for (size_t i = 0; i < open.size(); i += 4) {
        const int count = static_cast<int>(std::min<size_t>(4, open.size() - i));
        const float* left[4];
        const float* right[4];
        for (int j = 0; j < 4; ++j) {
            const CentreCheck& check = open[i + size_t(std::min(j, count - 1))];
            left[j] = &queries[size_t(check.query) * dims_];
            right[j] = &centres_[size_t(check.group) * dims_];
        }
        float dots[4];
        dotProducts4(left, right, dims_, dots);
        for (int j = 0; j < count; ++j)
            open[i + j].value = dots[j];
    }
}

/// out[k * groups + i]: query needed[k] against group i of top t. The float dot (cosine) or
/// distance (Euclidean); with the prefilter, the 8-bit estimate of the dot (the centres are
/// quantised like the rows: a quarter of the bytes, so the centres stay in cache).
void DistanceSampler::centreValues(int t, const std::vector<float>& queries,
                                   const std::vector<int>& needed, float* out) const {
    const int firstGroup = topGroupStart_[t], groups = topGroupStart_[t + 1] - firstGroup;
    if (groups == 0) // a top with no groups (a pool of identical images): nothing to index
        return;
    if (centresPacked_) {
        centreValuesPacked(t, needed, out);
        return;
    }
    const float* centres = &centres_[size_t(firstGroup) * dims_];
    for (size_t k = 0; k < needed.size(); ++k) {
        const int q = needed[k];
        float* values = out + k * groups;
        if (!prefilter_) {
            if (options_.metric == DistanceMetric::Cosine) // compared with the dot ranges
                dotsWithRows(&queries[size_t(q) * dims_], centres, groups, dims_, values);
            else
                metricDistances(&queries[size_t(q) * dims_], centres, groups, dims_,
                                options_.metric, values);
            continue;
        }
        const int8_t* query = &compactQueries_[size_t(q) * dims_];
        const int8_t* right[4] = {query, query, query, query};
        for (int i = 0; i < groups; i += 4) {
            const int count = std::min(4, groups - i);
            const uint8_t* left[4];
            for (int j = 0; j < 4; ++j)
                left[j] = &centreCodes_[size_t(firstGroup + i + std::min(j, count - 1)) * dims_];
            int32_t raw[4];
            rawDotsU8S8x4(left, right, dims_, raw);
            for (int j = 0; j < count; ++j)
                values[i + j] =
                    quantisedDot(raw[j], centreScale_[firstGroup + i + j], quantisedQueries_[q]);
        }
    }
}

/// centreValues' 8-bit estimates by the dense kernel (packed_query_dots.h): four needed queries
/// at a time against every packed centre of the top, a vpdpbusd adding four dimensions to
/// sixteen centres' sums (about a quarter of the cost per pair of rawDotsU8S8x4, and the same
/// integers, so the same values: see packCentres).
void DistanceSampler::centreValuesPacked(int t, const std::vector<int>& needed, float* out) const {
    const PackedQueries& packed = packedCentres_[size_t(t)];
    const int firstGroup = topGroupStart_[t], groups = packed.count, lanes = packed.lanes();
    thread_local std::vector<int32_t> sums;
    sums.resize(size_t(4) * lanes);
    for (size_t k = 0; k < needed.size(); k += 4) {
        const int count = static_cast<int>(std::min<size_t>(4, needed.size() - k));
        const uint8_t* tile[4];
        for (int j = 0; j < 4; ++j)
            tile[j] = &offsetQueries_[size_t(needed[k + size_t(std::min(j, count - 1))]) * dims_];
        packedQueryDots(tile, packed, sums.data());
        for (int j = 0; j < count; ++j) {
            const QuantisedQuery& query = quantisedQueries_[needed[k + size_t(j)]];
            float* values = out + (k + size_t(j)) * groups;
            for (int i = 0; i < groups; ++i)
                values[i] = quantisedDot(sums[size_t(j) * lanes + i], centreScale_[firstGroup + i],
                                         query.scale, centreOffset_[firstGroup + i]);
        }
    }
}

/// The dots with a group centre that its bounds admit: angle in [lower - slack, upper + slack].
std::pair<float, float> DistanceSampler::dotRange(const Bounds& bounds) const {
    const float upper = bounds.upper + slack_, lower = bounds.lower - slack_;
    const float minDot = upper >= float(M_PI) ? -kInfinity : std::cos(upper);
    const float maxDot = lower <= 0.0f ? kInfinity : std::cos(lower);
    // cos in float is accurate to ~1 ulp; widen by a hair so a boundary case is kept.
    return {minDot - 1e-6f, maxDot + 1e-6f};
}

} // namespace freesel::sampling_detail
