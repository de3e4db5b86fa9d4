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

/// Moves the free centres (those from `firstFree` on) to the mean of their members.
void moveCentres(const PatternPool& pool, Clustering& clustering, int k, int firstFree) {
    const int dims = pool.dims();
    std::vector<double> sums(static_cast<size_t>(k) * dims, 0.0);
    std::vector<int> sizes(k, 0);
    for (int image = 0; image < pool.imageCount(); ++image) {
        const int c = clustering.labels[image];
        for (int i = 0; i < dims; ++i)
            sums[static_cast<size_t>(c) * dims + i] += pool.pattern(image)[i];
        ++sizes[c];
    }
    for (int c = firstFree; c < k; ++c)
        if (sizes[c] > 0)
            for (int i = 0; i < dims; ++i)
                clustering.centres[static_cast<size_t>(c) * dims + i] =
                    static_cast<float>(sums[static_cast<size_t>(c) * dims + i] / sizes[c]);
}

} // namespace

SelectionResult kmeansSelection(PatternPool pool, int64_t budget, uint64_t seed, int threads,
                                const std::vector<int>& fixedImages, int maxIterations) {
    if (pool.patternCount() != pool.imageCount())
        throw std::invalid_argument("k-means selection needs exactly one global feature per image");
    threads = resolveThreadCount(threads);
    const auto fixed = static_cast<int>(fixedImages.size());
    const int free =
        static_cast<int>(std::min<int64_t>(budget, int64_t(pool.imageCount()) - fixed));
    if (free <= 0)
        return {};
    const int k = fixed + free;
    // k-means++ starts are D^2 sampling with the Euclidean metric: reuse the exact sampler
    // (seeded with the fixed centres, so the free ones start where those do not reach).
    DistanceSamplingOptions seeding;
    seeding.metric = DistanceMetric::Euclidean;
    seeding.threads = threads;
    seeding.seedImages = fixedImages;
    const SelectionResult starts = distanceSampling(pool, free, seed, seeding);
    const int dims = pool.dims();
    Clustering clustering;
    clustering.labels.assign(pool.imageCount(), -1);
    std::vector<uint8_t> isFixed(size_t(pool.imageCount()), 0);
    for (int image : fixedImages) {
        isFixed[size_t(image)] = 1;
        clustering.centres.insert(clustering.centres.end(), pool.pattern(image),
                                  pool.pattern(image) + dims);
    }
    for (const Pick& pick : starts.picks)
        clustering.centres.insert(clustering.centres.end(), pool.pattern(pick.image),
                                  pool.pattern(pick.image) + dims);
    for (int iteration = 0; iteration < maxIterations; ++iteration) {
        const std::vector<int> previous = clustering.labels;
        assignImages(pool, clustering, k, threads);
        if (clustering.labels == previous)
            break;
        moveCentres(pool, clustering, k, fixed);
    }
    // The unlabelled member closest to each free centre represents it; count members.
    std::vector<int> representative(k, -1), size(k, 0);
    std::vector<float> closest(k, std::numeric_limits<float>::infinity());
    for (int image = 0; image < pool.imageCount(); ++image) {
        const int c = clustering.labels[image];
        ++size[c];
        if (c < fixed || isFixed[size_t(image)])
            continue;
        const float d = std::sqrt(squaredDistance(
            pool.pattern(image), &clustering.centres[static_cast<size_t>(c) * dims], dims));
        if (d < closest[c]) {
            closest[c] = d;
            representative[c] = image;
        }
    }
    std::vector<int> order(free);
    std::iota(order.begin(), order.end(), fixed);
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
        if (static_cast<int>(result.picks.size()) >= free)
            break;
        if (!taken[pick.image]) {
            result.picks.push_back({pick.image, std::numeric_limits<double>::quiet_NaN()});
            taken[pick.image] = 1;
        }
    }
    return result;
}

} // namespace freesel
