#include "distance_sampling.h"

#include "distance_kernels.h"
#include "pattern_groups.h"
#include "random_stream.h"
#include "sampling_tree.h"

#include <QElapsedTimer>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();
// Below this many (row, query) checks a step runs on one thread: waking the team costs more.
constexpr int64_t kParallelWork = 16384;

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

/// Up to four (row, query) pairs waiting for a four-wide kernel; padded() repeats the first
/// pair into the empty slots (their results are ignored).
template <typename Row> struct FourPairs {
    const Row* left[4];
    const float* right[4];
    const uint16_t* compactRight[4]; // the bfloat16 query, for the prefilter
    int query[4];
    int64_t owner[4];
    int count = 0;
    void add(const Row* row, const float* query, int64_t position) {
        left[count] = row;
        right[count] = query;
        owner[count++] = position;
    }
    FourPairs& padded() {
        for (int k = count; k < 4; ++k) {
            left[k] = left[0];
            right[k] = right[0];
            compactRight[k] = compactRight[0];
        }
        return *this;
    }
};

/// A query to check against the rows of one group, with its distance to the group's centre.
struct QueryCheck {
    int query;
    float toGroup;
};

/// One group that a query may affect, and which queries (with their distance to its centre).
struct WorkItem {
    int group;
    int firstQuery; // into the step's flat list of query checks
    int queryCount;
};

/// Rows are reordered so each bound group is contiguous (one streaming pass per group); the
/// trees and the random draws stay in the pool's original row order, so the order of the
/// draws, and hence the result, is independent of the grouping.
class DistanceSampler {
public:
    DistanceSampler(PatternPool pool, const DistanceSamplingOptions& options,
                    DistanceSamplingStats& stats);
    SelectionResult run(int64_t budget, uint64_t seed);

private:
    void validateRows() const;
    void normaliseRows();
    void buildGroups();
    void permuteRows(const std::vector<int64_t>& rowAtPosition);
    void buildCompactRows();
    void compactQueries(const std::vector<float>& queries, int queryCount);
    float distance(const float* query, int64_t position) const;
    float boundRadius(float d) const;
    void absorb(int image);
    void planWork(const std::vector<float>& queries, int queryCount);
    void planTop(int top, const std::vector<float>& queries, int queryCount, const float* toTops);
    int64_t evaluate(const WorkItem& item, const float* queries,
                     std::vector<std::pair<int64_t, float>>& changed) const;
    void applyChanges();
    std::pair<float, float> dotRange(const struct Bounds& bounds) const;
    void refreshLeaf(int64_t position);
    int drawNextImage(RandomStream& random, double& score);
    int uniformUnselectedImage(RandomStream& random);

    DistanceSamplingOptions options_;
    DistanceSamplingStats& stats_;
    PatternPool pool_; // rows permuted into group order
    int dims_;
    int64_t rows_;
    int threads_;
    float slack_ = 0.0f;

    std::vector<int64_t> positionOfRow_;  // original row -> position
    std::vector<int64_t> rowAtPosition_;  // position -> original row
    std::vector<float> d_, beta_;         // per position: D and its radius in bound units
    std::vector<float> alpha_, alphaTop_; // per position: distance to its group / top centre
    // Cosine prefilter: a bfloat16 copy of each row and a bound on what rounding it moved any
    // dot with a unit query, so most pairs that cannot lower D are ruled out at a quarter of
    // the memory traffic and only the rest are computed exactly in float.
    std::vector<uint16_t> compact_;
    std::vector<float> compactMargin_, compactNorm_;
    // The current step's queries in bfloat16 and how far rounding moved each (|q - q~|).
    std::vector<uint16_t> compactQueries_;
    std::vector<float> queryMargin_;
    std::vector<uint8_t> active_; // per position: image not selected yet
    int64_t activeRows_ = 0;

    int groupCount_ = 0, topCount_ = 0;
    std::vector<int64_t> groupStart_;
    std::vector<int> topGroupStart_;
    std::vector<float> centres_, topCentres_;
    std::vector<Bounds> groupBounds_, groupTopBounds_, topBounds_;
    std::vector<std::pair<float, float>> groupDotRange_; // cosine: dots admitted by the bounds
    std::vector<int64_t> activeInGroup_;

    // One step's plan: the groups to visit and the queries each must check.
    std::vector<WorkItem> work_;
    std::vector<QueryCheck> workQueries_;
    std::vector<std::vector<std::pair<int64_t, float>>> changed_;
    std::vector<std::vector<WorkItem>> topWork_;
    std::vector<std::vector<QueryCheck>> topWorkQueries_;

    SumTree massTree_;         // D^2 per original row (DSquared)
    MaxTree farthestTree_;     // D per original row (Farthest)
    SumTree unselected_;       // 1 per unselected image: uniform fallback draws
    double distanceSum_ = 0.0; // sum of D over all rows, for the coverage curve
    bool firstAbsorb_ = true;
};

DistanceSampler::DistanceSampler(PatternPool pool, const DistanceSamplingOptions& options,
                                 DistanceSamplingStats& stats)
    : options_(options), stats_(stats), pool_(std::move(pool)), dims_(pool_.dims()),
      rows_(pool_.patternCount()), threads_(resolveThreadCount(options.threads)) {
    validateRows();
    QElapsedTimer timer;
    timer.start();
    if (options_.metric == DistanceMetric::Cosine)
        normaliseRows();
    buildGroups();
    stats_.groupingSeconds = timer.nsecsElapsed() * 1e-9;
    d_.assign(rows_, kInfinity);
    beta_.assign(rows_, kInfinity);
    active_.assign(rows_, 1);
    activeRows_ = rows_;
    if (options_.rule == SamplingRule::DSquared)
        massTree_ = SumTree(rows_);
    if (options_.rule == SamplingRule::Farthest)
        farthestTree_ = MaxTree(rows_);
    const int images = pool_.imageCount();
    unselected_ = SumTree(images);
    for (int image = 0; image < images; ++image)
        unselected_.set(image, 1.0);
}

void DistanceSampler::validateRows() const {
    for (int64_t row = 0; row < rows_; ++row) {
        const float* values = pool_.pattern(row);
        for (int k = 0; k < dims_; ++k) {
            if (!std::isfinite(values[k]))
                throw std::invalid_argument("pattern " + std::to_string(row) + " of image " +
                                            std::to_string(pool_.imageOf(row)) +
                                            " has a value that is not finite");
        }
    }
}

/// Unit rows make 1 - dot the cosine distance. A zero row stays zero (distance 1 to all).
void DistanceSampler::normaliseRows() {
#pragma omp parallel for schedule(static) num_threads(threads_) if (rows_ > kParallelWork)
    for (int64_t row = 0; row < rows_; ++row) {
        float* values = pool_.pattern(row);
        const float norm = std::sqrt(dotProduct(values, values, dims_));
        if (norm > 0.0f)
            for (int k = 0; k < dims_; ++k)
                values[k] /= norm;
    }
}

void DistanceSampler::buildGroups() {
    const int target = options_.pruning ? options_.groups : 1;
    PatternGroups groups =
        groupPatterns(pool_.pattern(0), rows_, dims_, options_.metric, target, threads_);
    groupCount_ = groups.groupCount;
    topCount_ = groups.topCount;
    centres_ = std::move(groups.centres);
    topCentres_ = std::move(groups.topCentres);
    topGroupStart_ = std::move(groups.topGroupStart);
    // Counting sort by group, stable in the original row order.
    groupStart_.assign(groupCount_ + 1, 0);
    for (int64_t row = 0; row < rows_; ++row)
        ++groupStart_[groups.groupOf[row] + 1];
    for (int g = 0; g < groupCount_; ++g)
        groupStart_[g + 1] += groupStart_[g];
    std::vector<int64_t> next(groupStart_.begin(), groupStart_.end() - 1);
    rowAtPosition_.resize(rows_);
    positionOfRow_.resize(rows_);
    for (int64_t row = 0; row < rows_; ++row) {
        const int64_t position = next[groups.groupOf[row]]++;
        rowAtPosition_[position] = row;
        positionOfRow_[row] = position;
    }
    groups.groupOf = {};
    permuteRows(rowAtPosition_);
    alpha_.resize(rows_);
    alphaTop_.resize(rows_);
    activeInGroup_.resize(groupCount_);
    for (int t = 0; t < topCount_; ++t) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_) if (rows_ > kParallelWork)
        for (int g = topGroupStart_[t]; g < topGroupStart_[t + 1]; ++g) {
            activeInGroup_[g] = groupStart_[g + 1] - groupStart_[g];
            for (int64_t p = groupStart_[g]; p < groupStart_[g + 1]; ++p) {
                alpha_[p] = metricDistance(pool_.pattern(p), &centres_[size_t(g) * dims_], dims_,
                                           options_.metric);
                alphaTop_[p] = metricDistance(pool_.pattern(p), &topCentres_[size_t(t) * dims_],
                                              dims_, options_.metric);
            }
        }
    }
    if (options_.pruning && options_.prefilter && options_.metric == DistanceMetric::Cosine)
        buildCompactRows();
    groupBounds_.assign(groupCount_, Bounds{});
    groupDotRange_.assign(groupCount_, {-kInfinity, kInfinity});
    groupTopBounds_.assign(groupCount_, Bounds{});
    topBounds_.assign(topCount_, Bounds{});
    changed_.resize(groupCount_);
    // Rounding in float dots, sqrt and acos is far below these margins, so a skipped row is
    // one whose computed D could not have dropped either: pruning never changes a result.
    float scale = 1.0f;
    if (options_.metric == DistanceMetric::Euclidean)
        for (float a : alphaTop_)
            scale = std::max(scale, a);
    slack_ = options_.metric == DistanceMetric::Cosine ? 1e-2f : 1e-4f * scale;
}

/// |x.q - fl(x~.q~)| <= |x - x~| |q| + |x~| |q - q~| + dims * 2^-24 |x~| |q~| for a unit query
/// q (Cauchy-Schwarz on the rounding of the row and of the query, plus the worst float
/// summation error); the exact float path differs from x.q by at most the same summation term.
/// compactMargin_ covers the row's share and both summations, compactNorm_ bounds |x~| for the
/// query's share, all with room to spare.
void DistanceSampler::buildCompactRows() {
    compact_.resize(static_cast<size_t>(rows_) * dims_);
    compactMargin_.resize(rows_);
    compactNorm_.resize(rows_);
    const double summation = 2.0 * dims_ * std::ldexp(1.0, -24);
#pragma omp parallel for schedule(static) num_threads(threads_) if (rows_ > kParallelWork)
    for (int64_t p = 0; p < rows_; ++p) {
        const float* row = pool_.pattern(p);
        uint16_t* compact = &compact_[size_t(p) * dims_];
        toBfloat16(row, dims_, compact);
        double error = 0.0, norm = 0.0;
        for (int k = 0; k < dims_; ++k) {
            const float rounded = widenBfloat16(compact[k]);
            error += (double(row[k]) - rounded) * (double(row[k]) - rounded);
            norm += double(rounded) * rounded;
        }
        compactMargin_[p] = static_cast<float>(
            (std::sqrt(error) + summation * (std::sqrt(norm) + 1.0)) * 1.01 + 1e-6);
    }
}

void DistanceSampler::compactQueries(const std::vector<float>& queries, int queryCount) {
    compactQueries_.resize(size_t(queryCount) * dims_);
    queryMargin_.resize(queryCount);
    toBfloat16(queries.data(), int64_t(queryCount) * dims_, compactQueries_.data());
    for (int q = 0; q < queryCount; ++q) {
        double error = 0.0;
        for (int k = 0; k < dims_; ++k) {
            const float rounded = widenBfloat16(compactQueries_[size_t(q) * dims_ + k]);
            const double difference = double(queries[size_t(q) * dims_ + k]) - rounded;
            error += difference * difference;
        }
        queryMargin_[q] = static_cast<float>(std::sqrt(error) * 1.01 + 1e-7);
    }
}

/// Applies the permutation in place, one row buffer at a time (cycle following), so the pool
/// is never copied: peak memory stays one pool.
void DistanceSampler::permuteRows(const std::vector<int64_t>& rowAtPosition) {
    std::vector<uint8_t> done(rows_, 0);
    std::vector<float> buffer(dims_);
    for (int64_t start = 0; start < rows_; ++start) {
        if (done[start] || rowAtPosition[start] == start)
            continue;
        std::copy_n(pool_.pattern(start), dims_, buffer.begin());
        int64_t position = start;
        while (true) {
            done[position] = 1;
            const int64_t source = rowAtPosition[position];
            if (source == start) {
                std::copy_n(buffer.begin(), dims_, pool_.pattern(position));
                break;
            }
            std::copy_n(pool_.pattern(source), dims_, pool_.pattern(position));
            position = source;
        }
    }
}

/// Euclidean distance; cosine distances are computed in fours inside evaluate().
float DistanceSampler::distance(const float* query, int64_t position) const {
    return std::sqrt(squaredDistance(query, pool_.pattern(position), dims_));
}

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
    for (int q = 0; q < queryCount; ++q)
        metricDistances(&queries[size_t(q) * dims_], topCentres_.data(), topCount_, dims_,
                        options_.metric, &toTops[size_t(q) * topCount_]);
    topWork_.resize(topCount_);
    topWorkQueries_.resize(topCount_);
#pragma omp parallel for schedule(dynamic, 4)                                                      \
    num_threads(threads_) if (int64_t(groupCount_) * queryCount > 2048)
    for (int t = 0; t < topCount_; ++t)
        planTop(t, queries, queryCount, toTops.data());
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
    // Per query: its dot (cosine) or distance (Euclidean) to each group centre of this top.
    std::vector<float> toGroups(size_t(queryCount) * groups, kInfinity);
    std::vector<uint8_t> queryNeeded(queryCount, 0);
    bool anyQuery = false;
    for (int q = 0; q < queryCount; ++q) {
        if (prune && topBounds_[t].excludes(toTops[size_t(q) * topCount_ + t], slack_))
            continue;
        queryNeeded[q] = anyQuery = true;
        // data() + offset, not &v[i]: a top may hold no groups (a pool of identical images),
        // and indexing an empty vector is undefined even when nothing is read.
        float* out = toGroups.data() + size_t(q) * groups;
        const float* query = &queries[size_t(q) * dims_];
        const float* centres = centres_.data() + size_t(firstGroup) * dims_;
        if (cosine) // compare dots with cos of the bounds: acos only where a group passes
            dotsWithRows(query, centres, groups, dims_, out);
        else
            metricDistances(query, centres, groups, dims_, options_.metric, out);
    }
    if (!anyQuery)
        return;
    for (int g = firstGroup; g < firstGroup + groups; ++g) {
        if (activeInGroup_[g] == 0)
            continue;
        const auto first = static_cast<int>(checks.size());
        for (int q = 0; q < queryCount; ++q) {
            if (!queryNeeded[q])
                continue;
            const float value = toGroups[size_t(q) * groups + (g - firstGroup)];
            if (prune && groupTopBounds_[g].excludes(toTops[size_t(q) * topCount_ + t], slack_))
                continue;
            float toGroup = value;
            if (cosine) {
                if (prune && (value < groupDotRange_[g].first || value > groupDotRange_[g].second))
                    continue;
                toGroup = std::acos(std::clamp(value, -1.0f, 1.0f));
            } else if (prune && groupBounds_[g].excludes(toGroup, slack_)) {
                continue;
            }
            checks.push_back({q, toGroup});
        }
        if (static_cast<int>(checks.size()) > first)
            items.push_back({g, first, static_cast<int>(checks.size()) - first});
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

/// Lowers D for the rows of one group that a query comes closer to; returns the number of
/// distances computed. Reads shared state, writes only `changed`, so items run in parallel.
int64_t DistanceSampler::evaluate(const WorkItem& item, const float* queries,
                                  std::vector<std::pair<int64_t, float>>& changed) const {
    int64_t evaluations = 0;
    const auto* checks = &workQueries_[item.firstQuery];
    const bool cosine = options_.metric == DistanceMetric::Cosine;
    const bool prefilter = !compact_.empty();
    // Pairs wait in fours for the kernels, so a pair's bits never depend on its neighbours.
    // A pair may yield a new D for its row more than once per step: applyChanges keeps the min.
    FourPairs<float> exact;
    FourPairs<uint16_t> rough;
    auto flushExact = [&] {
        float dots[4];
        dotProducts4(exact.padded().left, exact.right, dims_, dots);
        for (int k = 0; k < exact.count; ++k) {
            const float d = std::max(0.0f, 1.0f - dots[k]);
            if (d < d_[exact.owner[k]])
                changed.emplace_back(exact.owner[k], d);
        }
        exact.count = 0;
    };
    auto flushRough = [&] {
        float dots[4];
        dotProductsBf16x4(rough.padded().left, rough.compactRight, dims_, dots);
        for (int k = 0; k < rough.count; ++k) {
            const int64_t p = rough.owner[k];
            const float margin = compactMargin_[p] + compactNorm_[p] * queryMargin_[rough.query[k]];
            if (1.0f - dots[k] - margin >= d_[p])
                continue; // even the most favourable rounding cannot lower D
            exact.add(pool_.pattern(p), rough.right[k], p);
            if (exact.count == 4)
                flushExact();
        }
        rough.count = 0;
    };
    for (int64_t p = groupStart_[item.group]; p < groupStart_[item.group + 1]; ++p) {
        if (!active_[p])
            continue;
        float euclideanBest = d_[p];
        for (int k = 0; k < item.queryCount; ++k) {
            const auto [q, toGroup] = checks[k];
            if (options_.pruning && std::abs(toGroup - alpha_[p]) > beta_[p] + slack_)
                continue;
            ++evaluations;
            const float* query = queries + size_t(q) * dims_;
            if (!cosine) {
                euclideanBest = std::min(euclideanBest, distance(query, p));
            } else if (prefilter) {
                rough.add(&compact_[size_t(p) * dims_], query, p);
                rough.query[rough.count - 1] = q;
                rough.compactRight[rough.count - 1] = &compactQueries_[size_t(q) * dims_];
                if (rough.count == 4)
                    flushRough();
            } else {
                exact.add(pool_.pattern(p), query, p);
                if (exact.count == 4)
                    flushExact();
            }
        }
        if (!cosine && euclideanBest < d_[p])
            changed.emplace_back(p, euclideanBest);
    }
    if (rough.count > 0)
        flushRough();
    if (exact.count > 0)
        flushExact();
    return evaluations;
}

void DistanceSampler::absorb(int image) {
    unselected_.set(image, 0.0);
    const int queryCount = pool_.patternCountOf(image);
    std::vector<float> queries(static_cast<size_t>(queryCount) * dims_);
    for (int q = 0; q < queryCount; ++q) {
        const int64_t position = positionOfRow_[pool_.firstPatternOf(image) + q];
        std::copy_n(pool_.pattern(position), dims_, queries.begin() + size_t(q) * dims_);
        if (!std::isinf(d_[position]))
            distanceSum_ -= d_[position];
        active_[position] = 0;
        --activeRows_;
        d_[position] = 0.0f;
        beta_[position] = 0.0f;
        refreshLeaf(position);
    }
    if (queryCount == 0)
        return;
    for (int q = 0; q < queryCount; ++q) // keep the per-group active counts for planning
        --activeInGroup_[std::upper_bound(groupStart_.begin(), groupStart_.end(),
                                          positionOfRow_[pool_.firstPatternOf(image) + q]) -
                         groupStart_.begin() - 1];
    if (!compact_.empty())
        compactQueries(queries, queryCount);
    QElapsedTimer timer;
    timer.start();
    planWork(queries, queryCount);
    stats_.planSeconds += timer.nsecsElapsed() * 1e-9;
    timer.restart();
    int64_t checks = 0;
    for (const WorkItem& item : work_)
        checks += activeInGroup_[item.group] * item.queryCount;
    int64_t evaluations = 0;
    const auto items = static_cast<int>(work_.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_) \
    reduction(+ : evaluations) if (checks > kParallelWork)
    for (int i = 0; i < items; ++i) {
        changed_[work_[i].group].clear();
        evaluations += evaluate(work_[i], queries.data(), changed_[work_[i].group]);
    }
    if (!firstAbsorb_)
        stats_.distanceEvaluations += evaluations;
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
            distanceSum_ += d - (std::isinf(d_[position]) ? 0.0 : d_[position]);
            d_[position] = d;
            beta_[position] = boundRadius(d);
            refreshLeaf(position);
        }
        changed_[g].clear();
        Bounds bounds = Bounds::empty(), topBounds = Bounds::empty();
        for (int64_t p = groupStart_[g]; p < groupStart_[g + 1]; ++p) {
            if (!active_[p])
                continue;
            bounds.include(alpha_[p], beta_[p]);
            topBounds.include(alphaTop_[p], beta_[p]);
        }
        groupBounds_[g] = bounds;
        groupDotRange_[g] = dotRange(bounds);
        groupTopBounds_[g] = topBounds;
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

void DistanceSampler::refreshLeaf(int64_t position) {
    const int64_t row = rowAtPosition_[position];
    const float d = active_[position] ? d_[position] : 0.0f;
    if (options_.rule == SamplingRule::DSquared)
        massTree_.set(row, static_cast<double>(d) * d);
    else if (options_.rule == SamplingRule::Farthest)
        farthestTree_.set(row, active_[position] ? d : -kInfinity);
}

int DistanceSampler::uniformUnselectedImage(RandomStream& random) {
    const auto remaining = static_cast<uint64_t>(std::llround(unselected_.total()));
    const auto k = random.uniformIndex(remaining);
    return static_cast<int>(unselected_.findByMass(static_cast<double>(k) + 0.5));
}

int DistanceSampler::drawNextImage(RandomStream& random, double& score) {
    int64_t row = -1;
    if (options_.rule == SamplingRule::DSquared && massTree_.total() > 0.0) {
        row = massTree_.findByMass(random.uniform01() * massTree_.total());
    } else if (options_.rule == SamplingRule::Farthest) {
        const int64_t best = farthestTree_.argmax();
        if (best >= 0 && farthestTree_.value(best) > 0.0f)
            row = best;
    }
    if (row < 0) { // only duplicates (or rowless images) remain
        score = 0.0;
        return uniformUnselectedImage(random);
    }
    score = d_[positionOfRow_[row]];
    return pool_.imageOf(row);
}

SelectionResult DistanceSampler::run(int64_t budget, uint64_t seed) {
    SelectionResult result;
    const int images = pool_.imageCount();
    const int64_t count = std::min<int64_t>(budget, images);
    if (count <= 0)
        return result;
    QElapsedTimer timer;
    timer.start();
    RandomStream random(seed);
    result.picks.reserve(count);
    result.coverage.reserve(count);
    for (int64_t rank = 0; rank < count; ++rank) {
        double score = std::numeric_limits<double>::quiet_NaN();
        int image = 0;
        if (options_.rule == SamplingRule::Replay)
            image = options_.replayOrder.at(rank);
        else if (rank == 0)
            image = static_cast<int>(random.uniformIndex(images));
        else
            image = drawNextImage(random, score);
        if (rank > 0) // a naive update computes every other active row against every query
            stats_.candidatePairs += static_cast<int64_t>(pool_.patternCountOf(image)) *
                                     (activeRows_ - pool_.patternCountOf(image));
        absorb(image);
        result.picks.push_back({image, score});
        result.coverage.push_back(rows_ > 0 ? distanceSum_ / rows_ : 0.0);
    }
    stats_.samplingSeconds = timer.nsecsElapsed() * 1e-9;
    return result;
}

} // namespace

SelectionResult distanceSampling(PatternPool pool, int64_t budget, uint64_t seed,
                                 const DistanceSamplingOptions& options,
                                 DistanceSamplingStats* stats) {
    if (budget < 0)
        throw std::invalid_argument("budget must be >= 0, got " + std::to_string(budget));
    if (options.rule == SamplingRule::Replay && static_cast<int64_t>(options.replayOrder.size()) <
                                                    std::min<int64_t>(budget, pool.imageCount()))
        throw std::invalid_argument("replay order is shorter than the budget");
    DistanceSamplingStats local;
    DistanceSampler sampler(std::move(pool), options, stats ? *stats : local);
    return sampler.run(budget, seed);
}

} // namespace freesel
