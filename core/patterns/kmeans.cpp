// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/kmeans.h"

#include "util/random_stream.h"

#include <limits>
#include <unordered_map>

namespace freesel {

namespace {

using Matrix = Eigen::MatrixXd;

double squaredDistance(const Matrix& points, int i, const Matrix& centres, int k) {
    return (points.row(i) - centres.row(k)).squaredNorm();
}

/// k-means++: the first centre uniformly, each next one with probability D^2 / sum D^2.
Matrix seedCentres(const Matrix& points, int clusters, RandomStream& random) {
    const int n = static_cast<int>(points.rows());
    Matrix centres(clusters, points.cols());
    centres.row(0) = points.row(static_cast<int>(random.uniformIndex(n)));
    std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
    for (int k = 1; k < clusters; ++k) {
        double total = 0.0;
        for (int i = 0; i < n; ++i) {
            nearest[i] = std::min(nearest[i], squaredDistance(points, i, centres, k - 1));
            total += nearest[i];
        }
        int chosen = static_cast<int>(random.uniformIndex(n)); // all points coincide
        if (total > 0.0) {
            double target = random.uniform01() * total;
            for (chosen = 0; chosen < n - 1; ++chosen) {
                target -= nearest[chosen];
                if (target < 0.0 && nearest[chosen] > 0.0)
                    break;
            }
        }
        centres.row(k) = points.row(chosen);
    }
    return centres;
}

/// Assigns every point to its nearest centre (lowest index on ties); returns the inertia.
double assign(const Matrix& points, const Matrix& centres, std::vector<int>& labels) {
    double inertia = 0.0;
    for (int i = 0; i < points.rows(); ++i) {
        int best = 0;
        double bestDistance = std::numeric_limits<double>::infinity();
        for (int k = 0; k < centres.rows(); ++k) {
            const double d = squaredDistance(points, i, centres, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        labels[i] = best;
        inertia += bestDistance;
    }
    return inertia;
}

/// Moves each centre to the mean of its points; a centre with no points stays where it is
/// (its cluster ends up empty and is dropped).
void updateCentres(const Matrix& points, const std::vector<int>& labels, Matrix& centres) {
    Matrix sums = Matrix::Zero(centres.rows(), centres.cols());
    std::vector<int> counts(centres.rows(), 0);
    for (int i = 0; i < points.rows(); ++i) {
        sums.row(labels[i]) += points.row(i);
        ++counts[labels[i]];
    }
    for (int k = 0; k < centres.rows(); ++k) {
        if (counts[k] > 0)
            centres.row(k) = sums.row(k) / counts[k];
    }
}

KMeansResult runOnce(const Matrix& points, const KMeansOptions& options, RandomStream random) {
    Matrix centres = seedCentres(points, options.clusters, random);
    KMeansResult result;
    result.labels.assign(points.rows(), -1);
    std::vector<int> previous;
    for (int iteration = 0; iteration < options.maxIterations; ++iteration) {
        result.inertia = assign(points, centres, result.labels);
        if (result.labels == previous)
            break;
        previous = result.labels;
        updateCentres(points, result.labels, centres);
    }
    return result;
}

} // namespace

int compactLabels(std::vector<int>& labels) {
    std::unordered_map<int, int> renumber;
    for (int& label : labels) {
        auto [it, inserted] = renumber.emplace(label, static_cast<int>(renumber.size()));
        label = it->second;
    }
    return static_cast<int>(renumber.size());
}

KMeansResult kmeans(const Matrix& points, const KMeansOptions& options) {
    const int n = static_cast<int>(points.rows());
    KMeansResult best;
    if (n == 0)
        return best;
    if (options.clusters >= n) { // every point is its own cluster
        best.labels.resize(n);
        for (int i = 0; i < n; ++i)
            best.labels[i] = i;
        best.clusterCount = n;
        return best;
    }
    best.inertia = std::numeric_limits<double>::infinity();
    for (int restart = 0; restart < std::max(1, options.restarts); ++restart) {
        KMeansResult candidate =
            runOnce(points, options, RandomStream::forItem(options.seed, restart));
        if (candidate.inertia < best.inertia)
            best = std::move(candidate);
    }
    best.clusterCount = compactLabels(best.labels);
    return best;
}

} // namespace freesel
