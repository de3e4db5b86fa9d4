// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The machinery of exact pruned D^2 sampling (distance_sampling.h is the interface): the bounds
// that let whole groups of rows be skipped, and the sampler that keeps them. Internal to
// core/selection: distance_sampler_setup.cpp prepares the pool (normalised rows, groups in
// contiguous order, the 8-bit prefilter), distance_sampling.cpp runs the sampling loop
// (distance_sampler_plan.cpp plans which groups a new image may affect; it evaluates them and
// applies the lowered distances).

#include "selection/distance_sampling.h"
#include "selection/group_projections.h"
#include "selection/int8_kernels.h"
#include "selection/packed_query_dots.h"
#include "selection/pattern_groups.h"
#include "selection/sampling_tree.h"
#include "util/random_stream.h"
#include "util/work_team.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

namespace freesel::sampling_detail {

constexpr float kInfinity = std::numeric_limits<float>::infinity();
// Below this many (row, query) checks a step runs on one thread: waking the team costs more.
constexpr int64_t kParallelWork = 16384;
// At most one active row in this many of a group is loose (has bounds of its own).
constexpr int64_t kLooseShare = 8;
// Below this many rows that pass the angle bounds, a query is not projected onto a group's
// directions: the projection costs kProjectionWidth full-width dots, and the screen must save
// several times that to pay.
constexpr int64_t kProjectionRows = 48;
// Projection bounds only where groups hold at least this many rows on average (see
// buildGroups): smaller groups are scanned in full for less than the projections cost.
constexpr int64_t kProjectionGroupRows = 128;

/// Bounds on one set of rows against one centre: every active row r has
/// alpha_r - beta_r >= lower and alpha_r + beta_r <= upper, where alpha_r is the row's
/// distance to the centre and beta_r the radius of its current D. A query at distance t from
/// the centre can only come closer than beta_r to some row if lower - slack <= t <= upper + slack.
struct Bounds {
    float upper = kInfinity;
    float lower = -kInfinity;
    bool excludes(float toCentre, float slack) const {
        return toCentre - upper > slack || lower - toCentre > slack;
    }
    void include(float alpha, float beta) {
        upper = std::max(upper, alpha + beta);
        lower = std::min(lower, alpha - beta);
    }
    static Bounds empty() { return {-kInfinity, kInfinity}; }
};

/// The 8-bit prefilter's test of one pair: whether its rough dot, at the most favourable
/// rounding (the row's margin plus its norm times the query's margin), may still bring the row
/// nearer than its D. Pair by pair and lane by lane (the dense scan) test with this.
inline bool mayLowerD(float dot, float rowMargin, float rowNorm, float queryMargin, float d) {
    return 1.0f - dot - (rowMargin + rowNorm * queryMargin) < d;
}

/// Up to four (row, query) pairs waiting for the 8-bit four-wide kernel (rawDotsU8S8x4);
/// padded() repeats the first pair into the empty slots (their results are ignored).
struct RoughPairs {
    const uint8_t* left[4];        // the rows' 8-bit codes
    const float* right[4];         // the float queries, for the pairs that pass on to exact
    const int8_t* compactRight[4]; // the 8-bit queries
    int query[4];
    int64_t owner[4];
    int count = 0;
    void add(const uint8_t* row, const float* floatQuery, const int8_t* compactQuery,
             int queryIndex, int64_t position) {
        left[count] = row;
        right[count] = floatQuery;
        compactRight[count] = compactQuery;
        query[count] = queryIndex;
        owner[count++] = position;
    }
    RoughPairs& padded() {
        for (int k = count; k < 4; ++k) {
            left[k] = left[0];
            right[k] = right[0];
            compactRight[k] = compactRight[0];
        }
        return *this;
    }
};

/// Exact (row, query) pairs waiting for dotProducts4. A pair's float row is prefetched when it
/// joins and the oldest four are computed only once kDepth wait, so the memory latency of rows
/// scattered over the pool (the few pairs the prefilter lets through) overlaps with the work
/// in between instead of stalling each dot.
struct ExactQueue {
    static constexpr int kDepth = 8;
    const float* left[kDepth];
    const float* right[kDepth];
    int64_t owner[kDepth];
    int query[kDepth];
    int count = 0;
    void add(const float* row, const float* queryRow, int queryIndex, int64_t position) {
        left[count] = row;
        right[count] = queryRow;
        query[count] = queryIndex;
        owner[count++] = position;
    }
    void dropOldest(int n) {
        for (int k = n; k < count; ++k) {
            left[k - n] = left[k];
            right[k - n] = right[k];
            query[k - n] = query[k];
            owner[k - n] = owner[k];
        }
        count -= n;
    }
};

/// Asks for every cache line of a row ahead of its use (a hint: never faults).
template <typename T> inline void prefetchRow(const T* row, int dims) {
    const auto* bytes = reinterpret_cast<const char*>(row);
    for (size_t i = 0; i < size_t(dims) * sizeof(T); i += 64)
        __builtin_prefetch(bytes + i);
}

/// A query to check against the rows of one group, with its distance to the group's centre.
struct QueryCheck {
    int query;
    float toGroup;
};

/// A (group, query) pair planning has not ruled out yet, with the query's dot (cosine) or
/// distance (Euclidean) to the group's centre.
struct CentreCheck {
    int group;
    int query;
    float value;
};

/// One group that a query may affect, and which queries (with their distance to its centre).
struct WorkItem {
    int group;
    int firstQuery; // into the step's flat list of query checks
    int queryCount;
    bool looseOnly; // only the group's loose rows may come closer (see loose_)
};

/// The rows a work item visits: its group's rows in position order, or only its loose rows.
struct ItemRows {
    int64_t start = 0;                           // the group's first position
    const std::vector<int64_t>* loose = nullptr; // loose rows only: their positions
    int64_t count = 0;
    int64_t position(int64_t i) const { return loose ? (*loose)[size_t(i)] : start + i; }
};

/// One share's state before a draw, gathered from every share (SamplingPeers::allGather).
struct ShareSummary {
    uint64_t mass = 0;           // fixed-point sum of D^2 over active rows
    uint64_t distanceSum = 0;    // fixed-point sum of D over all rows (the coverage curve)
    uint64_t unselected = 0;     // images not selected yet
    float farthest = -kInfinity; // largest D of an active row
    static constexpr int kWords = 4;
};

/// The image a draw chose, as its owner share tells the others. A batched draw may be
/// rejected (accepted = 0): then only the owner's new mass counts.
struct ChosenImage {
    int64_t image = 0; // global index
    double score = 0.0;
    int64_t queryCount = 0;
    int64_t accepted = 1;
    uint64_t ownerMass = 0; // the owner's D^2 sum after the draw (deactivation, catching up)
};

/// A row's new D after a lowering.
struct Lowering {
    int64_t position;
    float d;
};

/// What one lowering changes in one group: the rows' new D, and what each pick of the batch
/// changed in the coverage sum (the curve charges every drop to the pick that made it).
struct GroupChanges {
    std::vector<Lowering> rows;
    std::vector<uint64_t> pickDelta; // fixed point, wrapping
    int64_t lowered = 0;             // (row, pick) drops: a pick that lowered a row's D
    bool refreshed = false;          // the group's bounds were refreshed (settleGroup)
};

/// Picks drawn but not yet lowered into D (options.drawBatch): their queries in pick order.
struct PendingPicks {
    std::vector<float> queries;
    std::vector<int> pickOfQuery;
    std::vector<uint8_t> counted; // per pick: a result pick (has a coverage entry), not a seed
    int rejections = 0;           // since the last lowering
    int picks() const { return int(counted.size()); }
    int queryCount() const { return int(pickOfQuery.size()); }
    void clear() {
        queries.clear();
        pickOfQuery.clear();
        counted.clear();
        rejections = 0;
    }
};

/// Reorders `width`-element rows in place so position p holds the row that was at
/// rowAtPosition[p], one row buffer at a time (cycle following): peak memory stays one copy.
template <typename T>
void permuteInPlace(T* data, int width, const std::vector<int64_t>& rowAtPosition) {
    const auto rows = static_cast<int64_t>(rowAtPosition.size());
    std::vector<uint8_t> done(rows, 0);
    std::vector<T> buffer(width);
    const auto rowOf = [&](int64_t i) { return data + i * width; };
    for (int64_t start = 0; start < rows; ++start) {
        if (done[start] || rowAtPosition[start] == start)
            continue;
        std::copy_n(rowOf(start), width, buffer.begin());
        int64_t position = start;
        while (true) {
            done[position] = 1;
            const int64_t source = rowAtPosition[position];
            if (source == start) {
                std::copy_n(buffer.begin(), width, rowOf(position));
                break;
            }
            std::copy_n(rowOf(source), width, rowOf(position));
            position = source;
        }
    }
}

class ExactPairs;

/// Rows are reordered so each bound group is contiguous (one streaming pass per group); the
/// trees and the random draws stay in the pool's original row order, so the order of the
/// draws, and hence the result, is independent of the grouping.
class DistanceSampler {
public:
    DistanceSampler(PatternPool pool, const DistanceSamplingOptions& options,
                    DistanceSamplingStats& stats);
    SelectionResult run(int64_t budget, uint64_t seed);

private:
    void checkFinite(const float* values, int64_t row) const;
    void validateRows() const;
    void normaliseRows();
    void buildGroups();
    void permuteRows(const std::vector<int64_t>& rowAtPosition);
    void measureAlpha();
    void buildCompactRows();
    void compactRow(const float* row, int64_t index);
    void permuteCompactRows();
    // Rows in a file (PatternPool::withRowsInFile, distance_sampler_file.cpp): only the
    // 8-bit copy is resident; exact rows are read back for the few pairs that need them.
    void prepareRowsOnFile();
    void measureAlphaOnFile(const std::vector<int>& groupOf);
    const float* exactRow(int64_t position, float* scratch) const;
    void reportMemory();
    void compactQueries(const std::vector<float>& queries, int queryCount);
    void buildProjections();
    void groupDirectionsOf(const GroupingRows& rows);
    ItemRows rowsOf(const WorkItem& item) const;
    void markItemReach(const WorkItem& item, std::vector<uint8_t>& reach,
                       std::vector<uint8_t>& any) const;
    void projectQueries(const WorkItem& item, const float* queries,
                        const std::vector<uint8_t>& reach, std::vector<float>& projected,
                        std::vector<float>& left) const;
    void screenByProjections(const WorkItem& item, const std::vector<float>& projected,
                             const std::vector<float>& left, std::vector<uint8_t>& reach,
                             std::vector<uint8_t>& any) const;
    void transposeCoordinates();
    float boundRadius(float d) const;
    void joinShares();
    bool settleDraw(int owner, int64_t localImage, int64_t localRow, double score, bool judge,
                    uint64_t acceptBits, bool counted, ChosenImage& chosen);
    bool judgeDraw(int64_t localRow, uint64_t acceptBits, double& score);
    void deactivate(int localImage, std::vector<float>& queries);
    float pairDistance(const float* row, const float* query) const;
    void catchUp(int64_t position, const float* row = nullptr);
    uint64_t coverageChange(float from, float to) const;
    void chargeDrop(int pick, float from, float to);
    void lowerPending();
    void lowerDistances(const std::vector<float>& queries, int queryCount);
    void gatherSummaries();
    int ownerOfImage(int64_t image) const;
    int ownerOf(uint64_t ShareSummary::*field, uint64_t& target) const;
    void planWork(const std::vector<float>& queries, int queryCount);
    void planTop(int top, const std::vector<float>& queries, int queryCount, const float* toTops);
    void centreValues(int top, const std::vector<float>& queries, const std::vector<int>& needed,
                      float* out) const;
    void centreValuesPacked(int top, const std::vector<int>& needed, float* out) const;
    void openPairs(int top, const std::vector<int>& needed, const float* toTops,
                   const float* toGroups, std::vector<CentreCheck>& open) const;
    void refineCentreDots(const std::vector<float>& queries, std::vector<CentreCheck>& open) const;
    void quantiseCentres();
    void packCentres();
    std::pair<float, float> quantisingBounds(const QuantisedRow& rounded) const;
    // Evaluation (distance_sampler_evaluate.cpp): one planned group against its queries.
    friend class ExactPairs;
    int64_t evaluate(const WorkItem& item, const float* queries, GroupChanges& changed,
                     int64_t& dense, int64_t& exact) const;
    int64_t scanPairs(const WorkItem& item, const float* queries, ExactPairs& exact) const;
    int64_t scanDense(const WorkItem& item, const float* queries, ExactPairs& exact) const;
    bool mayLowerOnCodes(int64_t position, const float* query) const;
    void settleGroup(int group, GroupChanges& changes);
    void applyChanges();
    bool holdsBound(int group, int64_t position) const;
    void refreshGroupBounds(int group);
    int topOfGroup(int group) const;
    void refreshTopBounds(int top);
    std::pair<float, float> dotRange(const struct Bounds& bounds) const;
    void refreshLeaf(int64_t position);
    int drawNextRow(RandomStream& random, int64_t& localImage, int64_t& localRow, double& score,
                    bool& byMass);
    int drawUniformImage(RandomStream& random, int64_t& localImage);

    DistanceSamplingOptions options_;
    DistanceSamplingStats& stats_;
    PatternPool pool_; // rows permuted into group order
    int dims_;
    int64_t rows_;
    int threads_;
    // The per-pick steps (plan, evaluate) run on this team, not OpenMP: see work_team.h.
    std::unique_ptr<WorkTeam> team_;
    bool rowsOnFile_ = false;  // the float rows stay in the pool's file, in original order
    bool prefilter_ = false;   // cosine pairs are ruled out on the 8-bit copy first
    bool projections_ = false; // cosine pairs are ruled out on group projections first
    bool denseScan_ = false;   // with the prefilter: 8-bit dots of a row with all queries
    float slack_ = 0.0f;

    std::vector<int64_t> positionOfRow_;  // original row -> position
    std::vector<int64_t> rowAtPosition_;  // position -> original row
    std::vector<float> d_, beta_;         // per position: D and its radius in bound units
    std::vector<float> alpha_, alphaTop_; // per position: distance to its group / top centre
    // Cosine prefilter: an 8-bit copy of each row (int8_kernels.h) with its scale, and a bound
    // on what quantising moved any dot with a unit query, so most pairs that cannot lower D are
    // ruled out at a quarter of the memory traffic and only the rest are computed exactly.
    std::vector<uint8_t> compact_;
    std::vector<float> compactScale_, compactMargin_, compactNorm_;
    // The current step's queries in 8 bits and how far quantising moved each (|q - q^|).
    std::vector<int8_t> compactQueries_;
    std::vector<QuantisedQuery> quantisedQueries_;
    std::vector<float> queryMargin_;
    // Dense scan: the same codes packed for packedQueryDots, and per lane (query) what turns
    // a raw sum into a dot: the query's scale and 128 x its code sum.
    PackedQueries packedQueries_;
    std::vector<float> laneScale_;
    std::vector<int32_t> laneOffset_;
    // The group centres in 8 bits, with the same margins: most (query, group) pairs are ruled
    // out on them before the float dot with the centre.
    std::vector<uint8_t> centreCodes_;
    std::vector<float> centreScale_, centreMargin_, centreNorm_;
    // With VNNI: each top's centres packed for packedQueryDots (signed), 128 x each centre's
    // signed code sum, and the step's query codes in offset binary (see packCentres).
    bool centresPacked_ = false;
    std::vector<PackedQueries> packedCentres_;
    std::vector<int32_t> centreOffset_;
    std::vector<uint8_t> offsetQueries_;
    // Rows on file: each original row's norm (cosine), so a row read back is normalised to the
    // same bits as an in-memory row; the largest squared norm (Euclidean bound).
    std::vector<float> rowNorm_;
    double largestSquaredNorm_ = 0.0;
    // Projection bounds (group_projections.h): per group kProjectionWidth directions, per
    // position the row's coordinates along its group's and a bound on its left-over norm. The
    // coordinates are stored per group by direction ([group start * width + direction * group
    // size + row]), so a query's bounds for all rows of a group are one vector loop.
    std::vector<float> directions_, coordinates_, residual_;
    std::vector<uint8_t> active_; // per position: image not selected yet
    int64_t activeRows_ = 0;

    int groupCount_ = 0, topCount_ = 0;
    std::vector<int64_t> groupStart_;
    std::vector<int> topGroupStart_;
    std::vector<float> centres_, topCentres_;
    std::vector<Bounds> groupBounds_, groupTopBounds_, topBounds_;
    std::vector<std::pair<float, float>> groupDotRange_; // cosine: dots admitted by the bounds
    // A group's loose rows: the few (at most 1/kLooseShare of its active rows) with the largest
    // alpha + beta. A bound is a maximum over rows, so one row far out with a large D would
    // admit every query from far away; these rows get bounds and a list of their own, and a
    // query that only their bounds admit visits only them.
    std::vector<std::vector<int64_t>> loose_;
    std::vector<uint8_t> isLoose_; // per position: in its group's loose_ list
    std::vector<Bounds> looseBounds_;
    std::vector<std::pair<float, float>> looseDotRange_;
    std::vector<int64_t> activeInGroup_;

    // One step's plan: the groups to visit and the queries each must check.
    std::vector<WorkItem> work_;
    std::vector<QueryCheck> workQueries_;
    std::vector<GroupChanges> changed_;
    std::vector<std::vector<WorkItem>> topWork_;
    std::vector<std::vector<QueryCheck>> topWorkQueries_;

    SumTree massTree_;     // D^2 per original row (DSquared), fixed point
    MaxTree farthestTree_; // D per original row (Farthest)
    SumTree unselected_;   // 1 per unselected image: uniform fallback draws
    FixedPointScale massScale_, distanceScale_;
    uint64_t distanceSum_ = 0; // fixed-point sum of D over all rows (wraps, never negative)
    PendingPicks pending_;
    std::vector<uint64_t> pickDelta_;   // per pending pick: its change of distanceSum_ (wraps)
    std::vector<uint64_t> batchDeltas_; // the same summed over the shares, at the lowering
    bool firstAbsorb_ = true;

    // The shares (MPI ranks): this one's rows and images are a contiguous run of the whole.
    LonePeers lone_;
    SamplingPeers* peers_ = &lone_;
    std::vector<int64_t> shareFirstImage_; // per share, and the global image count at the end
    int64_t globalRows_ = 0;
    std::vector<ShareSummary> summaries_; // every share's, after the latest step
};

} // namespace freesel::sampling_detail
