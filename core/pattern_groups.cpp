#include "pattern_groups.h"

#include "distance_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace freesel {

namespace {

constexpr int kLloydSteps = 2;
constexpr int kMaxGroups = 1024;

float angleFromDot(float dot) { return std::acos(std::clamp(dot, -1.0f, 1.0f)); }

/// Index (into centreCount centres) of the nearest centre: largest dot for unit vectors,
/// smallest squared distance otherwise; the lowest index wins ties.
int nearestCentre(const float* row, const float* centres, int centreCount, int dims,
                  DistanceMetric metric) {
    int best = 0;
    float bestScore = -std::numeric_limits<float>::infinity();
    for (int c = 0; c < centreCount; ++c) {
        const float* centre = centres + static_cast<int64_t>(c) * dims;
        const float score = metric == DistanceMetric::Cosine
                                ? dotProduct(row, centre, dims)
                                : -squaredDistance(row, centre, dims);
        if (score > bestScore) {
            bestScore = score;
            best = c;
        }
    }
    return best;
}

void normaliseCentres(std::vector<float>& centres, int dims) {
    for (size_t start = 0; start < centres.size(); start += dims) {
        const float norm = std::sqrt(dotProduct(&centres[start], &centres[start], dims));
        if (norm > 0.0f)
            for (int k = 0; k < dims; ++k)
                centres[start + k] /= norm;
    }
}

/// Lloyd k-means over the rows listed in `members`, started from evenly strided members (the
/// pool is in image order, so strides spread over images). Returns centres; labels in `labels`.
std::vector<float> lloyd(const float* rows, const std::vector<int64_t>& members, int dims,
                         int clusters, DistanceMetric metric, int threads,
                         std::vector<int>& labels) {
    const auto count = static_cast<int64_t>(members.size());
    std::vector<float> centres(static_cast<size_t>(clusters) * dims);
    for (int c = 0; c < clusters; ++c) {
        const int64_t member = members[c * count / clusters];
        std::copy_n(rows + member * dims, dims, centres.begin() + static_cast<int64_t>(c) * dims);
    }
    labels.assign(count, 0);
    for (int step = 0; step <= kLloydSteps; ++step) {
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t i = 0; i < count; ++i)
            labels[i] = nearestCentre(rows + members[i] * dims, centres.data(), clusters, dims,
                                      metric);
        if (step == kLloydSteps)
            break;
        std::vector<double> sums(centres.size(), 0.0);
        std::vector<int64_t> sizes(clusters, 0);
        for (int64_t i = 0; i < count; ++i) {
            const float* row = rows + members[i] * dims;
            double* sum = sums.data() + static_cast<int64_t>(labels[i]) * dims;
            for (int k = 0; k < dims; ++k)
                sum[k] += row[k];
            ++sizes[labels[i]];
        }
        for (int c = 0; c < clusters; ++c) {
            if (sizes[c] == 0)
                continue; // keep the old centre; the group just stays empty
            float* centre = centres.data() + static_cast<int64_t>(c) * dims;
            for (int k = 0; k < dims; ++k)
                centre[k] = static_cast<float>(sums[static_cast<int64_t>(c) * dims + k] / sizes[c]);
        }
        // Nearest by angle is the largest dot only against unit-length centres.
        if (metric == DistanceMetric::Cosine)
            normaliseCentres(centres, dims);
    }
    return centres;
}

} // namespace

float metricDistance(const float* a, const float* b, int dims, DistanceMetric metric) {
    return metric == DistanceMetric::Cosine ? angleFromDot(dotProduct(a, b, dims))
                                            : std::sqrt(squaredDistance(a, b, dims));
}

PatternGroups groupPatterns(const float* rows, int64_t rowCount, int dims, DistanceMetric metric,
                            int targetGroups, int threads) {
    PatternGroups groups;
    groups.groupOf.assign(rowCount, 0);
    if (rowCount == 0)
        return groups;
    if (targetGroups <= 0)
        targetGroups = static_cast<int>(std::lround(std::sqrt(static_cast<double>(rowCount))));
    targetGroups = static_cast<int>(std::clamp<int64_t>(targetGroups, 1, std::min<int64_t>(rowCount, kMaxGroups)));

    // Level 1: about sqrt(targetGroups) top clusters over every row.
    const int topCount = std::max(1, static_cast<int>(std::lround(std::sqrt(targetGroups))));
    std::vector<int64_t> everyRow(rowCount);
    for (int64_t i = 0; i < rowCount; ++i)
        everyRow[i] = i;
    std::vector<int> topLabels;
    lloyd(rows, everyRow, dims, topCount, metric, threads, topLabels);

    // Level 2: split each top cluster in proportion to its size.
    std::vector<std::vector<int64_t>> members(topCount);
    for (int64_t i = 0; i < rowCount; ++i)
        members[topLabels[i]].push_back(i);
    for (const auto& top : members) {
        if (top.empty())
            continue;
        const auto subCount = static_cast<int>(std::clamp<int64_t>(
            (targetGroups * static_cast<int64_t>(top.size()) + rowCount - 1) / rowCount, 1,
            static_cast<int64_t>(top.size())));
        std::vector<int> subLabels;
        std::vector<float> centres = lloyd(rows, top, dims, subCount, metric, threads, subLabels);
        for (size_t i = 0; i < top.size(); ++i)
            groups.groupOf[top[i]] = groups.groupCount + subLabels[i];
        groups.centres.insert(groups.centres.end(), centres.begin(), centres.end());
        groups.groupCount += subCount;
    }
    return groups;
}

} // namespace freesel
