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
    std::atomic<int64_t> evaluations{0}, denseEvaluations{0}, exactEvaluations{0};
    const auto evaluateItems = [&](int64_t begin, int64_t end) {
        int64_t count = 0, dense = 0, exact = 0;
        for (int64_t i = begin; i < end; ++i) {
            const WorkItem& item = work_[size_t(i)];
            changed_[item.group].rows.clear();
            changed_[item.group].lowered = 0;
            count += evaluate(item, queries.data(), changed_[item.group], dense, exact);
            settleGroup(item.group, changed_[item.group]);
        }
        evaluations.fetch_add(count, std::memory_order_relaxed);
        denseEvaluations.fetch_add(dense, std::memory_order_relaxed);
        exactEvaluations.fetch_add(exact, std::memory_order_relaxed);
    };
    if (checks > kParallelWork)
        team_->forEach(int64_t(work_.size()), 1, evaluateItems);
    else
        evaluateItems(0, int64_t(work_.size()));
    if (options_.rule == SamplingRule::DSquared)
        massTree_.refreshAboveSplit();
    if (!firstAbsorb_) {
        stats_.distanceEvaluations += evaluations;
        stats_.denseEvaluations += denseEvaluations;
        stats_.exactEvaluations += exactEvaluations;
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
// asked for this many updates ahead (settleGroup).
constexpr size_t kTreePrefetch = 8;

/// A group's share of applying a lowering, on the thread that evaluated it (the rows and bounds
/// of a group belong to its one work item, and evaluation reads no other group's): each lowered
/// row's new D, radius and D^2 leaf of the sum tree (up to the tree's split level, see
/// SumTree::setBelowSplit: at 1M x 5 rows the tree's updates on one thread took 11-15 s), and
/// the group's bounds tightened where a row that attained one of them got a lower D. Elsewhere the
/// bounds stay as they are: D only falls and rows only leave, so bounds once valid stay valid, and
/// a refresh could not change them (the split into loose and core rows is kept until the next
/// refresh). At 1M x 5 rows the refresh of every touched group was a quarter of the selection time;
/// on one thread, the refreshes were 6 s of it.
void DistanceSampler::settleGroup(int g, GroupChanges& changes) {
    bool tighter = false;
    const bool mass = options_.rule == SamplingRule::DSquared;
    const auto& rows = changes.rows;
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto [position, d] = rows[i];
        tighter = tighter || holdsBound(g, position);
        d_[position] = d;
        beta_[position] = boundRadius(d);
        if (!mass)
            continue; // the max tree is updated in applyChanges, in plan order
        if (i + kTreePrefetch < rows.size())
            massTree_.prefetchBelowSplit(rowAtPosition_[rows[i + kTreePrefetch].position]);
        const float leafD = active_[position] ? d : 0.0f; // as refreshLeaf
        massTree_.setBelowSplit(rowAtPosition_[position],
                                massScale_.quantise(static_cast<double>(leafD) * leafD));
    }
    changes.refreshed = tighter;
    if (tighter)
        refreshGroupBounds(g);
}

/// Applies the step's coverage changes, the new D values to the max tree (Farthest) in plan
/// order on one thread, and the refreshed groups' bounds to their tops. (The D^2 sum tree was
/// updated by the evaluating threads: settleGroup.)
void DistanceSampler::applyChanges() {
    thread_local std::vector<int64_t> ahead; // every change's position, in the order applied
    ahead.clear();
    if (options_.rule == SamplingRule::Farthest)
        for (const WorkItem& item : work_)
            for (const Lowering& change : changed_[item.group].rows)
                ahead.push_back(change.position);
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
        if (changes.rows.capacity() > 4096) // a big step's list: give the memory back
            std::vector<Lowering>().swap(changes.rows);
        else
            changes.rows.clear();
        if (!changes.refreshed)
            continue;
        ++stats_.boundRefreshes;
        topTouched[topOfGroup(g)] = 1;
    }
    for (int t = 0; t < topCount_; ++t)
        if (topTouched[t])
            refreshTopBounds(t);
    for (const int64_t position : ahead)
        refreshLeaf(position);
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
