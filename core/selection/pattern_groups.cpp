// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/pattern_groups.h"

#include "selection/distance_kernels.h"
#include "selection/int8_kernels.h"
#include "selection/packed_query_dots.h"
#include "util/huge_pages.h"
#include "util/target_clones.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <omp.h>

namespace freesel {

namespace {

constexpr int kLloydSteps = 2;
constexpr int kMaxGroups = 8192;
constexpr int kGroupsPerTop = 8;
// Each row meets every top centre, so tops cost rows x tops x dims: uncapped, 5M rows (1M
// images x 5) met 1,024 tops each, 4 TFLOP of grouping. Past the cap, tops grow larger and
// are split into more groups each (their bounds are looser: more group centres tested per step).
constexpr int kMaxTops = 128;
constexpr int64_t kSampleRows = 20000;

float angleFromDot(float dot) {
    return std::acos(std::clamp(dot, -1.0f, 1.0f));
}

/// Index of the nearest of `count` centres given the row's dots with them, the lowest index on
/// ties: the largest dot for unit vectors, else the smallest |c|^2 - 2 x.c (|x|^2 is the same
/// for every centre).
int nearestCentre(const float* dots, const std::vector<float>& centreNorms, int count,
                  DistanceMetric metric) {
    int best = 0;
    float bestScore = -std::numeric_limits<float>::infinity();
    for (int c = 0; c < count; ++c) {
        const float score =
            metric == DistanceMetric::Cosine ? dots[c] : 2.0f * dots[c] - centreNorms[c];
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

/// sum[k] += row[k], in double (a centre is the mean of up to kSampleRows rows).
FREESEL_CLONES void accumulateRow(double* sum, const float* row, int dims) {
#pragma omp simd
    for (int k = 0; k < dims; ++k)
        sum[k] += row[k];
}

/// Each centre becomes the mean of its members (normalised for cosine). Thread t sums the
/// clusters c with c % threads == t, each over its members in member order: the same bits on
/// any number of threads (at 1M images the sums were a third of the grouping, on one thread).
void moveCentres(const GroupingRows& rows, const std::vector<int64_t>& members,
                 const std::vector<int>& labels, int dims, DistanceMetric metric, int threads,
                 std::vector<float>& centres) {
    const auto clusters = static_cast<int>(centres.size() / dims);
    std::vector<double> sums(centres.size(), 0.0);
    std::vector<int64_t> sizes(clusters, 0);
    const auto count = static_cast<int64_t>(members.size());
#pragma omp parallel num_threads(threads) if (count * dims > (int64_t(1) << 20))
    {
        const int share = omp_get_thread_num(), shares = omp_get_num_threads();
        std::vector<float> scratch(dims);
        for (int64_t i = 0; i < count; ++i) {
            const int c = labels[size_t(i)];
            if (c % shares != share)
                continue;
            accumulateRow(&sums[size_t(c) * dims], rows.row(members[size_t(i)], scratch.data()),
                          dims);
            ++sizes[c];
        }
    }
    for (int c = 0; c < clusters; ++c) {
        if (sizes[c] == 0)
            continue; // keep the old centre; the group just stays empty
        for (int k = 0; k < dims; ++k)
            centres[static_cast<size_t>(c) * dims + k] =
                static_cast<float>(sums[static_cast<size_t>(c) * dims + k] / sizes[c]);
    }
    // Nearest by angle is the largest dot only against unit-length centres.
    if (metric == DistanceMetric::Cosine)
        normaliseCentres(centres, dims);
}

/// The centres as signed 8-bit codes packed for packedQueryDots, with what turns a raw sum
/// into a dot up to the row's own scale (the same for every centre, so it never changes which
/// centre is nearest).
struct PackedCentres {
    PackedQueries packed;
    std::vector<float> scale;
    std::vector<int32_t> offset;
};

PackedCentres packCentres(const std::vector<float>& centres, int dims) {
    const auto clusters = static_cast<int>(centres.size() / dims);
    PackedCentres out;
    std::vector<int8_t> codes(centres.size());
    std::vector<const int8_t*> pointers(clusters);
    out.scale.resize(clusters);
    out.offset.resize(clusters);
    for (int c = 0; c < clusters; ++c) {
        pointers[c] = &codes[size_t(c) * dims];
        const QuantisedQuery rounded =
            quantiseQuery(&centres[size_t(c) * dims], dims, &codes[size_t(c) * dims]);
        out.scale[c] = rounded.scale;
        out.offset[c] = 128 * rounded.codeSum;
    }
    packQueries(pointers.data(), clusters, dims, out.packed);
    return out;
}

/// assignToNearest on the 8-bit rows (cosine, a CPU with VNNI): the largest dot of the
/// quantised row with the quantised centre, a sixteenth of the float tiles' cost per pair
/// (the cost of grouping is rows x centres x dims). Rounding may move a row to a centre only
/// a hair farther than its nearest: the bounds are measured from the groups as assigned, so
/// that costs nothing but a hair of tightness. Integer sums: the same labels on any thread.
void assignByCodes(const GroupingRows& rows, const std::vector<int64_t>& members,
                   const std::vector<float>& centres, int dims, int threads,
                   std::vector<int>& labels) {
    const auto clusters = static_cast<int>(centres.size() / dims);
    const auto count = static_cast<int64_t>(members.size());
    const PackedCentres packed = packCentres(centres, dims);
    const int lanes = packed.packed.lanes();
    const std::vector<float> unusedNorms; // nearestCentre reads norms for Euclidean rows only
    assignOnHugePages(labels, size_t(count), 0);
    const int64_t blocks = (count + 3) / 4;
#pragma omp parallel num_threads(threads) if (count * clusters > 65536)
    {
        std::vector<int32_t> sums(size_t(4) * lanes);
        std::vector<float> dots(clusters);
#pragma omp for schedule(static)
        for (int64_t b = 0; b < blocks; ++b) {
            const int n = static_cast<int>(std::min<int64_t>(4, count - 4 * b));
            const uint8_t* tile[4];
            for (int k = 0; k < 4; ++k)
                tile[k] = rows.codes + members[4 * b + std::min(k, n - 1)] * dims;
            packedQueryDots(tile, packed.packed, sums.data());
            for (int k = 0; k < n; ++k) {
                const int32_t* raw = &sums[size_t(k) * lanes];
                for (int c = 0; c < clusters; ++c)
                    dots[c] = packed.scale[c] * static_cast<float>(raw[c] - packed.offset[c]);
                labels[4 * b + k] =
                    nearestCentre(dots.data(), unusedNorms, clusters, DistanceMetric::Cosine);
            }
        }
    }
}

void assignToNearest(const GroupingRows& rows, const std::vector<int64_t>& members,
                     const std::vector<float>& centres, int dims, DistanceMetric metric,
                     int threads, std::vector<int>& labels) {
    if (rows.codes && metric == DistanceMetric::Cosine && packedQueryDotsAreFast())
        return assignByCodes(rows, members, centres, dims, threads, labels);
    const auto clusters = static_cast<int>(centres.size() / dims);
    const auto count = static_cast<int64_t>(members.size());
    std::vector<float> norms(clusters);
    for (int c = 0; c < clusters; ++c)
        norms[c] = dotProduct(&centres[size_t(c) * dims], &centres[size_t(c) * dims], dims);
    assignOnHugePages(labels, size_t(count), 0);
    // Four rows at a time against all centres (dotsOfRowsWithRows' 4 x 4 tiles: each centre
    // is read once for four rows).
    const int64_t blocks = (count + 3) / 4;
#pragma omp parallel num_threads(threads) if (count * clusters > 65536)
    {
        std::vector<float> dots(size_t(4) * clusters), block(size_t(4) * dims);
#pragma omp for schedule(static)
        for (int64_t b = 0; b < blocks; ++b) {
            const int n = static_cast<int>(std::min<int64_t>(4, count - 4 * b));
            for (int k = 0; k < n; ++k) {
                float* slot = &block[size_t(k) * dims];
                const float* row = rows.row(members[4 * b + k], slot);
                if (row != slot)
                    std::copy_n(row, dims, slot);
            }
            dotsOfRowsWithRows(block.data(), n, centres.data(), clusters, dims, dots.data());
            for (int k = 0; k < n; ++k)
                labels[4 * b + k] =
                    nearestCentre(&dots[size_t(k) * clusters], norms, clusters, metric);
        }
    }
}

/// Lloyd k-means over the rows listed in `members`, started from evenly strided members (the
/// pool is in image order, so strides spread over images). The Lloyd steps run on an evenly
/// strided sample of at most kSampleRows members (the centres only steer the bounds' tightness,
/// so a sample is plenty); the final assignment covers every member. Returns the centres;
/// labels in `labels`.
std::vector<float> lloyd(const GroupingRows& rows, const std::vector<int64_t>& members,
                         int clusters, DistanceMetric metric, int threads,
                         std::vector<int>& labels) {
    const int dims = rows.dims;
    const auto count = static_cast<int64_t>(members.size());
    std::vector<float> centres(static_cast<size_t>(clusters) * dims), scratch(dims);
    for (int c = 0; c < clusters; ++c) {
        const int64_t member = members[c * count / clusters];
        std::copy_n(rows.row(member, scratch.data()), dims,
                    centres.begin() + static_cast<int64_t>(c) * dims);
    }
    const int64_t sampleSize = std::min<int64_t>(count, std::max<int64_t>(kSampleRows, clusters));
    std::vector<int64_t> sample(sampleSize);
    for (int64_t i = 0; i < sampleSize; ++i)
        sample[i] = members[i * count / sampleSize];
    for (int step = 0; step < kLloydSteps; ++step) {
        assignToNearest(rows, sample, centres, dims, metric, threads, labels);
        moveCentres(rows, sample, labels, dims, metric, threads, centres);
    }
    assignToNearest(rows, members, centres, dims, metric, threads, labels);
    return centres;
}

} // namespace

float metricDistance(const float* a, const float* b, int dims, DistanceMetric metric) {
    return metric == DistanceMetric::Cosine ? angleFromDot(dotProduct(a, b, dims))
                                            : std::sqrt(squaredDistance(a, b, dims));
}

void metricDistances(const float* row, const float* centres, int count, int dims,
                     DistanceMetric metric, float* out) {
    if (metric == DistanceMetric::Euclidean) {
        for (int c = 0; c < count; ++c)
            out[c] =
                std::sqrt(squaredDistance(row, centres + static_cast<int64_t>(c) * dims, dims));
        return;
    }
    dotsWithRows(row, centres, count, dims, out);
    for (int c = 0; c < count; ++c)
        out[c] = angleFromDot(out[c]);
}

PatternGroups groupPatterns(const float* rows, int64_t rowCount, int dims, DistanceMetric metric,
                            int targetGroups, int threads) {
    return groupPatterns(GroupingRows{rows, nullptr, nullptr, dims}, rowCount, metric, targetGroups,
                         threads);
}

PatternGroups groupPatterns(const GroupingRows& rows, int64_t rowCount, DistanceMetric metric,
                            int targetGroups, int threads) {
    PatternGroups groups;
    assignOnHugePages(groups.groupOf, size_t(rowCount), 0);
    if (rowCount == 0)
        return groups;
    if (targetGroups <= 0)
        targetGroups =
            static_cast<int>(std::lround(4.0 * std::sqrt(static_cast<double>(rowCount))));
    targetGroups = static_cast<int>(
        std::clamp<int64_t>(targetGroups, 1, std::min<int64_t>(rowCount, kMaxGroups)));

    // Level 1: targetGroups / 8 top clusters over every row (each later split in about 8):
    // tops fine enough that most are skipped whole, so a step tests few group centres.
    groups.topCount = std::clamp(targetGroups / kGroupsPerTop, 1, kMaxTops);
    std::vector<int64_t> everyRow;
    resizeOnHugePages(everyRow, size_t(rowCount));
    for (int64_t i = 0; i < rowCount; ++i)
        everyRow[i] = i;
    std::vector<int> topLabels;
    groups.topCentres = lloyd(rows, everyRow, groups.topCount, metric, threads, topLabels);

    // Level 2: split each top cluster in proportion to its size.
    std::vector<std::vector<int64_t>> members(groups.topCount);
    std::vector<int64_t> sizes(groups.topCount, 0);
    for (int label : topLabels)
        ++sizes[label];
    for (int t = 0; t < groups.topCount; ++t)
        members[t].reserve(sizes[t]);
    for (int64_t i = 0; i < rowCount; ++i)
        members[topLabels[i]].push_back(i);
    groups.topGroupStart.push_back(0);
    for (const auto& top : members) {
        const auto subCount = static_cast<int>(std::clamp<int64_t>(
            (targetGroups * static_cast<int64_t>(top.size()) + rowCount - 1) / rowCount, 0,
            static_cast<int64_t>(top.size())));
        if (subCount > 0) {
            std::vector<int> subLabels;
            std::vector<float> centres = lloyd(rows, top, subCount, metric, threads, subLabels);
            for (size_t i = 0; i < top.size(); ++i)
                groups.groupOf[top[i]] = groups.groupCount + subLabels[i];
            groups.centres.insert(groups.centres.end(), centres.begin(), centres.end());
            groups.groupCount += subCount;
        }
        groups.topGroupStart.push_back(groups.groupCount);
    }
    return groups;
}

} // namespace freesel
