// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/selection.h"

#include "selection/distance_sampling.h"
#include "selection/kmeans_selection.h"
#include "selection/random_selection.h"

#include <omp.h>
#include <stdexcept>

namespace freesel {

namespace {

/// D^2 sampling / FDS over patterns and k-center over global features are one engine with
/// different rules and inputs.
class DistanceSamplingStrategy : public SelectionStrategy {
public:
    DistanceSamplingStrategy(StrategyKind kind, SamplingRule rule, bool patterns)
        : kind_(kind), rule_(rule), patterns_(patterns) {}
    StrategyKind kind() const override { return kind_; }
    bool usesPatterns() const override { return patterns_; }

protected:
    SelectionResult selectFrom(PatternPool pool, const SelectionRequest& request) const override {
        DistanceSamplingOptions options;
        options.rule = rule_;
        options.metric = request.metric;
        options.threads = request.threads;
        options.seedImages = request.labeled;
        return distanceSampling(std::move(pool), request.budget, request.seed, options);
    }

private:
    StrategyKind kind_;
    SamplingRule rule_;
    bool patterns_;
};

class RandomStrategy : public SelectionStrategy {
public:
    StrategyKind kind() const override { return StrategyKind::Random; }
    bool usesPatterns() const override { return false; }

protected:
    SelectionResult selectFrom(PatternPool pool, const SelectionRequest& request) const override {
        if (request.labeled.empty())
            return randomSelection(pool.imageCount(), request.budget, request.seed);
        // Uniform over the images not yet labelled.
        std::vector<uint8_t> labeled(size_t(pool.imageCount()), 0);
        for (int image : request.labeled)
            labeled[size_t(image)] = 1;
        std::vector<int> candidates;
        for (int image = 0; image < pool.imageCount(); ++image)
            if (!labeled[size_t(image)])
                candidates.push_back(image);
        SelectionResult result =
            randomSelection(static_cast<int>(candidates.size()), request.budget, request.seed);
        for (Pick& pick : result.picks)
            pick.image = candidates[size_t(pick.image)];
        return result;
    }
};

class KMeansStrategy : public SelectionStrategy {
public:
    StrategyKind kind() const override { return StrategyKind::KMeans; }
    bool usesPatterns() const override { return false; }

protected:
    SelectionResult selectFrom(PatternPool pool, const SelectionRequest& request) const override {
        return kmeansSelection(std::move(pool), request.budget, request.seed, request.threads,
                               request.labeled);
    }
};

const std::pair<StrategyKind, const char*> kNames[] = {
    {StrategyKind::FreeSel, "freesel"}, {StrategyKind::Fds, "fds"},
    {StrategyKind::Random, "random"},   {StrategyKind::KCenter, "kcenter"},
    {StrategyKind::KMeans, "kmeans"},   {StrategyKind::Elfs, "elfs"},
    {StrategyKind::Clip, "clip"},
};

/// One flag per image: 1 where `images` names it. Duplicates are harmless.
std::vector<uint8_t> flagsOf(const std::vector<int>& images, int imageCount) {
    std::vector<uint8_t> flags(size_t(imageCount), 0);
    for (int image : images)
        flags[size_t(image)] = 1;
    return flags;
}

} // namespace

PatternPool poolWithout(const PatternPool& pool, const std::vector<uint8_t>& drop,
                        std::vector<int>& kept) {
    kept.clear();
    // A pool kept in a file stays in one: the copy is as large as the pool.
    PatternPool result = pool.rowsInFile()
                             ? PatternPool::withRowsInFile(pool.dims(), pool.rowFileDirectory())
                             : PatternPool(pool.dims());
    for (int image = 0; image < pool.imageCount(); ++image) {
        if (drop[size_t(image)])
            continue;
        kept.push_back(image);
        result.addImage(pool.pattern(pool.firstPatternOf(image)), pool.patternCountOf(image));
    }
    return result;
}

SelectionResult SelectionStrategy::select(PatternPool pool, const SelectionRequest& request) const {
    validateSelectionRequest(request, pool.imageCount());
    if (request.excluded.empty() && request.labeled.empty())
        return selectFrom(std::move(pool), request);
    std::vector<uint8_t> labeled = flagsOf(request.labeled, pool.imageCount());
    const std::vector<uint8_t> excluded = flagsOf(request.excluded, pool.imageCount());
    SelectionRequest inner = request;
    inner.excluded.clear();
    inner.labeled.clear();
    if (request.excluded.empty()) { // indices unchanged: no copy of the pool
        for (int image = 0; image < pool.imageCount(); ++image)
            if (labeled[size_t(image)])
                inner.labeled.push_back(image);
        return selectFrom(std::move(pool), inner);
    }
    std::vector<int> kept;
    PatternPool candidates = poolWithout(pool, excluded, kept);
    pool = PatternPool(); // the copy replaces it
    for (size_t k = 0; k < kept.size(); ++k)
        if (labeled[size_t(kept[k])]) // a labeled image that is also excluded stays out
            inner.labeled.push_back(static_cast<int>(k));
    SelectionResult result = selectFrom(std::move(candidates), inner);
    for (Pick& pick : result.picks)
        pick.image = kept[size_t(pick.image)];
    return result;
}

std::unique_ptr<SelectionStrategy> makeSelectionStrategy(StrategyKind kind) {
    switch (kind) {
    case StrategyKind::FreeSel:
        return std::make_unique<DistanceSamplingStrategy>(kind, SamplingRule::DSquared, true);
    case StrategyKind::Fds:
        return std::make_unique<DistanceSamplingStrategy>(kind, SamplingRule::Farthest, true);
    case StrategyKind::KCenter:
        return std::make_unique<DistanceSamplingStrategy>(kind, SamplingRule::Farthest, false);
    case StrategyKind::Random:
        return std::make_unique<RandomStrategy>();
    case StrategyKind::KMeans:
        return std::make_unique<KMeansStrategy>();
    case StrategyKind::Elfs:
        throw std::invalid_argument("the elfs strategy needs the feature store's patch tokens: "
                                    "run it through the pipeline (selectElfs)");
    case StrategyKind::Clip:
        throw std::invalid_argument("the clip strategy needs the store's CLIP embeddings and the "
                                    "text encoder: run it through the pipeline (selectClip)");
    }
    throw std::invalid_argument("unknown selection strategy");
}

StrategyKind parseStrategyKind(const std::string& name) {
    for (const auto& [kind, text] : kNames) {
        if (name == text)
            return kind;
    }
    throw std::invalid_argument("strategy must be one of freesel, fds, random, kcenter, "
                                "kmeans, elfs, clip; got '" +
                                name + "'");
}

std::string strategyName(StrategyKind kind) {
    for (const auto& [candidate, text] : kNames) {
        if (candidate == kind)
            return text;
    }
    return "unknown";
}

void validateSelectionRequest(const SelectionRequest& request, int imageCount) {
    if (request.budget < 0)
        throw std::invalid_argument("budget must be >= 0, got " + std::to_string(request.budget));
    if (request.threads < 0)
        throw std::invalid_argument("threads must be >= 0 (0: all cores), got " +
                                    std::to_string(request.threads));
    if (imageCount < 0)
        return;
    for (const auto* list : {&request.labeled, &request.excluded})
        for (int image : *list)
            if (image < 0 || image >= imageCount)
                throw std::invalid_argument(
                    std::string(list == &request.labeled ? "labeled" : "excluded") +
                    " image index must be in [0, " + std::to_string(imageCount) + "), got " +
                    std::to_string(image));
}

int resolveThreadCount(int requested) {
    return requested > 0 ? requested : std::max(1, omp_get_num_procs());
}

} // namespace freesel
