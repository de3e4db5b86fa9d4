// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "patterns/pattern_pool.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace freesel {

enum class DistanceMetric { Cosine, Euclidean };

enum class StrategyKind {
    FreeSel, ///< D^2 sampling over all semantic patterns (the paper's method)
    Fds,     ///< farthest-distance sampling over all semantic patterns
    Random,  ///< uniform without replacement
    KCenter, ///< Core-Set k-center greedy on one global feature per image
    KMeans,  ///< k-means on global features, the image closest to each centre
    Elfs,    ///< ELFS: pseudo-labels, proxy training dynamics, double-end window (core/elfs)
    Clip,    ///< CLIP-powered selection: SAS + SDS on CLIP embeddings (core/clip_stage.h)
};

/// What every strategy needs to know besides the pool.
struct SelectionRequest {
    int64_t budget = 0; ///< images to select; >= image count selects (ranks) them all
    uint64_t seed = 0;  ///< makes every result reproducible, whatever `threads` is
    int threads = 0;    ///< 0: all cores
    DistanceMetric metric = DistanceMetric::Cosine;
    /// Continued rounds: images already annotated. They seed the selected set (FreeSel, FDS and
    /// k-center start from them instead of a uniform first pick; k-means keeps them as fixed
    /// centres), are never picked again, and `budget` counts only new images.
    std::vector<int> labeled;
    /// Images that are never candidates (e.g. rejected by annotators); they seed nothing.
    std::vector<int> excluded;
};

/// One selected image and the score that picked it (the D value of the drawn pattern for
/// FreeSel/FDS/k-center, the distance to its centre for k-means). NaN where no score applies
/// (the first, uniformly drawn image; random selection).
struct Pick {
    int image = -1;
    double score = std::numeric_limits<double>::quiet_NaN();
};

struct SelectionResult {
    std::vector<Pick> picks; ///< selection order: rank 1 first
    /// Mean over all pool rows of the distance to the nearest selected row, after each pick
    /// (the coverage curve); filled by the distance-sampling strategies.
    std::vector<double> coverage;
};

/// A selection strategy (docs/ALGORITHM.md sections 6 and 7).
class SelectionStrategy {
public:
    virtual ~SelectionStrategy() = default;
    virtual StrategyKind kind() const = 0;
    /// True: give select() the pattern pool. False: one global feature per image.
    virtual bool usesPatterns() const = 0;
    /// Validates the request, takes the excluded images out of the pool, runs the strategy and
    /// maps its picks back to the caller's image indices. Takes the pool by value so a caller
    /// that no longer needs it can move it in and the strategy can reorder it in place (halving
    /// peak memory on huge pools).
    SelectionResult select(PatternPool pool, const SelectionRequest& request) const;

protected:
    /// The strategy itself: `request.excluded` is empty and `request.labeled` holds valid,
    /// distinct indices of `pool`; picks never include a labeled image.
    virtual SelectionResult selectFrom(PatternPool pool, const SelectionRequest& request) const = 0;
};

/// `pool` without the images `drop` marks (one flag per image); `kept` receives, per image of
/// the result, its index in `pool`.
PatternPool poolWithout(const PatternPool& pool, const std::vector<uint8_t>& drop,
                        std::vector<int>& kept);

/// The strategies that run on a pattern pool. ELFS needs the store's patch tokens and runs as
/// its own stage (selectElfs() in pipeline.h): asking for it here throws
/// std::invalid_argument.
std::unique_ptr<SelectionStrategy> makeSelectionStrategy(StrategyKind kind);

/// "freesel", "fds", "random", "kcenter", "kmeans", "elfs", "clip"; throws std::invalid_argument
/// naming the valid choices for anything else.
StrategyKind parseStrategyKind(const std::string& name);
std::string strategyName(StrategyKind kind);

/// Throws std::invalid_argument when the budget is negative, the thread count is, or a labeled
/// or excluded index is outside [0, imageCount).
void validateSelectionRequest(const SelectionRequest& request, int imageCount = -1);

/// Resolves the number of threads to use: `requested`, or every core when 0.
int resolveThreadCount(int requested);

} // namespace freesel
