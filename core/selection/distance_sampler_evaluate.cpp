// SPDX-License-Identifier: GPL-3.0-or-later
// Evaluation in exact pruned D^2 sampling: the rows of one planned group against the queries
// that may come closer to them (distance_sampler.h). Pairs are ruled out by the bounds, the
// group projections and the 8-bit copy, or (dense scan) by the 8-bit dots of each row with all
// queries at once; the pairs left are computed exactly and lower D.
#include "selection/distance_kernels.h"
#include "selection/distance_sampler.h"
#include "selection/group_projections.h"
#include "util/target_clones.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace freesel::sampling_detail {

/// A work item's exact (row, query) pairs: a pair's float row is prefetched (or read from the
/// file) when it joins, the oldest four are computed once ExactQueue::kDepth wait, and the
/// distances below a row's D become the item's GroupChanges. A row's pairs come one after
/// another: its lowerings are gathered per pick until the next row starts, then its D after
/// each pick is the running minimum in pick order, each pick is charged its drop, and one
/// entry holds the new D.
class ExactPairs {
public:
    ExactPairs(const DistanceSampler& sampler, const float* queries, GroupChanges& changed)
        : s_(sampler), queries_(queries), changed_(changed),
          scratch_(sampler.rowsOnFile_ ? size_t(ExactQueue::kDepth) * sampler.dims_ : 0) {
        rowPicks_.clear();
        changed_.pickDelta.assign(size_t(s_.pending_.picks()), 0);
    }

    void add(int64_t position, int query) {
        const float* row = nullptr;
        if (queue_.count > 0 && queue_.owner[queue_.count - 1] == position) {
            row = queue_.left[queue_.count - 1]; // the same row with another query: read once
        } else if (s_.rowsOnFile_) {             // slot rowsRead % kDepth: FIFO, never a live one
            row = s_.exactRow(position,
                              &scratch_[size_t(rowsRead_++ % ExactQueue::kDepth) * s_.dims_]);
        } else {
            row = s_.exactRow(position, nullptr);
            prefetchRow(row, s_.dims_);
        }
        queue_.add(row, queries_ + size_t(query) * s_.dims_, query, position);
        ++computed_;
        if (queue_.count == ExactQueue::kDepth)
            computeOldest(4);
    }

    /// A distance computed by the caller (Euclidean rows), in the same row order.
    void lowered(int64_t position, float d, int query) {
        if (!(d < s_.d_[position]))
            return;
        if (position != current_) {
            finishRow();
            current_ = position;
        }
        const int pick = s_.pending_.pickOfQuery[size_t(query)];
        if (!rowPicks_.empty() && rowPicks_.back().first == pick)
            rowPicks_.back().second = std::min(rowPicks_.back().second, d);
        else
            rowPicks_.emplace_back(pick, d);
    }

    int64_t computed() const { return computed_; }

    void finish() {
        while (queue_.count > 0)
            computeOldest(std::min(queue_.count, 4));
        finishRow();
    }

private:
    // Pairs are computed in fours, so a pair's bits never depend on its neighbours (catchUp
    // computes single pairs with the same kernel and must get the same bits).
    void computeOldest(int count) {
        float dots[4];
        const float* left[4];
        const float* right[4];
        for (int k = 0; k < 4; ++k) {
            left[k] = queue_.left[k < count ? k : 0];
            right[k] = queue_.right[k < count ? k : 0];
        }
        dotProducts4(left, right, s_.dims_, dots);
        for (int k = 0; k < count; ++k)
            lowered(queue_.owner[k], std::max(0.0f, 1.0f - dots[k]), queue_.query[k]);
        queue_.dropOldest(count);
    }

    void finishRow() {
        if (current_ < 0)
            return;
        if (rowPicks_.size() > 1)
            std::sort(rowPicks_.begin(), rowPicks_.end());
        float d = s_.d_[current_];
        for (const auto& [pick, candidate] : rowPicks_) {
            if (!(candidate < d))
                continue; // an earlier pick of the batch came closer
            changed_.pickDelta[size_t(pick)] += s_.coverageChange(d, candidate);
            d = candidate;
            ++changed_.lowered;
        }
        changed_.rows.push_back({current_, d});
        rowPicks_.clear();
    }

    const DistanceSampler& s_;
    const float* queries_;
    GroupChanges& changed_;
    std::vector<float> scratch_; // rows on file: the waiting pairs' rows, read back
    ExactQueue queue_;
    int64_t rowsRead_ = 0;
    int64_t current_ = -1;
    int64_t computed_ = 0;
    static thread_local std::vector<std::pair<int, float>> rowPicks_; // (pick, d) of current_
};

thread_local std::vector<std::pair<int, float>> ExactPairs::rowPicks_;

/// Lowers D for the rows of one group that a query comes closer to; returns the number of
/// distances computed (full-width dots, 8-bit or float). Reads shared state, writes only
/// `changed`, so items run in parallel. `dense` counts those of the dense scan, `exact` the
/// float dots (a pair's distance to a row already in hand included).
int64_t DistanceSampler::evaluate(const WorkItem& item, const float* queries, GroupChanges& changed,
                                  int64_t& dense, int64_t& exact) const {
    ExactPairs pairs(*this, queries, changed);
    int64_t evaluations = 0;
    // Auto: dense where the item holds at least half the step's queries (the early steps, when
    // most rows are far from every pick). Smaller items went pair by pair faster: packing an
    // item's own queries and computing every reached row against a whole 16-lane block
    // measured slower at 200k and 1M images (evaluation 132 -> 143 s at 1M).
    const bool everywhere = options_.denseScan == DenseScan::Always;
    if (denseScan_ && (everywhere || 2 * item.queryCount >= packedQueries_.count)) {
        evaluations = scanDense(item, queries, pairs);
        dense += evaluations;
    } else {
        evaluations = scanPairs(item, queries, pairs);
    }
    pairs.finish();
    exact += pairs.computed();
    return evaluations;
}

namespace {
/// reach[i] = 1 where row i is active and the query, at angle toGroup to the group's centre,
/// may come within its D by the angle bound (|toGroup - alpha| <= beta + slack); any[i] |=
/// reach[i]. One pass over a group's contiguous rows per query, in vector registers: testing
/// pair by pair inside the row loop cost a branch per pair (a quarter of the evaluation at 1M).
FREESEL_CLONES void markReach(const float* alpha, const float* beta, const uint8_t* active,
                              int64_t rows, float toGroup, float slack, uint8_t* reach,
                              uint8_t* any) {
#pragma omp simd
    for (int64_t i = 0; i < rows; ++i) {
        const bool inReach = std::abs(toGroup - alpha[i]) <= beta[i] + slack;
        reach[i] = active[i] & uint8_t(inReach);
        any[i] |= reach[i];
    }
}

FREESEL_CLONES int64_t countReach(const uint8_t* reach, int64_t rows) {
    int64_t count = 0;
#pragma omp simd reduction(+ : count)
    for (int64_t i = 0; i < rows; ++i)
        count += reach[i];
    return count;
}
} // namespace

ItemRows DistanceSampler::rowsOf(const WorkItem& item) const {
    const int64_t start = groupStart_[item.group];
    if (item.looseOnly)
        return {start, &loose_[item.group], int64_t(loose_[item.group].size())};
    return {start, nullptr, groupStart_[item.group + 1] - start};
}

/// The rows of the item that each of its queries may reach: reach[k * visits + i] for the
/// item's k-th query and its i-th visited row (every active row without pruning), and any[i]
/// for at least one query.
void DistanceSampler::markItemReach(const WorkItem& item, std::vector<uint8_t>& reach,
                                    std::vector<uint8_t>& any) const {
    const auto* checks = &workQueries_[item.firstQuery];
    const ItemRows rows = rowsOf(item);
    const int64_t start = rows.start, visits = rows.count;
    reach.resize(size_t(item.queryCount) * visits);
    any.assign(visits, 0);
    thread_local std::vector<float> alpha, beta;
    thread_local std::vector<uint8_t> active;
    const float* alphaOf = &alpha_[start];
    const float* betaOf = &beta_[start];
    const uint8_t* activeOf = &active_[start];
    if (item.looseOnly) { // a few rows anywhere in the group: gathered first
        alpha.resize(visits);
        beta.resize(visits);
        active.resize(visits);
        for (int64_t i = 0; i < visits; ++i) {
            alpha[i] = alpha_[rows.position(i)];
            beta[i] = beta_[rows.position(i)];
            active[i] = active_[rows.position(i)];
        }
        alphaOf = alpha.data();
        betaOf = beta.data();
        activeOf = active.data();
    }
    const bool prune = options_.pruning;
    for (int k = 0; k < item.queryCount; ++k) // without pruning every active row: beta + inf
        markReach(alphaOf, betaOf, activeOf, visits, checks[k].toGroup, prune ? slack_ : kInfinity,
                  &reach[size_t(k) * visits], any.data());
}

/// Projects the item's queries that pass the angle bound for at least kProjectionRows rows of
/// its group onto the group's directions (group_projections.h): their coordinates go to
/// `projected` (kProjectionWidth per check) and the bound on what is left to `left`; a check
/// not worth projecting (it would cost more full-width dots than it can save) gets left < 0.
void DistanceSampler::projectQueries(const WorkItem& item, const float* queries,
                                     const std::vector<uint8_t>& reach,
                                     std::vector<float>& projected,
                                     std::vector<float>& left) const {
    const auto* checks = &workQueries_[item.firstQuery];
    const int64_t visits = groupStart_[item.group + 1] - groupStart_[item.group];
    projected.resize(size_t(item.queryCount) * kProjectionWidth);
    left.assign(item.queryCount, -1.0f);
    // The queries worth projecting, side by side: projected together in 4 x 4 tiles, the
    // group's directions (24 KB, seldom in cache) are read once per four queries.
    thread_local std::vector<int> chosen;
    thread_local std::vector<float> gathered, coordinates, leftOvers;
    chosen.clear();
    for (int k = 0; k < item.queryCount; ++k)
        if (countReach(&reach[size_t(k) * visits], visits) >= kProjectionRows)
            chosen.push_back(k);
    if (chosen.empty())
        return;
    const auto count = static_cast<int>(chosen.size());
    gathered.resize(size_t(count) * dims_);
    for (int j = 0; j < count; ++j)
        std::copy_n(queries + size_t(checks[chosen[j]].query) * dims_, dims_,
                    &gathered[size_t(j) * dims_]);
    coordinates.resize(size_t(count) * kProjectionWidth);
    leftOvers.resize(count);
    projectUnitRows(gathered.data(), count,
                    &directions_[size_t(item.group) * kProjectionWidth * dims_], kProjectionWidth,
                    dims_, coordinates.data(), leftOvers.data());
    for (int j = 0; j < count; ++j) {
        left[chosen[j]] = leftOvers[j];
        std::copy_n(&coordinates[size_t(j) * kProjectionWidth], kProjectionWidth,
                    &projected[size_t(chosen[j]) * kProjectionWidth]);
    }
}

namespace {
/// reach[i] = 0 where the projection bound rules row i out: 1 - ((Uq).(Ur_i) + left |r_perp,i|
/// + kProjectionSlack) >= d[i] (the slack covers every rounding of the coordinates and of the
/// exact float dot, in any order of summation). coordinates: [direction][row].
FREESEL_CLONES void screenRows(const float* coordinates, const float* residual, const float* d,
                               int64_t rows, const float* projected, float left, uint8_t* reach) {
#pragma omp simd
    for (int64_t i = 0; i < rows; ++i) {
        float sum = 0.0f;
        for (int k = 0; k < kProjectionWidth; ++k)
            sum += projected[k] * coordinates[k * rows + i];
        const float bound = sum + left * residual[i] + kProjectionSlack;
        reach[i] &= uint8_t(1.0f - bound < d[i]);
    }
}
} // namespace

/// Rules out, for each projected query of the item (left >= 0), the rows its projection bound
/// excludes, for all rows of the group in one vector loop (pair by pair inside the row loop
/// it cost a 16-wide dot with a horizontal sum per pair); `any` follows.
void DistanceSampler::screenByProjections(const WorkItem& item, const std::vector<float>& projected,
                                          const std::vector<float>& left,
                                          std::vector<uint8_t>& reach,
                                          std::vector<uint8_t>& any) const {
    const int64_t start = groupStart_[item.group];
    const auto rows = static_cast<int64_t>(any.size());
    const float* coordinates = &coordinates_[size_t(start) * kProjectionWidth];
    bool screened = false;
    for (int k = 0; k < item.queryCount; ++k)
        if (left[k] >= 0.0f) {
            screenRows(coordinates, &residual_[start], &d_[start], rows,
                       &projected[size_t(k) * kProjectionWidth], left[k], &reach[size_t(k) * rows]);
            screened = true;
        }
    if (!screened)
        return;
    std::fill(any.begin(), any.end(), uint8_t(0));
    for (int k = 0; k < item.queryCount; ++k)
        for (int64_t i = 0; i < rows; ++i)
            any[size_t(i)] |= reach[size_t(k) * rows + i];
}

// The 8-bit rows this far ahead in a group are asked for before the bounds decide on them:
// the prefilter's dots waited on rows from L3 or memory (perf: the loads of rawDotsVnni), and
// about half of a group's rows pass. 4 ahead: evaluate 1.37 -> 1.21 s in select_voc (8 and 16
// gained less).
constexpr int64_t kPrefetchRows = 4;

namespace {
/// The indices i < count with flags[i] set, in order, into `kept`; returns their number. Each i
/// is written and kept by stepping past it, with no branch per element: about half the rows of
/// a group are kept, and the mispredicted branch was a fifth of scanPairs' own time at 1M.
template <typename Index> Index keptIndices(const uint8_t* flags, Index count, Index* kept) {
    Index n = 0;
    for (Index i = 0; i < count; ++i) {
        kept[n] = i;
        n += flags[i] != 0;
    }
    return n;
}
} // namespace

/// Pair by pair: each (row, query) pair the angle bound admits (markItemReach) passes the
/// projection screen and the 8-bit prefilter (four pairs at a time) before it is computed
/// exactly.
int64_t DistanceSampler::scanPairs(const WorkItem& item, const float* queries,
                                   ExactPairs& exact) const {
    int64_t evaluations = 0;
    const auto* checks = &workQueries_[item.firstQuery];
    const bool cosine = options_.metric == DistanceMetric::Cosine;
    const bool prefilter = prefilter_;
    std::vector<float> euclideanScratch(rowsOnFile_ ? dims_ : 0);
    RoughPairs rough;
    auto flushRough = [&] {
        int32_t raw[4];
        rawDotsU8S8x4(rough.padded().left, rough.compactRight, dims_, raw);
        for (int k = 0; k < rough.count; ++k) {
            const int64_t p = rough.owner[k];
            const int q = rough.query[k];
            const float dot = quantisedDot(raw[k], compactScale_[p], quantisedQueries_[q]);
            if (mayLowerD(dot, compactMargin_[p], compactNorm_[p], queryMargin_[q], d_[p]) &&
                mayLowerOnCodes(p, rough.right[k]))
                exact.add(p, q);
        }
        rough.count = 0;
    };
    thread_local std::vector<uint8_t> reach, any;
    markItemReach(item, reach, any);
    // Projection bounds: check k's coordinates and left-over bound (left[k] < 0: not projected).
    thread_local std::vector<float> projected, left;
    const ItemRows rows = rowsOf(item);
    const int64_t visits = rows.count;
    const bool screen = projections_ && !item.looseOnly && visits >= kProjectionRows;
    if (screen) {
        projectQueries(item, queries, reach, projected, left);
        screenByProjections(item, projected, left, reach, any);
    }
    // The rows some query still reaches, in order: their 8-bit rows are asked for
    // kPrefetchRows visits ahead. Left after the bounds they lie scattered over the group, so
    // prefetching by position (the next rows, reached or not) missed most of them.
    thread_local std::vector<int64_t> visited;
    visited.resize(visits);
    visited.resize(size_t(keptIndices(any.data(), visits, visited.data())));
    for (size_t v = 0; v < visited.size(); ++v) {
        const int64_t i = visited[v], p = rows.position(i);
        if (prefilter && v + kPrefetchRows < visited.size())
            prefetchRow(&compact_[size_t(rows.position(visited[v + kPrefetchRows])) * dims_],
                        dims_);
        const float* euclideanRow = nullptr; // read once per row, at its first query
        for (int k = 0; k < item.queryCount; ++k) {
            if (!reach[size_t(k) * visits + i])
                continue;
            const int q = checks[k].query;
            ++evaluations;
            const float* query = queries + size_t(q) * dims_;
            if (!cosine) {
                if (!euclideanRow)
                    euclideanRow = exactRow(p, euclideanScratch.data());
                exact.lowered(p, pairDistance(euclideanRow, query), q);
            } else if (prefilter) {
                rough.add(&compact_[size_t(p) * dims_], query, &compactQueries_[size_t(q) * dims_],
                          q, p);
                if (rough.count == 4)
                    flushRough();
            } else {
                exact.add(p, q);
            }
        }
    }
    if (rough.count > 0)
        flushRough();
    return evaluations;
}

/// The prefilter's second stage, for a pair the 8-bit dot lets through: the row's codes (still
/// in cache) against the exact float query, so only the row's rounding counts (compactMargin_
/// covers it and the float sums), about half the first stage's margin. Only the pairs left
/// read their float rows, the evaluation's largest memory traffic at 1M images.
bool DistanceSampler::mayLowerOnCodes(int64_t p, const float* query) const {
    const float dot = compactScale_[p] * restoredDot(&compact_[size_t(p) * dims_], query, dims_);
    return mayLowerD(dot, compactMargin_[p], compactNorm_[p], 0.0f, d_[p]);
}

namespace {
/// pass[k] = mayLowerD for the 8-bit dot of a row with query k (flushRough's test, lane by
/// lane).
FREESEL_CLONES void passingLanes(const int32_t* sums, int count, float rowScale, float rowMargin,
                                 float rowNorm, float d, const float* scale, const int32_t* offset,
                                 const float* margin, uint8_t* pass) {
#pragma omp simd
    for (int k = 0; k < count; ++k) {
        const float dot = quantisedDot(sums[k], rowScale, scale[k], offset[k]);
        pass[k] = mayLowerD(dot, rowMargin, rowNorm, margin[k], d);
    }
}
} // namespace

/// Row by row: the 8-bit dots of four rows with all of the step's queries at once
/// (packed_query_dots.h, packed once per step); the lanes of queries not in the item get a
/// margin of -inf, so they never pass. The rows no query of the item can reach by the angle
/// bounds are left out first.
int64_t DistanceSampler::scanDense(const WorkItem& item, const float* queries,
                                   ExactPairs& exact) const {
    const auto* checks = &workQueries_[item.firstQuery];
    const int count = packedQueries_.count, lanes = packedQueries_.lanes();
    thread_local std::vector<float> margin;
    thread_local std::vector<int32_t> sums;
    thread_local std::vector<uint8_t> pass;
    thread_local std::vector<int> passed;
    margin.assign(count, -kInfinity);
    pass.resize(count);
    passed.resize(count);
    sums.resize(size_t(4) * lanes);
    float nearest = kInfinity, farthest = -kInfinity; // the queries' angles to the centre
    for (int k = 0; k < item.queryCount; ++k) {
        margin[checks[k].query] = queryMargin_[checks[k].query];
        nearest = std::min(nearest, checks[k].toGroup);
        farthest = std::max(farthest, checks[k].toGroup);
    }
    int64_t tile[4];
    int filled = 0;
    int64_t evaluations = 0;
    const auto computeTile = [&] {
        const uint8_t* tileRows[4];
        for (int r = 0; r < 4; ++r)
            tileRows[r] = &compact_[size_t(tile[r < filled ? r : 0]) * dims_];
        packedQueryDots(tileRows, packedQueries_, sums.data());
        for (int r = 0; r < filled; ++r) {
            const int64_t p = tile[r];
            passingLanes(&sums[size_t(r) * lanes], count, compactScale_[p], compactMargin_[p],
                         compactNorm_[p], d_[p], laneScale_.data(), laneOffset_.data(),
                         margin.data(), pass.data());
            const int passing = keptIndices(pass.data(), count, passed.data());
            for (int j = 0; j < passing; ++j) {
                const int q = passed[size_t(j)];
                if (mayLowerOnCodes(p, queries + size_t(q) * dims_))
                    exact.add(p, q);
            }
        }
        evaluations += int64_t(filled) * item.queryCount;
        filled = 0;
    };
    // The rows some query's angle to the centre may reach, first: their 8-bit rows are then
    // asked for kPrefetchRows ahead. Prefetching by position fetched every row of the group,
    // and in most dense items only about one row in eight is reached (at 1M images: 75 of
    // 610), so most of the traffic was rows never read.
    thread_local std::vector<int64_t> reached;
    const ItemRows rows = rowsOf(item);
    reached.resize(rows.count);
    int64_t reachedCount = 0; // kept by stepping past, as keptIndices
    const bool prune = options_.pruning;
    for (int64_t i = 0; i < rows.count; ++i) {
        const int64_t p = rows.position(i);
        const bool inReach = (alpha_[p] - beta_[p] - slack_ <= farthest) &
                             (alpha_[p] + beta_[p] + slack_ >= nearest);
        reached[size_t(reachedCount)] = p;
        reachedCount += (active_[p] != 0) & (inReach | !prune);
    }
    reached.resize(size_t(reachedCount));
    for (size_t v = 0; v < reached.size(); ++v) {
        if (v + kPrefetchRows < reached.size())
            prefetchRow(&compact_[size_t(reached[v + kPrefetchRows]) * dims_], dims_);
        tile[filled++] = reached[v];
        if (filled == 4)
            computeTile();
    }
    if (filled > 0)
        computeTile();
    return evaluations;
}

} // namespace freesel::sampling_detail
