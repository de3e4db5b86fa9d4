// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Test-data generators and an independent float64 reference of distance sampling
// (docs/ALGORITHM.md section 6), shared by the engine tests and the benchmarks.

#include "backbone/image_features.h"
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

/// A random image (8 x 8 patches of `dims`): peaked random [CLS] attention, Gaussian tokens,
/// uniform patch attention; enough for the pattern stage to find several patterns.
ImageFeatures randomFeatureImage(int index, int dims);

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
PatternPool makeClusteredPool(int images, int dims, int concepts, int maxPatterns,
                              ConceptSpread spread, uint64_t seed, bool fixedPatternCount = false);

/// The same images appended to `pool` (empty; its dims), e.g. one with its rows in a file.
PatternPool fillClusteredPool(PatternPool pool, int images, int concepts, int maxPatterns,
                              ConceptSpread spread, uint64_t seed, bool fixedPatternCount = false);

/// The same images with their rows in a file (PatternPool::withRowsInFile).
PatternPool copyToFile(const PatternPool& pool);

/// Isotropic noise of relative size `noise`.
PatternPool makeClusteredPool(int images, int dims, int concepts, int maxPatterns, double noise,
                              uint64_t seed, bool fixedPatternCount = false);

/// The images of a selection, in selection order.
std::vector<int> imagesOf(const SelectionResult& result);

/// A pool from hand-written vectors: images[i] lists image i's patterns.
PatternPool poolOfVectors(const std::vector<std::vector<std::vector<float>>>& images);

/// sum_k a[k] b[k] in double, in index order (the float64 reference's dot).
double dotInDouble(const float* a, const float* b, int dims);

struct ReferencePick {
    int image;
    double score;
};

/// The float64 reference of distance sampling, written as plainly as possible: every D from
/// scratch in double, a linear scan for the D^2 draw. It consumes random numbers exactly as
/// the engine documents: the first image uniformIndex(N); then uniform01() * total for a D^2
/// draw; uniformIndex(unselected) when every D is 0. `seeds` are selected before the first
/// draw (a continued round's labelled images): no uniform first pick then.
/// D^2 draws in batches of `batch` (DistanceSamplingOptions::drawBatch): D is lowered once per
/// `batch` picks (or after `batch` rejections); in between a draw from that D is kept if a
/// further uniform01() u has u D_then^2 < D_now^2, and the drawn row's D becomes D_now.
std::vector<ReferencePick> referenceDistanceSampling(const PatternPool& pool, int64_t budget,
                                                     uint64_t seed, bool farthest, bool cosine,
                                                     const std::vector<int>& seeds = {},
                                                     int batch = 8);

} // namespace freesel::testing
