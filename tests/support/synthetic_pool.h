// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Test-data generators and an independent float64 reference of distance sampling
// (docs/ALGORITHM.md section 6), shared by the engine tests and the benchmarks.

#include "patterns/pattern_pool.h"
#include "selection/selection.h"
#include "util/random_stream.h"

#include <cmath>
#include <limits>
#include <vector>

namespace freesel::testing {

/// Standard normal draws (Box-Muller) from the project's portable generator.
class Gaussian {
public:
    explicit Gaussian(uint64_t seed) : random_(seed) {}
    double next() {
        const double u1 = 1.0 - random_.uniform01(); // (0, 1]
        const double u2 = random_.uniform01();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
    RandomStream& random() { return random_; }

private:
    RandomStream random_;
};

/// How the patterns of one concept vary around its direction.
struct ConceptSpread {
    double noise = 0.5; ///< isotropic Gaussian noise, relative to the concept direction
    int rank = 0;       ///< > 0: most variation lies in a concept-specific subspace of this rank
    double along = 0.0; ///< spread inside that subspace, relative to the concept direction
};

/// A pool shaped like real semantic patterns: `concepts` random directions; each image shows
/// 1..3 concepts and has 1..maxPatterns patterns, each a concept direction plus variation, so
/// patterns of one concept are close and others far apart. With spread.rank > 0 the
/// variation is mostly low-rank per concept (as in real ViT features, whose intrinsic
/// dimension is far below d); rank 0 gives isotropic noise, the hardest case for bounds.
inline PatternPool makeClusteredPool(int images, int dims, int concepts, int maxPatterns,
                                     ConceptSpread spread, uint64_t seed,
                                     bool fixedPatternCount = false) {
    Gaussian gaussian(seed);
    const double scale = 1.0; // centres and noise are both N(0, 1) per dimension
    std::vector<float> centres(static_cast<size_t>(concepts) * dims);
    for (float& value : centres)
        value = static_cast<float>(gaussian.next());
    std::vector<float> bases(static_cast<size_t>(concepts) * spread.rank * dims);
    for (float& value : bases) // rank random directions per concept, norm ~sqrt(dims / rank)
        value = static_cast<float>(gaussian.next() / std::sqrt(std::max(1, spread.rank)));
    PatternPool pool(dims);
    pool.reserve(images, static_cast<int64_t>(images) * maxPatterns);
    std::vector<float> rows;
    std::vector<double> z(spread.rank);
    for (int image = 0; image < images; ++image) {
        const int count = fixedPatternCount
                              ? maxPatterns
                              : 1 + static_cast<int>(gaussian.random().uniformIndex(maxPatterns));
        int shown[3];
        for (int& concept : shown)
        concept = static_cast<int>(gaussian.random().uniformIndex(concepts));
        rows.assign(static_cast<size_t>(count) * dims, 0.0f);
        for (int p = 0; p < count; ++p) {
            const int concept = shown[gaussian.random().uniformIndex(3)];
            for (double& value : z)
                value = spread.along * gaussian.next();
            float* row = rows.data() + static_cast<size_t>(p) * dims;
            const float* centre = centres.data() + static_cast<size_t>(concept) * dims;
            for (int k = 0; k < dims; ++k)
                row[k] = centre[k] + static_cast<float>(scale * spread.noise * gaussian.next());
            for (int r = 0; r < spread.rank; ++r) {
                const float* basis =
                    bases.data() + (static_cast<size_t>(concept) * spread.rank + r) * dims;
                for (int k = 0; k < dims; ++k)
                    row[k] += static_cast<float>(z[r]) * basis[k];
            }
        }
        pool.addImage(rows.data(), count);
    }
    return pool;
}

/// Isotropic noise of relative size `noise`.
inline PatternPool makeClusteredPool(int images, int dims, int concepts, int maxPatterns,
                                     double noise, uint64_t seed, bool fixedPatternCount = false) {
    return makeClusteredPool(images, dims, concepts, maxPatterns, ConceptSpread{noise, 0, 0.0},
                             seed, fixedPatternCount);
}

/// The images of a selection, in selection order.
inline std::vector<int> imagesOf(const SelectionResult& result) {
    std::vector<int> images;
    for (const Pick& pick : result.picks)
        images.push_back(pick.image);
    return images;
}

struct ReferencePick {
    int image;
    double score;
};

/// The float64 reference of distance sampling, written as plainly as possible: every D from
/// scratch in double, a linear scan for the D^2 draw. It consumes random numbers exactly as
/// the engine documents: the first image uniformIndex(N); then uniform01() * total for a D^2
/// draw; uniformIndex(unselected) when every D is 0.
inline std::vector<ReferencePick> referenceDistanceSampling(const PatternPool& pool, int64_t budget,
                                                            uint64_t seed, bool farthest,
                                                            bool cosine) {
    const int images = pool.imageCount();
    const int64_t rows = pool.patternCount();
    const int dims = pool.dims();
    auto norm = [&](int64_t r) {
        double s = 0.0;
        for (int k = 0; k < dims; ++k)
            s += static_cast<double>(pool.pattern(r)[k]) * pool.pattern(r)[k];
        return std::sqrt(s);
    };
    auto distance = [&](int64_t a, int64_t b) {
        double s = 0.0;
        if (cosine) {
            for (int k = 0; k < dims; ++k)
                s += static_cast<double>(pool.pattern(a)[k]) * pool.pattern(b)[k];
            const double na = norm(a), nb = norm(b);
            return (na > 0 && nb > 0) ? std::max(0.0, 1.0 - s / (na * nb)) : 1.0;
        }
        for (int k = 0; k < dims; ++k) {
            const double d = static_cast<double>(pool.pattern(a)[k]) - pool.pattern(b)[k];
            s += d * d;
        }
        return std::sqrt(s);
    };
    std::vector<double> d(rows, std::numeric_limits<double>::infinity());
    std::vector<bool> selected(images, false);
    std::vector<ReferencePick> picks;
    RandomStream random(seed);
    auto absorb = [&](int image) {
        selected[image] = true;
        const int64_t first = pool.firstPatternOf(image);
        for (int64_t r = 0; r < rows; ++r)
            for (int q = 0; q < pool.patternCountOf(image); ++q)
                d[r] = std::min(d[r], distance(r, first + q));
    };
    const int64_t count = std::min<int64_t>(budget, images);
    for (int64_t rank = 0; rank < count; ++rank) {
        int image = -1;
        double score = std::numeric_limits<double>::quiet_NaN();
        if (rank == 0) {
            image = static_cast<int>(random.uniformIndex(images));
        } else {
            double total = 0.0, best = 0.0;
            int64_t bestRow = -1;
            for (int64_t r = 0; r < rows; ++r) {
                if (selected[pool.imageOf(r)])
                    continue;
                total += d[r] * d[r];
                if (d[r] > best) {
                    best = d[r];
                    bestRow = r;
                }
            }
            int64_t row = -1;
            if (farthest) {
                row = bestRow;
            } else if (total > 0.0) {
                const double target = random.uniform01() * total;
                double running = 0.0;
                for (int64_t r = 0; r < rows && row < 0; ++r) {
                    if (selected[pool.imageOf(r)])
                        continue;
                    running += d[r] * d[r];
                    if (running > target)
                        row = r;
                }
            }
            if (row >= 0) {
                image = pool.imageOf(row);
                score = d[row];
            } else {
                int k = static_cast<int>(random.uniformIndex(images - rank));
                for (image = 0; selected[image] || k-- > 0; ++image) {
                }
                score = 0.0;
            }
        }
        absorb(image);
        picks.push_back({image, score});
    }
    return picks;
}

} // namespace freesel::testing
