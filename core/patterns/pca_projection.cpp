// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/pca_projection.h"

#include <Eigen/Dense>

#include <algorithm>

namespace freesel {

PatternProjection projectPatternsPca(const PatternPool& pool, int maxRows) {
    PatternProjection out;
    const int64_t rows = pool.patternCount();
    const int dims = pool.dims();
    if (rows == 0 || dims == 0)
        return out;
    std::vector<int64_t> chosen;
    if (rows <= maxRows) {
        chosen.resize(static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r)
            chosen[static_cast<size_t>(r)] = r;
    } else {
        const double step = static_cast<double>(rows) / maxRows;
        for (int i = 0; i < maxRows; ++i)
            chosen.push_back(static_cast<int64_t>(i * step));
    }
    const int n = static_cast<int>(chosen.size());
    Eigen::MatrixXd data(n, dims);
    for (int i = 0; i < n; ++i) {
        const float* row = pool.pattern(chosen[static_cast<size_t>(i)]);
        for (int c = 0; c < dims; ++c)
            data(i, c) = row[c];
    }
    const Eigen::RowVectorXd mean = data.colwise().mean();
    data.rowwise() -= mean;
    const Eigen::MatrixXd covariance = (data.transpose() * data) / std::max(1, n - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
    const Eigen::VectorXd values = solver.eigenvalues(); // ascending
    Eigen::MatrixXd axes(dims, 2);
    axes.col(0) = solver.eigenvectors().col(dims - 1);
    if (dims > 1)
        axes.col(1) = solver.eigenvectors().col(dims - 2);
    else
        axes.col(1).setZero();
    for (int a = 0; a < 2; ++a) {
        Eigen::Index largest = 0;
        axes.col(a).cwiseAbs().maxCoeff(&largest);
        if (axes(largest, a) < 0)
            axes.col(a) = -axes.col(a);
    }
    const double total = std::max(1e-300, values.sum());
    out.explained[0] = values(dims - 1) / total;
    out.explained[1] = dims > 1 ? values(dims - 2) / total : 0.0;
    const Eigen::MatrixXd projected = data * axes;
    out.x.resize(static_cast<size_t>(n));
    out.y.resize(static_cast<size_t>(n));
    out.image.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        out.x[static_cast<size_t>(i)] = projected(i, 0);
        out.y[static_cast<size_t>(i)] = projected(i, 1);
        out.image[static_cast<size_t>(i)] = pool.imageOf(chosen[static_cast<size_t>(i)]);
    }
    return out;
}

} // namespace freesel
