// SPDX-License-Identifier: GPL-3.0-or-later
// The sampling loop of exact pruned D^2 sampling: each step plans which groups the new image's
// patterns may affect (bounds, distance_sampler_plan.cpp), evaluates only those, and applies
// the lowered distances.
#include "selection/distance_sampling.h"

#include "selection/distance_kernels.h"
#include "selection/distance_sampler.h"
#include "selection/group_projections.h"
#include "selection/pattern_groups.h"

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
                                  GroupChanges& changed) const {
    int64_t evaluations = 0;
    const auto* checks = &workQueries_[item.firstQuery];
    const bool cosine = options_.metric == DistanceMetric::Cosine;
    const bool prefilter = prefilter_;
    const std::vector<int>& pickOfQuery = pending_.pickOfQuery;
    // Rows on file: the exact rows of the waiting pairs, read back into these slots.
    std::vector<float> scratch(rowsOnFile_ ? size_t(ExactQueue::kDepth + 1) * dims_ : 0);
    float* euclideanScratch = rowsOnFile_ ? &scratch[size_t(ExactQueue::kDepth) * dims_] : nullptr;
    ExactQueue exact;
    int64_t rowsRead = 0; // a row read back goes to slot rowsRead % kDepth: FIFO, never live
    // A row's pairs come one after another (the queues keep their order): its lowerings are
    // gathered per pick until the next row starts, then its D after each pick is the running
    // minimum in pick order, each pick is charged its drop, and one entry holds the new D.
    thread_local std::vector<std::pair<int, float>> rowPicks; // (pick, d) of the current row
    rowPicks.clear();
    int64_t current = -1;
    changed.pickDelta.assign(size_t(pending_.picks()), 0);
    const auto finishRow = [&] {
        if (current < 0)
            return;
        if (rowPicks.size() > 1)
            std::sort(rowPicks.begin(), rowPicks.end());
        float d = d_[current];
        for (const auto& [pick, candidate] : rowPicks) {
            if (!(candidate < d))
                continue; // an earlier pick of the batch came closer
            changed.pickDelta[size_t(pick)] += coverageChange(d, candidate);
            d = candidate;
            ++changed.lowered;
        }
        changed.rows.push_back({current, d});
        rowPicks.clear();
    };
    const auto lowered = [&](int64_t p, float d, int query) {
        if (!(d < d_[p]))
            return;
        if (p != current) {
            finishRow();
            current = p;
        }
        const int pick = pickOfQuery[size_t(query)];
        if (!rowPicks.empty() && rowPicks.back().first == pick)
            rowPicks.back().second = std::min(rowPicks.back().second, d);
        else
            rowPicks.emplace_back(pick, d);
    };
    // Pairs are computed in fours, so a pair's bits never depend on its neighbours (catchUp
    // computes single pairs with the same kernel and must get the same bits).
    const auto computeOldest = [&](int count) {
        float dots[4];
        const float* left[4];
        const float* right[4];
        for (int k = 0; k < 4; ++k) {
            left[k] = exact.left[k < count ? k : 0];
            right[k] = exact.right[k < count ? k : 0];
        }
        dotProducts4(left, right, dims_, dots);
        for (int k = 0; k < count; ++k)
            lowered(exact.owner[k], std::max(0.0f, 1.0f - dots[k]), exact.query[k]);
        exact.dropOldest(count);
    };
    const auto addExact = [&](int64_t p, int query) {
        const float* row = nullptr;
        if (exact.count > 0 && exact.owner[exact.count - 1] == p) {
            row = exact.left[exact.count - 1]; // the same row with another query: read once
        } else if (rowsOnFile_) {
            row = exactRow(p, &scratch[size_t(rowsRead++ % ExactQueue::kDepth) * dims_]);
        } else {
            row = exactRow(p, nullptr);
            prefetchRow(row, dims_);
        }
        exact.add(row, queries + size_t(query) * dims_, query, p);
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
            addExact(p, q);
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
                lowered(p, pairDistance(euclideanRow, query), q);
            } else if (prefilter) {
                rough.add(&compact_[size_t(p) * dims_], query, &compactQueries_[size_t(q) * dims_],
                          q, p);
                if (rough.count == 4)
                    flushRough();
            } else {
                addExact(p, q);
            }
        }
    }
    if (rough.count > 0)
        flushRough();
    flushExact();
    finishRow();
    return evaluations;
}

/// The owner's side of a pick: the image's rows stop being candidates, and become the queries.
/// Their D first catches up with the pending picks, so each pick is charged what it lowered.
void DistanceSampler::deactivate(int localImage, std::vector<float>& queries) {
    unselected_.set(localImage, 0);
    const int queryCount = pool_.patternCountOf(localImage);
    const int pick = pending_.picks(); // this pick's index in the batch
    queries.resize(static_cast<size_t>(queryCount) * dims_);
    for (int q = 0; q < queryCount; ++q) {
        const int64_t position = positionOfRow_[pool_.firstPatternOf(localImage) + q];
        float* query = queries.data() + size_t(q) * dims_;
        const float* row = exactRow(position, query);
        if (row != query)
            std::copy_n(row, dims_, query);
        catchUp(position, query); // the row is in hand: no second read from the file
        chargeDrop(pick, d_[position], 0.0f);
        const auto g =
            static_cast<int>(std::upper_bound(groupStart_.begin(), groupStart_.end(), position) -
                             groupStart_.begin() - 1);
        const bool heldBound = holdsBound(g, position);
        active_[position] = 0;
        --activeRows_;
        d_[position] = 0.0f;
        beta_[position] = 0.0f;
        refreshLeaf(position);
        --activeInGroup_[g]; // keep the per-group active counts for planning
        if (heldBound) {     // a row gone from the bounds' edge: tighten them without it
            refreshGroupBounds(g);
            refreshTopBounds(topOfGroup(g));
        }
    }
}

/// The distance of a row to a query with the kernel evaluate uses, to the same bits.
float DistanceSampler::pairDistance(const float* row, const float* query) const {
    if (options_.metric == DistanceMetric::Euclidean)
        return std::sqrt(squaredDistance(query, row, dims_));
    const float* left[4] = {row, row, row, row};
    const float* right[4] = {query, query, query, query};
    float dots[4];
    dotProducts4(left, right, dims_, dots);
    return std::max(0.0f, 1.0f - dots[0]);
}

/// Lowers D of one row (D as of the last lowering) to its exact value with the pending picks'
/// queries, in pick order, charging each drop to its pick. `row`: its exact row if the caller
/// holds it already, else null (it is read, from the file for rows on file).
void DistanceSampler::catchUp(int64_t position, const float* row) {
    if (pending_.queryCount() == 0)
        return;
    thread_local std::vector<float> scratch;
    if (!row) {
        scratch.resize(dims_);
        row = exactRow(position, scratch.data());
    }
    float d = d_[position];
    for (int q = 0; q < pending_.queryCount(); ++q) {
        const float candidate = pairDistance(row, &pending_.queries[size_t(q) * dims_]);
        if (candidate < d) {
            chargeDrop(pending_.pickOfQuery[size_t(q)], d, candidate);
            d = candidate;
        }
    }
    if (d == d_[position])
        return;
    d_[position] = d; // lower only: the bounds stay valid
    beta_[position] = boundRadius(d);
    refreshLeaf(position);
}

/// What a row's D going from `from` to `to` changes in the coverage sum (fixed point, wrapping):
/// an infinite D (no pick yet) is not in the sum.
uint64_t DistanceSampler::coverageChange(float from, float to) const {
    return (std::isinf(to) ? 0 : distanceScale_.quantise(to)) -
           (std::isinf(from) ? 0 : distanceScale_.quantise(from));
}

/// A row's D went from `from` to `to` through `pick` (of the batch): the coverage sums follow.
void DistanceSampler::chargeDrop(int pick, float from, float to) {
    const uint64_t change = coverageChange(from, to);
    distanceSum_ += change;
    if (size_t(pick) >= pickDelta_.size())
        pickDelta_.resize(size_t(pick) + 1, 0);
    pickDelta_[size_t(pick)] += change;
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
            changed_[item.group].rows.clear();
            changed_[item.group].lowered = 0;
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
        stats_.candidatePairs += int64_t(queryCount) * activeRows_; // what a naive step computes
    }
    firstAbsorb_ = false;
    stats_.evaluateSeconds += timer.nsecsElapsed() * 1e-9;
    timer.restart();
    applyChanges();
    stats_.applySeconds += timer.nsecsElapsed() * 1e-9;
}

/// Whether the row at `position` of group g attains one of the group's bounds with its current
/// D: its reach (alpha + beta) or inner edge (alpha - beta) against its own class (loose or
/// core), or against the top centre. Only then can a lower D of it tighten those bounds.
bool DistanceSampler::holdsBound(int g, int64_t position) const {
    const float beta = beta_[position];
    const Bounds& own = isLoose_[position] ? looseBounds_[g] : groupBounds_[g];
    const Bounds& top = groupTopBounds_[g];
    return alpha_[position] + beta >= own.upper || alpha_[position] - beta <= own.lower ||
           alphaTop_[position] + beta >= top.upper || alphaTop_[position] - beta <= top.lower;
}

// Lowered rows lie anywhere in the pool's row order, so each update of the sum tree missed the
// cache at every level (at 1M x 5 rows, 58M updates took 99 s of apply's time); its lines are
// asked for this many updates ahead.
constexpr size_t kTreePrefetch = 8;

/// Applies the step's new D values in plan order on one thread (the trees see the same
/// updates whatever the thread count) and tightens the bounds of the groups where a row that
/// attained a bound got a lower D. Elsewhere the bounds stay as they are: D only falls and rows
/// only leave, so bounds once valid stay valid, and a refresh could not change them (the split
/// into loose and core rows is kept until the next refresh). At 1M x 5 rows the refresh of every
/// touched group was a quarter of the selection time.
void DistanceSampler::applyChanges() {
    thread_local std::vector<int64_t> ahead; // every change's position, in the order applied
    ahead.clear();
    for (const WorkItem& item : work_)
        for (const Lowering& change : changed_[item.group].rows)
            ahead.push_back(change.position);
    size_t next = 0;
    std::vector<uint8_t> topTouched(topCount_, 0);
    pickDelta_.resize(size_t(pending_.picks()), 0);
    for (const WorkItem& item : work_) {
        const int g = item.group;
        GroupChanges& changes = changed_[g];
        for (size_t j = 0; j < changes.pickDelta.size(); ++j) {
            pickDelta_[j] += changes.pickDelta[j];
            distanceSum_ += changes.pickDelta[j];
        }
        if (changes.rows.empty())
            continue;
        stats_.loweredDistances += changes.lowered;
        bool tighter = false;
        for (const auto& [position, d] : changes.rows) {
            const size_t current = next++;
            if (current + kTreePrefetch < ahead.size())
                prefetchLeaf(ahead[current + kTreePrefetch]);
            tighter = tighter || holdsBound(g, position);
            d_[position] = d;
            beta_[position] = boundRadius(d);
            refreshLeaf(position);
        }
        if (changes.rows.capacity() > 4096) // a big step's list: give the memory back
            std::vector<Lowering>().swap(changes.rows);
        else
            changes.rows.clear();
        if (!tighter)
            continue;
        ++stats_.boundRefreshes;
        refreshGroupBounds(g);
        topTouched[topOfGroup(g)] = 1;
    }
    for (int t = 0; t < topCount_; ++t)
        if (topTouched[t])
            refreshTopBounds(t);
    if (ahead.size() > 65536) // the first step lowers every row: give that memory back
        std::vector<int64_t>().swap(ahead);
}

int DistanceSampler::topOfGroup(int g) const {
    return static_cast<int>(std::upper_bound(topGroupStart_.begin(), topGroupStart_.end(), g) -
                            topGroupStart_.begin() - 1);
}

/// A top's bounds: the hull of its groups' bounds against the top centre.
void DistanceSampler::refreshTopBounds(int t) {
    Bounds bounds = Bounds::empty();
    for (int g = topGroupStart_[t]; g < topGroupStart_[t + 1]; ++g) {
        bounds.upper = std::max(bounds.upper, groupTopBounds_[g].upper);
        bounds.lower = std::min(bounds.lower, groupTopBounds_[g].lower);
    }
    topBounds_[t] = bounds;
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
        isLoose_[p] = alpha_[p] + beta_[p] > limit;
        if (isLoose_[p]) {
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

void DistanceSampler::prefetchLeaf(int64_t position) const {
    const int64_t row = rowAtPosition_[position];
    if (options_.rule == SamplingRule::DSquared)
        massTree_.prefetch(row);
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
