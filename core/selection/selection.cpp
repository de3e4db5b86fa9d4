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
    SelectionResult select(PatternPool pool, const SelectionRequest& request) const override {
        validateSelectionRequest(request);
        DistanceSamplingOptions options;
        options.rule = rule_;
        options.metric = request.metric;
        options.threads = request.threads;
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
    SelectionResult select(PatternPool pool, const SelectionRequest& request) const override {
        validateSelectionRequest(request);
        return randomSelection(pool.imageCount(), request.budget, request.seed);
    }
};

class KMeansStrategy : public SelectionStrategy {
public:
    StrategyKind kind() const override { return StrategyKind::KMeans; }
    bool usesPatterns() const override { return false; }
    SelectionResult select(PatternPool pool, const SelectionRequest& request) const override {
        validateSelectionRequest(request);
        return kmeansSelection(std::move(pool), request.budget, request.seed, request.threads);
    }
};

const std::pair<StrategyKind, const char*> kNames[] = {
    {StrategyKind::FreeSel, "freesel"}, {StrategyKind::Fds, "fds"},
    {StrategyKind::Random, "random"},   {StrategyKind::KCenter, "kcenter"},
    {StrategyKind::KMeans, "kmeans"},   {StrategyKind::Elfs, "elfs"},
    {StrategyKind::Clip, "clip"},
};

} // namespace

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

void validateSelectionRequest(const SelectionRequest& request) {
    if (request.budget < 0)
        throw std::invalid_argument("budget must be >= 0, got " + std::to_string(request.budget));
    if (request.threads < 0)
        throw std::invalid_argument("threads must be >= 0 (0: all cores), got " +
                                    std::to_string(request.threads));
}

int resolveThreadCount(int requested) {
    return requested > 0 ? requested : std::max(1, omp_get_num_procs());
}

} // namespace freesel
