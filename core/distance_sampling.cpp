#include "distance_sampling.h"

#include "distance_kernels.h"
#include "pattern_groups.h"
#include "random_stream.h"
#include "sampling_tree.h"

#include <QElapsedTimer>
#include <algorithm>
#include <cmath>
#include <limits>
#include <omp.h>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

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
    float distance(const float* query, int64_t position) const;
    float boundRadius(float d) const;
    void absorb(int image);
    int64_t updateGroup(int group, const float* queries, int queryCount,
                        std::vector<std::pair<int, float>>& scratch,
                        std::vector<std::pair<int64_t, float>>& changed) const;
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

    std::vector<int64_t> positionOfRow_; // original row -> position
    std::vector<int64_t> rowAtPosition_; // position -> original row
    std::vector<float> d_, alpha_, beta_; // per position: D, bound distance to centre, radius
    std::vector<uint8_t> active_;         // per position: image not selected yet
    int64_t activeRows_ = 0;

    int groupCount_ = 0;
    std::vector<int64_t> groupStart_;
    std::vector<float> centres_;
    std::vector<float> upper_, lower_; // per group: max(alpha + beta), min(alpha - beta)
    std::vector<std::vector<std::pair<int64_t, float>>> changed_;

    SumTree massTree_;     // D^2 per original row (DSquared)
    MaxTree farthestTree_; // D per original row (Farthest)
    SumTree unselected_;   // 1 per unselected image: uniform fallback draws
    std::vector<uint8_t> selected_;
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
    selected_.assign(images, 0);
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
#pragma omp parallel for schedule(static) num_threads(threads_)
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
    groupCount_ = std::max(groups.groupCount, 1);
    centres_ = std::move(groups.centres);
    centres_.resize(static_cast<size_t>(groupCount_) * dims_, 0.0f);
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
    permuteRows(rowAtPosition_);
    alpha_.resize(rows_);
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads_)
    for (int g = 0; g < groupCount_; ++g)
        for (int64_t p = groupStart_[g]; p < groupStart_[g + 1]; ++p)
            alpha_[p] = metricDistance(pool_.pattern(p), &centres_[static_cast<size_t>(g) * dims_],
                                       dims_, options_.metric);
    upper_.assign(groupCount_, kInfinity);
    lower_.assign(groupCount_, -kInfinity);
    changed_.resize(groupCount_);
    // Rounding in float dots, sqrt and acos is far below these margins, so a skipped row is
    // one whose computed D could not have dropped either: pruning never changes a result.
    float scale = 1.0f;
    if (options_.metric == DistanceMetric::Euclidean)
        for (float a : alpha_)
            scale = std::max(scale, a);
    slack_ = options_.metric == DistanceMetric::Cosine ? 1e-2f : 1e-4f * scale;
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

float DistanceSampler::distance(const float* query, int64_t position) const {
    if (options_.metric == DistanceMetric::Cosine)
        return std::max(0.0f, 1.0f - dotProduct(query, pool_.pattern(position), dims_));
    return std::sqrt(squaredDistance(query, pool_.pattern(position), dims_));
}

/// The radius in bound units that D corresponds to: the angle acos(1 - D) for cosine.
float DistanceSampler::boundRadius(float d) const {
    if (options_.metric == DistanceMetric::Euclidean || std::isinf(d))
        return d;
    return std::acos(std::clamp(1.0f - d, -1.0f, 1.0f));
}

/// Lowers D for the rows of one group that a query of the newly selected image comes closer
/// to; returns the number of distances computed. Writes only to `changed` and `scratch`, so
/// groups run in parallel.
int64_t DistanceSampler::updateGroup(int group, const float* queries, int queryCount,
                                     std::vector<std::pair<int, float>>& scratch,
                                     std::vector<std::pair<int64_t, float>>& changed) const {
    const float* centre = &centres_[static_cast<size_t>(group) * dims_];
    scratch.clear();
    for (int q = 0; q < queryCount; ++q) {
        const float toCentre = metricDistance(queries + q * dims_, centre, dims_, options_.metric);
        // Every row r of the group has |toCentre - alpha_r| > beta_r: none can get closer.
        if (options_.pruning &&
            (toCentre - upper_[group] > slack_ || lower_[group] - toCentre > slack_))
            continue;
        scratch.emplace_back(q, toCentre);
    }
    int64_t evaluations = 0;
    if (scratch.empty())
        return evaluations;
    for (int64_t p = groupStart_[group]; p < groupStart_[group + 1]; ++p) {
        if (!active_[p])
            continue;
        float best = d_[p];
        for (const auto& [q, toCentre] : scratch) {
            if (options_.pruning && std::abs(toCentre - alpha_[p]) > beta_[p] + slack_)
                continue;
            best = std::min(best, distance(queries + q * dims_, p));
            ++evaluations;
        }
        if (best < d_[p])
            changed.emplace_back(p, best);
    }
    return evaluations;
}

void DistanceSampler::absorb(int image) {
    selected_[image] = 1;
    unselected_.set(image, 0.0);
    const int queryCount = pool_.patternCountOf(image);
    std::vector<float> queries(static_cast<size_t>(queryCount) * dims_);
    for (int q = 0; q < queryCount; ++q) {
        const int64_t position = positionOfRow_[pool_.firstPatternOf(image) + q];
        std::copy_n(pool_.pattern(position), dims_, queries.begin() + q * dims_);
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
    std::vector<std::vector<std::pair<int, float>>> scratch(threads_);
    int64_t evaluations = 0;
#pragma omp parallel for schedule(dynamic, 2) num_threads(threads_) reduction(+ : evaluations)
    for (int g = 0; g < groupCount_; ++g) {
        changed_[g].clear();
        evaluations += updateGroup(g, queries.data(), queryCount,
                                   scratch[omp_get_thread_num()], changed_[g]);
    }
    if (!firstAbsorb_)
        stats_.distanceEvaluations += evaluations;
    firstAbsorb_ = false;
    // Apply in group order on one thread: the trees see the same updates whatever the threads.
    for (int g = 0; g < groupCount_; ++g) {
        if (changed_[g].empty())
            continue;
        for (const auto& [position, d] : changed_[g]) {
            distanceSum_ += d - (std::isinf(d_[position]) ? 0.0 : d_[position]);
            d_[position] = d;
            beta_[position] = boundRadius(d);
            refreshLeaf(position);
        }
        float upper = -kInfinity, lower = kInfinity;
        for (int64_t p = groupStart_[g]; p < groupStart_[g + 1]; ++p) {
            if (!active_[p])
                continue;
            upper = std::max(upper, alpha_[p] + beta_[p]);
            lower = std::min(lower, alpha_[p] - beta_[p]);
        }
        upper_[g] = upper;
        lower_[g] = lower;
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
        if (rank > 0) // a naive update computes every active row against every query
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
    if (options.rule == SamplingRule::Replay &&
        static_cast<int64_t>(options.replayOrder.size()) < std::min<int64_t>(budget, pool.imageCount()))
        throw std::invalid_argument("replay order is shorter than the budget");
    DistanceSamplingStats local;
    DistanceSampler sampler(std::move(pool), options, stats ? *stats : local);
    return sampler.run(budget, seed);
}

} // namespace freesel
