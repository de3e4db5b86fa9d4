// SPDX-License-Identifier: GPL-3.0-or-later
// The sampling loop of exact pruned D^2 sampling: each step plans which groups the new image's
// patterns may affect (bounds), evaluates only those, and applies the lowered distances.
#include "selection/distance_sampling.h"

#include "selection/distance_kernels.h"
#include "selection/distance_sampler.h"
#include "selection/group_projections.h"
#include "selection/pattern_groups.h"
#include "util/target_clones.h"

#include <QElapsedTimer>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

namespace freesel {

namespace sampling_detail {

/// The radius in bound units that D corresponds to: the angle acos(1 - D) for cosine.
float DistanceSampler::boundRadius(float d) const {
    if (options_.metric == DistanceMetric::Euclidean || std::isinf(d))
        return d;
    return std::acos(std::clamp(1.0f - d, -1.0f, 1.0f));
}

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
    centreValues(firstGroup, groups, queries, needed, toGroups.data());
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

/// out[k * groups + i]: query needed[k] against group firstGroup + i. The float dot (cosine) or
/// distance (Euclidean); with the prefilter, the 8-bit estimate of the dot (the centres are
/// quantised like the rows: a quarter of the bytes, so the centres stay in cache).
void DistanceSampler::centreValues(int firstGroup, int groups, const std::vector<float>& queries,
                                   const std::vector<int>& needed, float* out) const {
    if (groups == 0) // a top with no groups (a pool of identical images): nothing to index
        return;
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

/// The dots with a group centre that its bounds admit: angle in [lower - slack, upper + slack].
std::pair<float, float> DistanceSampler::dotRange(const Bounds& bounds) const {
    const float upper = bounds.upper + slack_, lower = bounds.lower - slack_;
    const float minDot = upper >= float(M_PI) ? -kInfinity : std::cos(upper);
    const float maxDot = lower <= 0.0f ? kInfinity : std::cos(lower);
    // cos in float is accurate to ~1 ulp; widen by a hair so a boundary case is kept.
    return {minDot - 1e-6f, maxDot + 1e-6f};
}

/// Projects the item's queries that pass the angle bound for at least kProjectionRows rows of
/// its group onto the group's directions (group_projections.h): their coordinates go to
/// `projected` (kProjectionWidth per check) and the bound on what is left to `left`; a check
/// not worth projecting (it would cost more full-width dots than it can save) gets left < 0.
void DistanceSampler::projectQueries(const WorkItem& item, const float* queries,
                                     std::vector<float>& projected,
                                     std::vector<float>& left) const {
    const auto* checks = &workQueries_[item.firstQuery];
    projected.resize(size_t(item.queryCount) * kProjectionWidth);
    left.assign(item.queryCount, -1.0f);
    const float* directions = &directions_[size_t(item.group) * kProjectionWidth * dims_];
    for (int k = 0; k < item.queryCount; ++k) {
        int64_t passing = 0;
        for (int64_t p = groupStart_[item.group]; p < groupStart_[item.group + 1]; ++p)
            passing += active_[p] && std::abs(checks[k].toGroup - alpha_[p]) <= beta_[p] + slack_;
        if (passing >= kProjectionRows)
            left[k] =
                projectUnit(queries + size_t(checks[k].query) * dims_, directions, kProjectionWidth,
                            dims_, &projected[size_t(k) * kProjectionWidth]);
    }
}

// The 8-bit rows this far ahead in a group are asked for before the bounds decide on them:
// the prefilter's dots waited on rows from L3 or memory (perf: the loads of rawDotsVnni), and
// about half of a group's rows pass. 4 ahead: evaluate 1.37 -> 1.21 s in select_voc (8 and 16
// gained less).
constexpr int64_t kPrefetchRows = 4;

/// Lowers D for the rows of one group that a query comes closer to; returns the number of
/// distances computed. Reads shared state, writes only `changed`, so items run in parallel.
int64_t DistanceSampler::evaluate(const WorkItem& item, const float* queries,
                                  std::vector<std::pair<int64_t, float>>& changed) const {
    int64_t evaluations = 0;
    const auto* checks = &workQueries_[item.firstQuery];
    const bool cosine = options_.metric == DistanceMetric::Cosine;
    const bool prefilter = prefilter_;
    // Rows on file: the exact rows of the waiting pairs, read back into these slots.
    std::vector<float> scratch(rowsOnFile_ ? size_t(ExactQueue::kDepth + 1) * dims_ : 0);
    float* euclideanScratch = rowsOnFile_ ? &scratch[size_t(ExactQueue::kDepth) * dims_] : nullptr;
    ExactQueue exact;
    int64_t rowsRead = 0; // a row read back goes to slot rowsRead % kDepth: FIFO, never live
    // Pairs are computed in fours, so a pair's bits never depend on its neighbours. A pair may
    // yield a new D for its row more than once per step: applyChanges keeps the min.
    const auto computeOldest = [&](int count) {
        float dots[4];
        const float* left[4];
        const float* right[4];
        for (int k = 0; k < 4; ++k) {
            left[k] = exact.left[k < count ? k : 0];
            right[k] = exact.right[k < count ? k : 0];
        }
        dotProducts4(left, right, dims_, dots);
        for (int k = 0; k < count; ++k) {
            const float d = std::max(0.0f, 1.0f - dots[k]);
            const int64_t p = exact.owner[k];
            if (!(d < d_[p]))
                continue;
            // A row's pairs come one after another: keep one entry per row (the first step
            // lowers every row, and one entry per query held 400 MB at 1M images x 5).
            if (!changed.empty() && changed.back().first == p)
                changed.back().second = std::min(changed.back().second, d);
            else
                changed.emplace_back(p, d);
        }
        exact.dropOldest(count);
    };
    const auto addExact = [&](int64_t p, const float* query) {
        const float* row = nullptr;
        if (exact.count > 0 && exact.owner[exact.count - 1] == p) {
            row = exact.left[exact.count - 1]; // the same row with another query: read once
        } else if (rowsOnFile_) {
            row = exactRow(p, &scratch[size_t(rowsRead++ % ExactQueue::kDepth) * dims_]);
        } else {
            row = exactRow(p, nullptr);
            prefetchRow(row, dims_);
        }
        exact.add(row, query, p);
        if (exact.count == ExactQueue::kDepth)
            computeOldest(4);
    };
    const auto flushExact = [&] {
        while (exact.count > 0)
            computeOldest(std::min(exact.count, 4));
    };
    RoughPairs rough;
    auto flushRough = [&] {
        int32_t raw[4];
        rawDotsU8S8x4(rough.padded().left, rough.compactRight, dims_, raw);
        for (int k = 0; k < rough.count; ++k) {
            const int64_t p = rough.owner[k];
            const int q = rough.query[k];
            const float dot = quantisedDot(raw[k], compactScale_[p], quantisedQueries_[q]);
            const float margin = compactMargin_[p] + compactNorm_[p] * queryMargin_[q];
            if (1.0f - dot - margin >= d_[p])
                continue; // even the most favourable rounding cannot lower D
            addExact(p, rough.right[k]);
        }
        rough.count = 0;
    };
    // Projection bounds: check k's coordinates and left-over bound (left[k] < 0: not projected).
    thread_local std::vector<float> projected, left;
    const int64_t start = groupStart_[item.group];
    const std::vector<int64_t>& loose = loose_[item.group];
    const int64_t visits =
        item.looseOnly ? int64_t(loose.size()) : groupStart_[item.group + 1] - start;
    const bool screen = projections_ && !item.looseOnly && visits >= kProjectionRows;
    if (screen)
        projectQueries(item, queries, projected, left);
    for (int64_t i = 0; i < visits; ++i) {
        const int64_t p = item.looseOnly ? loose[size_t(i)] : start + i;
        if (prefilter && !item.looseOnly && i + kPrefetchRows < visits)
            prefetchRow(&compact_[size_t(p + kPrefetchRows) * dims_], dims_);
        if (!active_[p])
            continue;
        float euclideanBest = d_[p];
        const float* euclideanRow = nullptr; // read once per row, at its first query
        for (int k = 0; k < item.queryCount; ++k) {
            const auto [q, toGroup] = checks[k];
            if (options_.pruning && std::abs(toGroup - alpha_[p]) > beta_[p] + slack_)
                continue;
            if (screen && left[k] >= 0.0f &&
                1.0f - projectedBound(&projected[size_t(k) * kProjectionWidth], left[k], p) >=
                    d_[p])
                continue;
            ++evaluations;
            const float* query = queries + size_t(q) * dims_;
            if (!cosine) {
                if (!euclideanRow)
                    euclideanRow = exactRow(p, euclideanScratch);
                euclideanBest =
                    std::min(euclideanBest, std::sqrt(squaredDistance(query, euclideanRow, dims_)));
            } else if (prefilter) {
                rough.add(&compact_[size_t(p) * dims_], query, &compactQueries_[size_t(q) * dims_],
                          q, p);
                if (rough.count == 4)
                    flushRough();
            } else {
                addExact(p, query);
            }
        }
        if (!cosine && euclideanBest < d_[p])
            changed.emplace_back(p, euclideanBest);
    }
    if (rough.count > 0)
        flushRough();
    flushExact();
    return evaluations;
}

/// The owner's side of a pick: the image's rows stop being candidates, and become the queries.
void DistanceSampler::deactivate(int localImage, std::vector<float>& queries) {
    unselected_.set(localImage, 0);
    const int queryCount = pool_.patternCountOf(localImage);
    queries.resize(static_cast<size_t>(queryCount) * dims_);
    for (int q = 0; q < queryCount; ++q) {
        const int64_t position = positionOfRow_[pool_.firstPatternOf(localImage) + q];
        float* query = queries.data() + size_t(q) * dims_;
        const float* row = exactRow(position, query);
        if (row != query)
            std::copy_n(row, dims_, query);
        if (!std::isinf(d_[position]))
            distanceSum_ -= distanceScale_.quantise(d_[position]);
        active_[position] = 0;
        --activeRows_;
        d_[position] = 0.0f;
        beta_[position] = 0.0f;
        refreshLeaf(position);
        // keep the per-group active counts for planning
        --activeInGroup_[std::upper_bound(groupStart_.begin(), groupStart_.end(), position) -
                         groupStart_.begin() - 1];
    }
}

/// Every share's side of a pick: D of its rows drops to the new queries where they are nearer.
void DistanceSampler::lowerDistances(const std::vector<float>& queries, int queryCount) {
    if (queryCount == 0)
        return;
    if (prefilter_)
        compactQueries(queries, queryCount);
    QElapsedTimer timer;
    timer.start();
    planWork(queries, queryCount);
    stats_.planSeconds += timer.nsecsElapsed() * 1e-9;
    timer.restart();
    int64_t checks = 0;
    for (const WorkItem& item : work_)
        checks +=
            (item.looseOnly ? int64_t(loose_[item.group].size()) : activeInGroup_[item.group]) *
            item.queryCount;
    std::atomic<int64_t> evaluations{0};
    const auto evaluateItems = [&](int64_t begin, int64_t end) {
        int64_t count = 0;
        for (int64_t i = begin; i < end; ++i) {
            const WorkItem& item = work_[size_t(i)];
            changed_[item.group].clear();
            count += evaluate(item, queries.data(), changed_[item.group]);
        }
        evaluations.fetch_add(count, std::memory_order_relaxed);
    };
    if (checks > kParallelWork)
        team_->forEach(int64_t(work_.size()), 1, evaluateItems);
    else
        evaluateItems(0, int64_t(work_.size()));
    if (!firstAbsorb_) {
        stats_.distanceEvaluations += evaluations;
        stats_.rowChecks += checks;
    }
    firstAbsorb_ = false;
    stats_.evaluateSeconds += timer.nsecsElapsed() * 1e-9;
    timer.restart();
    applyChanges();
    stats_.applySeconds += timer.nsecsElapsed() * 1e-9;
}

/// Applies the step's new D values in plan order on one thread (the trees see the same
/// updates whatever the thread count) and tightens the bounds of the groups they touched.
void DistanceSampler::applyChanges() {
    std::vector<uint8_t> topTouched(topCount_, 0);
    int top = 0;
    for (const WorkItem& item : work_) {
        const int g = item.group;
        if (changed_[g].empty())
            continue;
        stats_.loweredDistances += static_cast<int64_t>(changed_[g].size());
        for (const auto& [position, d] : changed_[g]) {
            if (!(d < d_[position]))
                continue; // a second query of this step came closer first
            if (!std::isinf(d_[position]))
                distanceSum_ -= distanceScale_.quantise(d_[position]);
            distanceSum_ += distanceScale_.quantise(d);
            d_[position] = d;
            beta_[position] = boundRadius(d);
            refreshLeaf(position);
        }
        if (changed_[g].capacity() > 4096) // a big step's list: give the memory back
            std::vector<std::pair<int64_t, float>>().swap(changed_[g]);
        else
            changed_[g].clear();
        refreshGroupBounds(g);
        while (topGroupStart_[top + 1] <= g) // work items come in group order
            ++top;
        topTouched[top] = 1;
    }
    for (int t = 0; t < topCount_; ++t) {
        if (!topTouched[t])
            continue;
        Bounds bounds = Bounds::empty();
        for (int g = topGroupStart_[t]; g < topGroupStart_[t + 1]; ++g) {
            bounds.upper = std::max(bounds.upper, groupTopBounds_[g].upper);
            bounds.lower = std::min(bounds.lower, groupTopBounds_[g].lower);
        }
        topBounds_[t] = bounds;
    }
}

/// A group's bounds over its active rows: all of them against the top centre; against the
/// group centre, separately for the loose rows (the largest alpha + beta, at most one in
/// kLooseShare) and for the rest, so that a few rows far out do not widen the group's bounds.
void DistanceSampler::refreshGroupBounds(int g) {
    thread_local std::vector<float> reach;
    reach.clear();
    for (int64_t p = groupStart_[g]; p < groupStart_[g + 1]; ++p)
        if (active_[p])
            reach.push_back(alpha_[p] + beta_[p]);
    // Rows reaching beyond the (looseCount + 1)-th largest reach are loose (ties stay core).
    const auto looseCount = static_cast<int64_t>(reach.size()) / kLooseShare;
    float limit = kInfinity;
    if (looseCount > 0) {
        std::nth_element(reach.begin(), reach.begin() + looseCount, reach.end(),
                         std::greater<float>());
        limit = reach[size_t(looseCount)];
    }
    Bounds core = Bounds::empty(), loose = Bounds::empty(), top = Bounds::empty();
    std::vector<int64_t>& looseRows = loose_[g];
    looseRows.clear();
    for (int64_t p = groupStart_[g]; p < groupStart_[g + 1]; ++p) {
        if (!active_[p])
            continue;
        if (alpha_[p] + beta_[p] > limit) {
            loose.include(alpha_[p], beta_[p]);
            looseRows.push_back(p);
        } else {
            core.include(alpha_[p], beta_[p]);
        }
        top.include(alphaTop_[p], beta_[p]);
    }
    groupBounds_[g] = core;
    groupDotRange_[g] = dotRange(core);
    looseBounds_[g] = loose;
    looseDotRange_[g] = looseRows.empty() ? std::pair{kInfinity, -kInfinity} : dotRange(loose);
    groupTopBounds_[g] = top;
}

void DistanceSampler::refreshLeaf(int64_t position) {
    const int64_t row = rowAtPosition_[position];
    const float d = active_[position] ? d_[position] : 0.0f;
    if (options_.rule == SamplingRule::DSquared)
        massTree_.set(row, massScale_.quantise(static_cast<double>(d) * d)); // exact square
    else if (options_.rule == SamplingRule::Farthest)
        farthestTree_.set(row, active_[position] ? d : -kInfinity);
}

} // namespace sampling_detail

SelectionResult distanceSampling(PatternPool pool, int64_t budget, uint64_t seed,
                                 const DistanceSamplingOptions& options,
                                 DistanceSamplingStats* stats) {
    if (budget < 0)
        throw std::invalid_argument("budget must be >= 0, got " + std::to_string(budget));
    if (options.rule == SamplingRule::Replay && static_cast<int64_t>(options.replayOrder.size()) <
                                                    std::min<int64_t>(budget, pool.imageCount()))
        throw std::invalid_argument("replay order is shorter than the budget");
    DistanceSamplingStats local;
    sampling_detail::DistanceSampler sampler(std::move(pool), options, stats ? *stats : local);
    return sampler.run(budget, seed);
}

} // namespace freesel
