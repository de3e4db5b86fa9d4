// SPDX-License-Identifier: GPL-3.0-or-later
// Preparing a pool for pruned D^2 sampling: validated, normalised rows, the bound groups laid
// out contiguously, and the 8-bit copy the cosine prefilter reads.
#include "selection/distance_sampler.h"

#include "selection/distance_kernels.h"
#include "selection/group_projections.h"
#include "selection/pattern_groups.h"
#include "util/huge_pages.h"

#include <QElapsedTimer>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>

namespace freesel::sampling_detail {

DistanceSampler::DistanceSampler(PatternPool pool, const DistanceSamplingOptions& options,
                                 DistanceSamplingStats& stats)
    : options_(options), stats_(stats), pool_(std::move(pool)), dims_(pool_.dims()),
      rows_(pool_.patternCount()), threads_(resolveThreadCount(options.threads)),
      team_(std::make_unique<WorkTeam>(threads_)), rowsOnFile_(pool_.rowsInFile()),
      prefilter_(options.pruning && options.prefilter && options.metric == DistanceMetric::Cosine),
      projections_(options.pruning && options.projections &&
                   options.metric == DistanceMetric::Cosine),
      denseScan_(prefilter_ &&
                 (options.denseScan == DenseScan::Always ||
                  (options.denseScan == DenseScan::Auto && packedQueryDotsAreFast()))) {
    QElapsedTimer timer;
    timer.start();
    if (rowsOnFile_) {
        prepareRowsOnFile();
    } else {
        if (options_.metric == DistanceMetric::Cosine)
            normaliseRows(); // validates on the way
        else
            validateRows();
    }
    buildGroups();
    stats_.groupingSeconds = timer.nsecsElapsed() * 1e-9;
    assignOnHugePages(d_, rows_, kInfinity);
    assignOnHugePages(beta_, rows_, kInfinity);
    assignOnHugePages(active_, rows_, uint8_t(1));
    activeRows_ = rows_;
    if (options_.rule == SamplingRule::DSquared)
        massTree_ = SumTree(rows_);
    if (options_.rule == SamplingRule::Farthest)
        farthestTree_ = MaxTree(rows_);
    const int images = pool_.imageCount();
    unselected_ = SumTree(images);
    for (int image = 0; image < images; ++image)
        unselected_.set(image, 1);
    joinShares();
    reportMemory();
}

void DistanceSampler::checkFinite(const float* values, int64_t row) const {
    for (int k = 0; k < dims_; ++k) {
        if (!std::isfinite(values[k]))
            throw std::invalid_argument("pattern " + std::to_string(row) + " of image " +
                                        std::to_string(pool_.imageOf(row)) +
                                        " has a value that is not finite");
    }
}

void DistanceSampler::validateRows() const {
    for (int64_t row = 0; row < rows_; ++row)
        checkFinite(pool_.pattern(row), row);
}

/// Unit rows make 1 - dot the cosine distance. A zero row stays zero (distance 1 to all).
/// A value that is not finite makes its row's norm not finite: only then are the rows searched
/// for it (validateRows names the first), so valid rows are read once, on all threads.
void DistanceSampler::normaliseRows() {
    bool suspect = false;
    // clang-format off
#pragma omp parallel for schedule(static) num_threads(threads_) if (rows_ > kParallelWork) \
    reduction(|| : suspect)
    // clang-format on
    for (int64_t row = 0; row < rows_; ++row) {
        float* values = pool_.pattern(row);
        const float norm = std::sqrt(dotProduct(values, values, dims_));
        suspect = suspect || !std::isfinite(norm);
        if (norm > 0.0f)
            for (int k = 0; k < dims_; ++k)
                values[k] /= norm;
    }
    if (suspect) // may also be a finite row whose squared norm overflows: then nothing is thrown
        validateRows();
}

void DistanceSampler::buildGroups() {
    const int target = options_.pruning ? options_.groups : 1;
    // The 8-bit copy first, in the pool's order (permuted below like the float rows): the
    // grouping assigns rows to centres on it (pattern_groups.h).
    if (prefilter_ && !rowsOnFile_)
        buildCompactRows();
    const GroupingRows source{rowsOnFile_ ? nullptr : pool_.pattern(0),
                              compact_.empty() ? nullptr : compact_.data(),
                              compact_.empty() ? nullptr : compactScale_.data(), dims_};
    PatternGroups groups = groupPatterns(source, rows_, options_.metric, target, threads_);
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
    resizeOnHugePages(rowAtPosition_, rows_);
    resizeOnHugePages(positionOfRow_, rows_);
    for (int64_t row = 0; row < rows_; ++row) {
        const int64_t position = next[groups.groupOf[row]]++;
        rowAtPosition_[position] = row;
        positionOfRow_[row] = position;
    }
    next = {};
    // Small groups are cheap to scan in full: measured on the VOC-sized benchmark (about 70
    // rows per group) the projections cost more than they saved; at 100k images (177) they
    // cut the evaluation time by a third.
    if (projections_ && rows_ < kProjectionGroupRows * groupCount_)
        projections_ = false;
    if (prefilter_)
        quantiseCentres();
    activeInGroup_.resize(groupCount_);
    for (int g = 0; g < groupCount_; ++g)
        activeInGroup_[g] = groupStart_[g + 1] - groupStart_[g];
    if (rowsOnFile_) {
        permuteCompactRows();
        if (projections_) // directions from the rounded rows: they only steer tightness
            groupDirectionsOf(GroupingRows{nullptr, compact_.data(), compactScale_.data(), dims_});
        measureAlphaOnFile(groups.groupOf);
    } else {
        groups.groupOf = {};
        permuteRows(rowAtPosition_);
        measureAlpha();
        if (prefilter_)
            permuteCompactRows();
        if (projections_)
            buildProjections();
    }
    if (projections_)
        transposeCoordinates();
    groupBounds_.assign(groupCount_, Bounds{});
    groupDotRange_.assign(groupCount_, {-kInfinity, kInfinity});
    loose_.assign(groupCount_, {});
    resizeOnHugePages(isLoose_, rows_);
    looseBounds_.assign(groupCount_, Bounds::empty());
    looseDotRange_.assign(groupCount_, {kInfinity, -kInfinity});
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

/// alpha (distance to the group centre) and alphaTop (to the top centre) of every row in memory.
void DistanceSampler::measureAlpha() {
    resizeOnHugePages(alpha_, rows_);
    resizeOnHugePages(alphaTop_, rows_);
    for (int t = 0; t < topCount_; ++t) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_) if (rows_ > kParallelWork)
        for (int g = topGroupStart_[t]; g < topGroupStart_[t + 1]; ++g) {
            for (int64_t p = groupStart_[g]; p < groupStart_[g + 1]; ++p) {
                alpha_[p] = metricDistance(pool_.pattern(p), &centres_[size_t(g) * dims_], dims_,
                                           options_.metric);
                alphaTop_[p] = metricDistance(pool_.pattern(p), &topCentres_[size_t(t) * dims_],
                                              dims_, options_.metric);
            }
        }
    }
}

/// Every group's directions (group_projections.h), from `rows` in position order.
void DistanceSampler::groupDirectionsOf(const GroupingRows& rows) {
    const size_t perGroup = size_t(kProjectionWidth) * dims_;
    directions_.assign(perGroup * groupCount_, 0.0f);
    resizeOnHugePages(coordinates_, size_t(rows_) * kProjectionWidth);
    resizeOnHugePages(residual_, rows_);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_) if (rows_ > kParallelWork)
    for (int g = 0; g < groupCount_; ++g)
        groupDirections(rows, groupStart_[g], groupStart_[g + 1], &centres_[size_t(g) * dims_],
                        kProjectionWidth, &directions_[perGroup * g]);
}

/// Each row's coordinates along its group's directions and the bound on its left-over norm,
/// from the exact unit rows in memory.
void DistanceSampler::buildProjections() {
    if (rows_ == 0)
        return;
    groupDirectionsOf(GroupingRows{pool_.pattern(0), nullptr, nullptr, dims_});
    const size_t perGroup = size_t(kProjectionWidth) * dims_;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_) if (rows_ > kParallelWork)
    for (int g = 0; g < groupCount_; ++g) {
        const int64_t first = groupStart_[g];
        projectUnitRows(pool_.pattern(first), static_cast<int>(groupStart_[g + 1] - first),
                        &directions_[perGroup * g], kProjectionWidth, dims_,
                        &coordinates_[size_t(first) * kProjectionWidth], &residual_[first]);
    }
}

/// Each group's coordinates from row order ([row][direction], as projectUnit writes them) to
/// direction order ([direction][row]).
void DistanceSampler::transposeCoordinates() {
#pragma omp parallel num_threads(threads_) if (rows_ > kParallelWork)
    {
        std::vector<float> buffer;
#pragma omp for schedule(dynamic, 16)
        for (int g = 0; g < groupCount_; ++g) {
            const int64_t first = groupStart_[g], count = groupStart_[g + 1] - first;
            float* block = &coordinates_[size_t(first) * kProjectionWidth];
            buffer.assign(block, block + size_t(count) * kProjectionWidth);
            for (int64_t r = 0; r < count; ++r)
                for (int d = 0; d < kProjectionWidth; ++d)
                    block[size_t(d) * count + r] = buffer[size_t(r) * kProjectionWidth + d];
        }
    }
}

/// |x.q - x^.q^| <= |x - x^| |q| + |x^| |q - q^| for a unit query q (Cauchy-Schwarz on the
/// quantising of the row and of the query); the exact float path differs from x.q by at most
/// dims * 2^-24 |x| |q|, and the rough dot's float scaling by 2^-23 |x^| |q^|.
/// compactMargin_ covers the row's share and both float terms, compactNorm_ bounds |x^| for
/// the query's share, all with room to spare.
void DistanceSampler::buildCompactRows() {
    resizeOnHugePages(compact_, static_cast<size_t>(rows_) * dims_);
    resizeOnHugePages(compactScale_, rows_);
    resizeOnHugePages(compactMargin_, rows_);
    resizeOnHugePages(compactNorm_, rows_);
#pragma omp parallel for schedule(static) num_threads(threads_) if (rows_ > kParallelWork)
    for (int64_t p = 0; p < rows_; ++p)
        compactRow(pool_.pattern(p), p);
}

/// The 8-bit copy of one unit row at `index`, its scale, quantising margin and restored norm.
void DistanceSampler::compactRow(const float* row, int64_t index) {
    const QuantisedRow rounded = quantiseRow(row, dims_, &compact_[size_t(index) * dims_]);
    compactScale_[index] = rounded.scale;
    std::tie(compactMargin_[index], compactNorm_[index]) = quantisingBounds(rounded);
}

/// The 8-bit rows, their scales and margins from the pool's order into group order.
void DistanceSampler::permuteCompactRows() {
    if (rows_ == 0)
        return;
    permuteInPlace(compact_.data(), dims_, rowAtPosition_);
    for (std::vector<float>* values : {&compactScale_, &compactMargin_, &compactNorm_}) {
        std::vector<float> permuted;
        resizeOnHugePages(permuted, rows_);
        for (int64_t p = 0; p < rows_; ++p)
            permuted[p] = (*values)[rowAtPosition_[p]];
        values->swap(permuted);
    }
}

/// The row's share of the prefilter margin and the bound on |x^| (see buildCompactRows).
std::pair<float, float> DistanceSampler::quantisingBounds(const QuantisedRow& rounded) const {
    const double summation = 2.0 * dims_ * std::ldexp(1.0, -24);
    // float sums inside quantiseRow: 2.3e-5 relative, inside the 1% below
    const double error = rounded.error, norm = rounded.norm;
    return {static_cast<float>((error + summation * (norm + 1.0)) * 1.01 + 1e-6),
            static_cast<float>(norm * 1.01 + 1e-6)};
}

/// The unit group centres in 8 bits (planning rules most groups out on them).
void DistanceSampler::quantiseCentres() {
    centreCodes_.resize(size_t(groupCount_) * dims_);
    centreScale_.resize(groupCount_);
    centreMargin_.resize(groupCount_);
    centreNorm_.resize(groupCount_);
    for (int g = 0; g < groupCount_; ++g) {
        const QuantisedRow rounded =
            quantiseRow(&centres_[size_t(g) * dims_], dims_, &centreCodes_[size_t(g) * dims_]);
        centreScale_[g] = rounded.scale;
        std::tie(centreMargin_[g], centreNorm_[g]) = quantisingBounds(rounded);
    }
    packCentres();
}

/// Each top's 8-bit centres packed as the queries of packedQueryDots (planning: four queries
/// at a time against all centres of a top). The kernel takes offset-binary rows and signed
/// packed codes, so here the roles swap: the centres are packed signed (code - 128) and the
/// queries go in offset binary (code + 128); the sum then carries 128 x the centre's signed
/// code sum (centreOffset_), and less that it is the very integer of rawDotsU8S8x4.
void DistanceSampler::packCentres() {
    packedCentres_.assign(topCount_, {});
    centreOffset_.assign(groupCount_, 0);
    centresPacked_ = packedQueryDotsAreFast(); // else the portable loops: slower than pairs
    if (!centresPacked_)
        return;
    std::vector<int8_t> signedCodes(centreCodes_.size());
    for (size_t i = 0; i < centreCodes_.size(); ++i)
        signedCodes[i] = static_cast<int8_t>(int(centreCodes_[i]) - 128);
    for (int g = 0; g < groupCount_; ++g)
        for (int i = 0; i < dims_; ++i)
            centreOffset_[g] += 128 * int32_t(signedCodes[size_t(g) * dims_ + i]);
    for (int t = 0; t < topCount_; ++t) {
        std::vector<const int8_t*> codes;
        for (int g = topGroupStart_[t]; g < topGroupStart_[t + 1]; ++g)
            codes.push_back(&signedCodes[size_t(g) * dims_]);
        packQueries(codes.data(), static_cast<int>(codes.size()), dims_, packedCentres_[t]);
    }
}

void DistanceSampler::compactQueries(const std::vector<float>& queries, int queryCount) {
    compactQueries_.resize(size_t(queryCount) * dims_);
    quantisedQueries_.resize(queryCount);
    queryMargin_.resize(queryCount);
    for (int q = 0; q < queryCount; ++q) {
        quantisedQueries_[q] =
            quantiseQuery(&queries[size_t(q) * dims_], dims_, &compactQueries_[size_t(q) * dims_]);
        queryMargin_[q] = static_cast<float>(double(quantisedQueries_[q].error) * 1.01 + 1e-7);
    }
    if (centresPacked_) { // the rows of the centres' kernel
        offsetQueries_.resize(compactQueries_.size());
        for (size_t i = 0; i < compactQueries_.size(); ++i)
            offsetQueries_[i] = static_cast<uint8_t>(int(compactQueries_[i]) + 128);
    }
    if (!denseScan_)
        return;
    std::vector<const int8_t*> codes(queryCount);
    for (int q = 0; q < queryCount; ++q)
        codes[q] = &compactQueries_[size_t(q) * dims_];
    packQueries(codes.data(), queryCount, dims_, packedQueries_);
    laneScale_.assign(packedQueries_.lanes(), 0.0f);
    laneOffset_.assign(packedQueries_.lanes(), 0);
    for (int q = 0; q < queryCount; ++q) {
        laneScale_[q] = quantisedQueries_[q].scale;
        laneOffset_[q] = 128 * quantisedQueries_[q].codeSum;
    }
}

/// Applies the permutation in place (float rows in memory), so the pool is never copied.
void DistanceSampler::permuteRows(const std::vector<int64_t>& rowAtPosition) {
    if (rows_ > 0)
        permuteInPlace(pool_.pattern(0), dims_, rowAtPosition);
}

} // namespace freesel::sampling_detail
