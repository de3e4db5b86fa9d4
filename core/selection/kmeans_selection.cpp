// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/kmeans_selection.h"

#include "selection/distance_kernels.h"
#include "selection/distance_sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace freesel {

namespace {

struct Clustering {
    std::vector<float> centres; // k x dims
    std::vector<int> labels;    // per image
};

void assignImages(const PatternPool& pool, Clustering& clustering, int k, int threads) {
    const int dims = pool.dims();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int image = 0; image < pool.imageCount(); ++image) {
        int best = 0;
        float bestDistance = std::numeric_limits<float>::infinity();
        for (int c = 0; c < k; ++c) {
            const float d = squaredDistance(
                pool.pattern(image), &clustering.centres[static_cast<size_t>(c) * dims], dims);
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        clustering.labels[image] = best;
    }
}

void moveCentres(const PatternPool& pool, Clustering& clustering, int k) {
    const int dims = pool.dims();
    std::vector<double> sums(static_cast<size_t>(k) * dims, 0.0);
    std::vector<int> sizes(k, 0);
    for (int image = 0; image < pool.imageCount(); ++image) {
        const int c = clustering.labels[image];
        for (int i = 0; i < dims; ++i)
            sums[static_cast<size_t>(c) * dims + i] += pool.pattern(image)[i];
        ++sizes[c];
    }
    for (int c = 0; c < k; ++c)
        if (sizes[c] > 0)
            for (int i = 0; i < dims; ++i)
                clustering.centres[static_cast<size_t>(c) * dims + i] =
                    static_cast<float>(sums[static_cast<size_t>(c) * dims + i] / sizes[c]);
}

} // namespace

SelectionResult kmeansSelection(PatternPool pool, int64_t budget, uint64_t seed, int threads,
                                int maxIterations) {
    if (pool.patternCount() != pool.imageCount())
        throw std::invalid_argument("k-means selection needs exactly one global feature per image");
    threads = resolveThreadCount(threads);
    const int k = static_cast<int>(std::min<int64_t>(budget, pool.imageCount()));
    if (k <= 0)
        return {};
    // k-means++ starts are D^2 sampling with the Euclidean metric: reuse the exact sampler.
    DistanceSamplingOptions seeding;
    seeding.metric = DistanceMetric::Euclidean;
    seeding.threads = threads;
    const SelectionResult starts = distanceSampling(pool, k, seed, seeding);
    const int dims = pool.dims();
    Clustering clustering;
    clustering.labels.assign(pool.imageCount(), -1);
    for (const Pick& pick : starts.picks)
        clustering.centres.insert(clustering.centres.end(), pool.pattern(pick.image),
                                  pool.pattern(pick.image) + dims);
    for (int iteration = 0; iteration < maxIterations; ++iteration) {
        const std::vector<int> previous = clustering.labels;
        assignImages(pool, clustering, k, threads);
        if (clustering.labels == previous)
            break;
        moveCentres(pool, clustering, k);
    }
    // The member closest to each centre represents it; count members per cluster.
    std::vector<int> representative(k, -1), size(k, 0);
    std::vector<float> closest(k, std::numeric_limits<float>::infinity());
    for (int image = 0; image < pool.imageCount(); ++image) {
        const int c = clustering.labels[image];
        ++size[c];
        const float d = std::sqrt(squaredDistance(
            pool.pattern(image), &clustering.centres[static_cast<size_t>(c) * dims], dims));
        if (d < closest[c]) {
            closest[c] = d;
            representative[c] = image;
        }
    }
    std::vector<int> order(k);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&size](int a, int b) { return size[a] > size[b]; });
    SelectionResult result;
    std::vector<uint8_t> taken(pool.imageCount(), 0);
    for (int c : order) {
        if (representative[c] < 0)
            continue;
        result.picks.push_back({representative[c], closest[c]});
        taken[representative[c]] = 1;
    }
    // Clusters that emptied during Lloyd leave the budget short: fill it in k-means++ order.
    for (const Pick& pick : starts.picks) {
        if (static_cast<int>(result.picks.size()) >= k)
            break;
        if (!taken[pick.image]) {
            result.picks.push_back({pick.image, std::numeric_limits<double>::quiet_NaN()});
            taken[pick.image] = 1;
        }
    }
    return result;
}

} // namespace freesel
