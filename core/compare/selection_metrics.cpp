// SPDX-License-Identifier: GPL-3.0-or-later
#include "compare/selection_metrics.h"

#include "selection/distance_sampling.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace freesel {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The rows of `pool` (one per image), each scaled to unit length (zero rows stay zero).
RowMatrix unitRows(const PatternPool& pool) {
    const int64_t rows = pool.patternCount();
    RowMatrix m = Eigen::Map<const RowMatrix>(pool.pattern(0), rows, pool.dims());
    for (int64_t r = 0; r < rows; ++r) {
        const float norm = m.row(r).norm();
        if (norm > 0)
            m.row(r) /= norm;
    }
    return m;
}

void checkGlobalPool(const PatternPool& global, const std::vector<int>& selected) {
    if (global.patternCount() != global.imageCount())
        throw std::invalid_argument("global coverage needs one feature per image");
    for (int image : selected)
        if (image < 0 || image >= global.imageCount())
            throw std::invalid_argument("a selected image is outside the pool");
}

/// The rows of the selected images, in selection order.
RowMatrix rowsOf(const RowMatrix& unit, const std::vector<int>& selected) {
    RowMatrix chosen(static_cast<Eigen::Index>(selected.size()), unit.cols());
    for (size_t k = 0; k < selected.size(); ++k)
        chosen.row(static_cast<Eigen::Index>(k)) = unit.row(selected[k]);
    return chosen;
}

/// Cosine similarity of every image (rows) to every selected image (columns).
Eigen::MatrixXf similarityToSelected(const PatternPool& global, const std::vector<int>& selected) {
    const RowMatrix unit = unitRows(global);
    return unit * rowsOf(unit, selected).transpose();
}

} // namespace

std::vector<double> patternCoverageCurve(const PatternPool& patterns,
                                         const std::vector<int>& selected, int threads) {
    if (selected.empty())
        return {};
    DistanceSamplingOptions replay;
    replay.rule = SamplingRule::Replay;
    replay.metric = DistanceMetric::Cosine;
    replay.threads = threads;
    replay.replayOrder = selected;
    // The replay draws nothing: the seed is unused, and the curve is that of the given order.
    return distanceSampling(patterns, static_cast<int64_t>(selected.size()), 0, replay).coverage;
}

GlobalCoverage globalCoverage(const PatternPool& global, const std::vector<int>& selected) {
    checkGlobalPool(global, selected);
    GlobalCoverage out;
    if (selected.empty() || global.imageCount() == 0)
        return out;
    const Eigen::MatrixXf similarity = similarityToSelected(global, selected);
    double sum = 0;
    for (Eigen::Index i = 0; i < similarity.rows(); ++i) {
        const double distance = std::max(0.0, 1.0 - double(similarity.row(i).maxCoeff()));
        sum += distance;
        out.radius = std::max(out.radius, distance);
    }
    out.meanDistance = sum / double(similarity.rows());
    return out;
}

double redundancy(const PatternPool& global, const std::vector<int>& selected) {
    checkGlobalPool(global, selected);
    if (selected.size() < 2)
        return 0.0;
    const RowMatrix chosen = rowsOf(unitRows(global), selected);
    Eigen::MatrixXf similarity = chosen * chosen.transpose();
    similarity.diagonal().setConstant(-2.0f); // an image is not its own neighbour
    double sum = 0;
    for (Eigen::Index i = 0; i < similarity.rows(); ++i)
        sum += double(similarity.row(i).maxCoeff());
    return sum / double(similarity.rows());
}

LabelMetrics labelMetrics(const std::vector<int>& labels, int classCount,
                          const std::vector<int>& selected) {
    std::vector<int64_t> pool(size_t(std::max(classCount, 0)), 0), chosen(pool.size(), 0);
    auto count = [&](int image, std::vector<int64_t>& histogram) -> int64_t {
        if (image < 0 || size_t(image) >= labels.size())
            throw std::invalid_argument("a selected image is outside the labelled pool");
        const int label = labels[size_t(image)];
        if (label < 0)
            return 0;
        if (label >= classCount)
            throw std::invalid_argument("a label is outside the class list");
        ++histogram[size_t(label)];
        return 1;
    };
    int64_t poolTotal = 0, chosenTotal = 0;
    for (int image = 0; image < int(labels.size()); ++image)
        poolTotal += count(image, pool);
    for (int image : selected)
        chosenTotal += count(image, chosen);

    LabelMetrics out;
    out.smallestClassShare = 1.0;
    for (size_t c = 0; c < pool.size(); ++c) {
        if (pool[c] == 0)
            continue; // a class the pool never shows cannot be missed
        ++out.classes;
        const double q = chosenTotal > 0 ? double(chosen[c]) / double(chosenTotal) : 0.0;
        out.smallestClassShare = std::min(out.smallestClassShare, q);
        if (chosen[c] == 0)
            continue;
        ++out.classesCovered;
        const double p = double(pool[c]) / double(poolTotal);
        out.entropy -= q * std::log(q);
        out.klDivergence += q * std::log(q / p);
    }
    if (out.classes == 0)
        out.smallestClassShare = 0.0;
    return out;
}

InstanceMetrics instanceMetrics(const std::vector<std::vector<int>>& boxCategories,
                                const std::vector<int>& selected) {
    InstanceMetrics out;
    std::set<int> categories;
    for (int image : selected) {
        if (image < 0 || size_t(image) >= boxCategories.size())
            throw std::invalid_argument("a selected image is outside the annotated pool");
        for (int category : boxCategories[size_t(image)]) {
            ++out.instances;
            categories.insert(category);
        }
    }
    out.categoriesCovered = int(categories.size());
    return out;
}

double expectedClassesCoveredByRandom(const std::vector<int64_t>& classSizes, int64_t poolSize,
                                      int64_t budget) {
    budget = std::clamp<int64_t>(budget, 0, poolSize);
    double expected = 0;
    for (int64_t size : classSizes) {
        if (size <= 0)
            continue;
        // P(class missed) = C(N - n, B) / C(N, B) = prod_{i<B} (N - n - i) / (N - i), in logs.
        double logMissed = 0;
        bool missable = poolSize - size >= budget;
        for (int64_t i = 0; missable && i < budget; ++i)
            logMissed += std::log(double(poolSize - size - i)) - std::log(double(poolSize - i));
        expected += missable ? 1.0 - std::exp(logMissed) : 1.0;
    }
    return expected;
}

} // namespace freesel
