// SPDX-License-Identifier: GPL-3.0-or-later
// Distance sampling over a pool whose float rows live in a file (PatternPool::withRowsInFile):
// only the 8-bit copy (a quarter of the bytes) is resident, in group order; the float rows stay in
// the file in the pool's order and are read back (positioned reads: they never count in the
// process's resident memory) for the pairs the 8-bit prefilter cannot rule out and for the
// chosen images' queries. A row read back is normalised with its stored norm, to the same bits
// the in-memory path computes, so both paths give identical picks and D values.
#include "selection/distance_kernels.h"
#include "selection/distance_sampler.h"
#include "selection/group_projections.h"
#include "selection/pattern_groups.h"
#include "util/huge_pages.h"

#include <cmath>

namespace freesel::sampling_detail {

namespace {
// Rows per positioned read while streaming the file: 24 MB of floats at 384 dims.
constexpr int64_t kChunkRows = 16384;
} // namespace

/// One pass over the file in row order: validates each row, keeps its norm (cosine) and builds
/// the 8-bit copy in the pool's row order (grouping reads it; permuteCompactRows then puts
/// it in group order).
void DistanceSampler::prepareRowsOnFile() {
    const bool cosine = options_.metric == DistanceMetric::Cosine;
    resizeOnHugePages(compact_, static_cast<size_t>(rows_) * dims_);
    resizeOnHugePages(compactScale_, rows_);
    resizeOnHugePages(compactMargin_, rows_);
    resizeOnHugePages(compactNorm_, rows_);
    if (cosine)
        rowNorm_.assign(rows_, 0.0f);
    std::vector<float> buffer(static_cast<size_t>(std::min(kChunkRows, rows_)) * dims_);
    for (int64_t first = 0; first < rows_; first += kChunkRows) {
        const int64_t count = std::min(kChunkRows, rows_ - first);
        pool_.readRows(first, count, buffer.data());
        for (int64_t r = 0; r < count; ++r) {
            const float* values = &buffer[size_t(r) * dims_];
            checkFinite(values, first + r);
            if (!cosine)
                largestSquaredNorm_ =
                    std::max(largestSquaredNorm_, double(dotProduct(values, values, dims_)));
        }
#pragma omp parallel for schedule(static) num_threads(threads_) if (count > 1024)
        for (int64_t r = 0; r < count; ++r) {
            float* values = &buffer[size_t(r) * dims_];
            if (cosine) { // exactly as normaliseRows does it in memory
                const float norm = std::sqrt(dotProduct(values, values, dims_));
                rowNorm_[first + r] = norm;
                if (norm > 0.0f)
                    for (int k = 0; k < dims_; ++k)
                        values[k] /= norm;
            }
            compactRow(values, first + r);
        }
    }
}

/// alpha and alphaTop from the exact float rows, streamed once more in the pool's row order.
void DistanceSampler::measureAlphaOnFile(const std::vector<int>& groupOf) {
    resizeOnHugePages(alpha_, rows_);
    resizeOnHugePages(alphaTop_, rows_);
    std::vector<int> topOfGroup(groupCount_);
    for (int t = 0; t < topCount_; ++t)
        for (int g = topGroupStart_[t]; g < topGroupStart_[t + 1]; ++g)
            topOfGroup[g] = t;
    std::vector<float> buffer(static_cast<size_t>(std::min(kChunkRows, rows_)) * dims_);
    for (int64_t first = 0; first < rows_; first += kChunkRows) {
        const int64_t count = std::min(kChunkRows, rows_ - first);
        pool_.readRows(first, count, buffer.data());
#pragma omp parallel for schedule(static) num_threads(threads_) if (count > 1024)
        for (int64_t r = 0; r < count; ++r) {
            const int64_t row = first + r;
            float* values = &buffer[size_t(r) * dims_];
            if (!rowNorm_.empty() && rowNorm_[row] > 0.0f)
                for (int k = 0; k < dims_; ++k)
                    values[k] /= rowNorm_[row];
            const int g = groupOf[row];
            const int64_t p = positionOfRow_[row];
            alpha_[p] =
                metricDistance(values, &centres_[size_t(g) * dims_], dims_, options_.metric);
            alphaTop_[p] = metricDistance(values, &topCentres_[size_t(topOfGroup[g]) * dims_],
                                          dims_, options_.metric);
            if (projections_)
                residual_[p] = projectUnit(
                    values, &directions_[size_t(g) * kProjectionWidth * dims_], kProjectionWidth,
                    dims_, &coordinates_[size_t(p) * kProjectionWidth]);
        }
    }
}

/// The exact (normalised, for cosine) float row at `position`: in place when the rows are in
/// memory, else read from the file into `scratch` (dims floats).
const float* DistanceSampler::exactRow(int64_t position, float* scratch) const {
    if (!rowsOnFile_)
        return pool_.pattern(position);
    const int64_t row = rowAtPosition_[position];
    pool_.readRows(row, 1, scratch);
    if (!rowNorm_.empty() && rowNorm_[row] > 0.0f)
        for (int k = 0; k < dims_; ++k)
            scratch[k] /= rowNorm_[row];
    return scratch;
}

/// What the sampler holds, by kind (DistanceSamplingStats), for the memory benchmark.
void DistanceSampler::reportMemory() {
    const auto bytes = [](const auto& v) {
        return static_cast<int64_t>(v.capacity() * sizeof(v[0]));
    };
    stats_.rowBytes = pool_.memoryBytes() + bytes(compact_);
    stats_.stateBytes = bytes(d_) + bytes(beta_) + bytes(alpha_) + bytes(alphaTop_) +
                        bytes(active_) + bytes(positionOfRow_) + bytes(rowAtPosition_) +
                        bytes(compactScale_) + bytes(compactMargin_) + bytes(compactNorm_) +
                        bytes(rowNorm_) + bytes(coordinates_) + bytes(residual_) + bytes(isLoose_);
    stats_.treeBytes =
        massTree_.memoryBytes() + farthestTree_.memoryBytes() + unselected_.memoryBytes();
    stats_.groupBytes = bytes(centres_) + bytes(topCentres_) + bytes(groupStart_) +
                        bytes(groupBounds_) + bytes(groupTopBounds_) + bytes(groupDotRange_) +
                        bytes(activeInGroup_) + bytes(changed_) + bytes(directions_);
}

} // namespace freesel::sampling_detail
