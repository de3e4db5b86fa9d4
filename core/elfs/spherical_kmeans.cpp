// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/spherical_kmeans.h"

#include "util/random_stream.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

Eigen::MatrixXf normalisedRows(const Eigen::MatrixXf& rows) {
    Eigen::MatrixXf unit = rows;
    for (Eigen::Index i = 0; i < unit.rows(); ++i) {
        const float norm = unit.row(i).norm();
        if (norm > 0.0f)
            unit.row(i) /= norm;
    }
    return unit;
}

/// k-means++ on the sphere: the next centre drawn with weight 1 - max cosine so far.
Eigen::MatrixXf plusPlusStart(const Eigen::MatrixXf& unit, int k, RandomStream& random) {
    const Eigen::Index n = unit.rows();
    Eigen::MatrixXf centres(k, unit.cols());
    centres.row(0) = unit.row(Eigen::Index(random.uniformIndex(uint64_t(n))));
    Eigen::VectorXf best = unit * centres.row(0).transpose();
    for (int c = 1; c < k; ++c) {
        double total = 0.0;
        for (Eigen::Index i = 0; i < n; ++i)
            total += std::max(0.0, 1.0 - double(best[i]));
        Eigen::Index pick = Eigen::Index(random.uniformIndex(uint64_t(n)));
        if (total > 0.0) {
            double target = random.uniform01() * total;
            for (Eigen::Index i = 0; i < n; ++i) {
                target -= std::max(0.0, 1.0 - double(best[i]));
                if (target < 0.0) {
                    pick = i;
                    break;
                }
            }
        }
        centres.row(c) = unit.row(pick);
        best = best.cwiseMax(unit * centres.row(c).transpose());
    }
    return centres;
}

SphericalKMeansResult lloyd(const Eigen::MatrixXf& unit, Eigen::MatrixXf centres, int iterations) {
    const Eigen::Index n = unit.rows();
    const int k = int(centres.rows());
    SphericalKMeansResult result;
    result.labels.assign(size_t(n), -1);
    for (int iteration = 0; iteration < iterations; ++iteration) {
        const Eigen::MatrixXf sims = unit * centres.transpose();
        bool changed = false;
        result.cohesion = 0.0;
        Eigen::VectorXf own(n);
        for (Eigen::Index i = 0; i < n; ++i) {
            Eigen::Index label = 0;
            own[i] = sims.row(i).maxCoeff(&label);
            result.cohesion += own[i];
            changed |= result.labels[size_t(i)] != int(label);
            result.labels[size_t(i)] = int(label);
        }
        if (!changed && iteration > 0)
            break;
        Eigen::MatrixXf sums = Eigen::MatrixXf::Zero(k, unit.cols());
        std::vector<int64_t> counts(size_t(k), 0);
        for (Eigen::Index i = 0; i < n; ++i) {
            sums.row(result.labels[size_t(i)]) += unit.row(i);
            ++counts[size_t(result.labels[size_t(i)])];
        }
        for (int c = 0; c < k; ++c) {
            if (counts[size_t(c)] == 0 || sums.row(c).norm() == 0.0f) {
                // An empty cluster restarts on the row worst served by its centre.
                Eigen::Index worst = 0;
                own.minCoeff(&worst);
                centres.row(c) = unit.row(worst);
                own[worst] = 1.0f;
            } else {
                centres.row(c) = sums.row(c).normalized();
            }
        }
    }
    result.centroids = std::move(centres);
    return result;
}

} // namespace

SphericalKMeansResult sphericalKMeans(const Eigen::MatrixXf& rows,
                                      const SphericalKMeansOptions& options) {
    if (options.clusters < 1 || options.clusters > rows.rows())
        throw std::invalid_argument("--elfs-clusters: " + std::to_string(options.clusters) +
                                    " is outside the valid range [1, " +
                                    std::to_string(rows.rows()) + "] (the usable images)");
    const Eigen::MatrixXf unit = normalisedRows(rows);
    SphericalKMeansResult best;
    best.cohesion = -std::numeric_limits<double>::infinity();
    for (int restart = 0; restart < std::max(1, options.restarts); ++restart) {
        RandomStream random = RandomStream::forItem(options.seed, uint64_t(restart));
        SphericalKMeansResult candidate =
            lloyd(unit, plusPlusStart(unit, options.clusters, random), options.maxIterations);
        if (candidate.cohesion > best.cohesion)
            best = std::move(candidate);
    }
    return best;
}

std::vector<double> centroidMargins(const Eigen::MatrixXf& rows, const Eigen::MatrixXf& centroids,
                                    const std::vector<int>& labels) {
    const Eigen::MatrixXf sims = normalisedRows(rows) * centroids.transpose();
    std::vector<double> margins(size_t(rows.rows()));
    for (Eigen::Index i = 0; i < rows.rows(); ++i) {
        const int y = labels[size_t(i)];
        double other = -std::numeric_limits<double>::infinity();
        for (Eigen::Index c = 0; c < sims.cols(); ++c)
            if (c != y)
                other = std::max(other, double(sims(i, c)));
        margins[size_t(i)] = sims.cols() > 1 ? double(sims(i, y)) - other : 0.0;
    }
    return margins;
}

namespace {

std::vector<double> averageRanks(const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> ranks(v.size());
    for (size_t start = 0; start < order.size();) {
        size_t end = start;
        while (end + 1 < order.size() && v[order[end + 1]] == v[order[start]])
            ++end;
        for (size_t j = start; j <= end; ++j)
            ranks[order[j]] = 0.5 * double(start + end);
        start = end + 1;
    }
    return ranks;
}

} // namespace

double spearmanCorrelation(const std::vector<double>& a, const std::vector<double>& b) {
    const std::vector<double> ra = averageRanks(a), rb = averageRanks(b);
    const double n = double(ra.size());
    const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
    const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
    double sab = 0.0, saa = 0.0, sbb = 0.0;
    for (size_t i = 0; i < ra.size(); ++i) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    if (saa == 0.0 || sbb == 0.0)
        return std::numeric_limits<double>::quiet_NaN();
    return sab / std::sqrt(saa * sbb);
}

} // namespace freesel
