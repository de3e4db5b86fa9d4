// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/group_projections.h"

#include "selection/distance_kernels.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace freesel {

namespace {

// Rows sampled per group for its principal directions: the directions only steer how tight
// the bound is (any orthonormal set keeps it valid), and 32 rows show a 15-dimensional spread.
constexpr int64_t kSampleRows = 32;

/// Appends `vector` to the orthonormal `basis` (Gram-Schmidt twice, in double, so the result is
/// orthonormal to double precision); returns false and appends nothing when it is (nearly)
/// inside the span already.
bool appendOrthonormal(std::vector<std::vector<double>>& basis, std::vector<double> vector) {
    const double before =
        std::sqrt(std::inner_product(vector.begin(), vector.end(), vector.begin(), 0.0));
    if (!(before > 0.0))
        return false;
    for (int pass = 0; pass < 2; ++pass)
        for (const std::vector<double>& u : basis) {
            const double along = std::inner_product(vector.begin(), vector.end(), u.begin(), 0.0);
            for (size_t k = 0; k < vector.size(); ++k)
                vector[k] -= along * u[k];
        }
    const double after =
        std::sqrt(std::inner_product(vector.begin(), vector.end(), vector.begin(), 0.0));
    if (!(after > 1e-6 * before))
        return false;
    for (double& value : vector)
        value /= after;
    basis.push_back(std::move(vector));
    return true;
}

void storeDirections(const std::vector<std::vector<double>>& basis, int dims, float* directions) {
    for (size_t i = 0; i < basis.size(); ++i)
        for (int k = 0; k < dims; ++k)
            directions[i * dims + k] = static_cast<float>(basis[i][k]);
}

} // namespace

void groupDirections(const GroupingRows& rows, int64_t begin, int64_t end, const float* centre,
                     int width, float* directions) {
    const int dims = rows.dims;
    std::fill_n(directions, static_cast<size_t>(width) * dims, 0.0f);
    std::vector<std::vector<double>> basis;
    if (width <= 0 || !appendOrthonormal(basis, std::vector<double>(centre, centre + dims)))
        return;
    // The sampled rows' components orthogonal to the centre (float: the directions only steer
    // tightness), and their Gram matrix: its leading eigenvectors combine the rows into the
    // leading principal directions (sampled^2 dots, not a dims x dims covariance).
    const int64_t count = end - begin;
    const auto sampled = static_cast<int>(std::min(count, kSampleRows));
    std::vector<float> residuals(size_t(sampled) * dims), unitCentre(dims);
    for (int k = 0; k < dims; ++k)
        unitCentre[k] = static_cast<float>(basis[0][k]);
    for (int j = 0; j < sampled; ++j) {
        float* residual = &residuals[size_t(j) * dims];
        const float* row = rows.row(begin + j * count / sampled, residual);
        const float along = dotProduct(row, unitCentre.data(), dims);
        for (int k = 0; k < dims; ++k)
            residual[k] = row[k] - along * unitCentre[k];
    }
    if (sampled < 2) { // no spread to find (Eigen's solver also refuses an empty matrix)
        storeDirections(basis, dims, directions);
        return;
    }
    Eigen::MatrixXd gram(sampled, sampled);
    std::vector<float> dots(sampled);
    for (int j = 0; j < sampled; ++j) {
        dotsWithRows(&residuals[size_t(j) * dims], residuals.data(), sampled, dims, dots.data());
        for (int i = 0; i < sampled; ++i)
            gram(i, j) = dots[i];
    }
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram);
    const double largest = std::max(1e-30, solver.eigenvalues()(sampled - 1));
    std::vector<double> direction(dims);
    for (int e = sampled - 1; e >= 0 && static_cast<int>(basis.size()) < width; --e) {
        if (!(solver.eigenvalues()(e) > 1e-6 * largest)) // below: float noise
            break;
        std::fill(direction.begin(), direction.end(), 0.0);
        for (int j = 0; j < sampled; ++j) {
            const double weight = solver.eigenvectors()(j, e);
            const float* residual = &residuals[size_t(j) * dims];
            for (int k = 0; k < dims; ++k)
                direction[k] += weight * residual[k];
        }
        appendOrthonormal(basis, direction);
    }
    storeDirections(basis, dims, directions);
}

namespace {
/// sqrt(max(0, 1 - |coordinates|^2 + allowance)): what a unit vector leaves over.
float leftOver(const float* coordinates, int width) {
    double captured = 0.0;
    for (int i = 0; i < width; ++i)
        captured += double(coordinates[i]) * coordinates[i];
    return static_cast<float>(std::sqrt(std::max(0.0, 1.0 - captured + kResidualAllowance)));
}
} // namespace

float projectUnit(const float* vector, const float* directions, int width, int dims,
                  float* coordinates) {
    dotsWithRows(vector, directions, width, dims, coordinates);
    return leftOver(coordinates, width);
}

void projectUnitRows(const float* rows, int count, const float* directions, int width, int dims,
                     float* coordinates, float* leftOvers) {
    dotsOfRowsWithRows(rows, count, directions, width, dims, coordinates);
    for (int r = 0; r < count; ++r)
        leftOvers[r] = leftOver(&coordinates[size_t(r) * width], width);
}

} // namespace freesel
