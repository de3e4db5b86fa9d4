// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "selection/distance_kernels.h"
#include "selection/selection.h"

#include <cstdint>
#include <vector>

namespace freesel {

/// A two-level partition of the pool's rows: top clusters, each split into compact groups,
/// with a centre for every top and every group. Selection uses it only for bounds (the
/// triangle inequality lets it skip whole tops or groups whose distances cannot change), so
/// the grouping changes speed, never results.
struct PatternGroups {
    int groupCount = 0;
    std::vector<int> groupOf;   ///< per row
    std::vector<float> centres; ///< groupCount x dims; unit length for the cosine metric
    int topCount = 0;
    std::vector<float> topCentres;  ///< topCount x dims
    std::vector<int> topGroupStart; ///< groups of top t: [topGroupStart[t], topGroupStart[t+1])
};

/// Where grouping reads its rows: float rows in memory, the sampler's 8-bit copy, or both.
/// The grouping only steers the bounds' tightness, so the quantised rows serve as well: with
/// the cosine metric on a CPU with VNNI, rows are assigned to centres on the codes (a
/// sixteenth of the cost); the centres are the means of the float rows where they are in
/// memory, else of the codes restored on the fly (the float rows live in a file).
struct GroupingRows {
    const float* values = nullptr;  ///< rowCount x dims floats, and/or
    const uint8_t* codes = nullptr; ///< rowCount x dims offset-binary codes (int8_kernels.h)
    const float* scales = nullptr;  ///< with their per-row scales
    int dims = 0;
    /// Row i, in place (the floats where given) or restored into `scratch` (dims floats).
    const float* row(int64_t i, float* scratch) const {
        if (values)
            return values + i * dims;
        const uint8_t* source = codes + i * dims;
        for (int k = 0; k < dims; ++k)
            scratch[k] = scales[i] * static_cast<float>(int(source[k]) - 128);
        return scratch;
    }
};

/// Two-level k-means (a few Lloyd steps at each level, deterministic starts), so the cost is
/// about rows x (tops + groups per top) x dims instead of rows x groups x dims. With the
/// cosine metric the rows must already be unit length. targetGroups 0 picks about
/// 4 sqrt(rows).
PatternGroups groupPatterns(const GroupingRows& rows, int64_t rowCount, DistanceMetric metric,
                            int targetGroups, int threads);
PatternGroups groupPatterns(const float* rows, int64_t rowCount, int dims, DistanceMetric metric,
                            int targetGroups, int threads);

/// The distance in which bounds are taken: the angle between unit vectors for cosine (a metric
/// on the sphere, and a far tighter bound than the chord), the Euclidean distance otherwise.
float metricDistance(const float* a, const float* b, int dims, DistanceMetric metric);

/// metricDistance from one row to `count` centres (row-major), four centres per pass.
void metricDistances(const float* row, const float* centres, int count, int dims,
                     DistanceMetric metric, float* out);

} // namespace freesel
