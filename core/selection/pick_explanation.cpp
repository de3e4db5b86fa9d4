// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/pick_explanation.h"

#include <Eigen/Core>

#include <cmath>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The rows of one image as a matrix view (rows are contiguous per image).
Eigen::Map<const RowMatrix> rowsOf(const PatternPool& pool, int image) {
    return {pool.pattern(pool.firstPatternOf(image)), pool.patternCountOf(image), pool.dims()};
}

/// Distances from every row of `query` to every row of `rows` (query rows x rows).
Eigen::MatrixXd distances(const RowMatrix& query, const RowMatrix& rows, DistanceMetric metric) {
    const Eigen::MatrixXd q = query.cast<double>();
    const Eigen::MatrixXd r = rows.cast<double>();
    if (metric == DistanceMetric::Cosine) {
        // 1 - cos; a zero row has no direction: cos 0, distance 1 (as the sampler's kernels).
        const Eigen::VectorXd qn = q.rowwise().norm().cwiseMax(1e-30);
        const Eigen::VectorXd rn = r.rowwise().norm().cwiseMax(1e-30);
        const Eigen::MatrixXd cos =
            qn.cwiseInverse().asDiagonal() * (q * r.transpose()) * rn.cwiseInverse().asDiagonal();
        return (1.0 - cos.array()).max(0.0).matrix();
    }
    const Eigen::VectorXd q2 = q.rowwise().squaredNorm();
    const Eigen::VectorXd r2 = r.rowwise().squaredNorm();
    Eigen::MatrixXd d2 = (-2.0 * q * r.transpose()).colwise() + q2;
    d2.rowwise() += r2.transpose();
    return d2.array().max(0.0).sqrt().matrix();
}

void checkImage(const PatternPool& pool, int image) {
    if (image < 0 || image >= pool.imageCount())
        throw std::invalid_argument("explainPick: image " + std::to_string(image) +
                                    " is not in the pattern pool (0.." +
                                    std::to_string(pool.imageCount() - 1) + ")");
}

} // namespace

PickExplanation explainPick(const PatternPool& pool, const std::vector<int>& order, int rank,
                            DistanceMetric metric, const std::vector<int>& seeded) {
    if (rank < 1 || rank > static_cast<int>(order.size()))
        throw std::invalid_argument("explainPick: rank " + std::to_string(rank) +
                                    " is outside 1.." + std::to_string(order.size()));
    PickExplanation out;
    out.rank = rank;
    out.image = order[static_cast<size_t>(rank - 1)];
    checkImage(pool, out.image);
    // The selected set when it was drawn: the seeded images, then ranks 1 .. rank-1.
    std::vector<int> before = seeded;
    before.insert(before.end(), order.begin(), order.begin() + (rank - 1));
    out.uniform = before.empty();
    const int patterns = pool.patternCountOf(out.image);
    out.patternDistances.assign(static_cast<size_t>(patterns), PickExplanation::kNone);
    if (out.uniform || patterns == 0)
        return out;
    const RowMatrix query = rowsOf(pool, out.image);
    for (size_t b = 0; b < before.size(); ++b) {
        const int other = before[b];
        checkImage(pool, other);
        if (pool.patternCountOf(other) == 0)
            continue;
        const Eigen::MatrixXd d = distances(query, rowsOf(pool, other), metric);
        for (int p = 0; p < patterns; ++p) {
            const double nearest = d.row(p).minCoeff();
            double& current = out.patternDistances[static_cast<size_t>(p)];
            if (std::isnan(current) || nearest < current)
                current = nearest;
            if (std::isnan(out.nearestDistance) || nearest < out.nearestDistance) {
                out.nearestDistance = nearest;
                out.nearestImage = other;
                // Seeded images come first in `before` and have no rank.
                const int seededCount = static_cast<int>(seeded.size());
                out.nearestRank =
                    static_cast<int>(b) < seededCount ? 0 : static_cast<int>(b) - seededCount + 1;
            }
        }
    }
    for (int p = 0; p < patterns; ++p) {
        const double d = out.patternDistances[static_cast<size_t>(p)];
        if (!std::isnan(d) && (out.farthestPattern < 0 || d > out.farthestDistance)) {
            out.farthestPattern = p;
            out.farthestDistance = d;
        }
    }
    return out;
}

} // namespace freesel
