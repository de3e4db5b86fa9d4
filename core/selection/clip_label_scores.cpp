// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/clip_label_scores.h"

#include "selection/distance_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

// The dot products of SDS are the selection's hot path (50,000 images in 100 labels: 25 million
// products of 512 floats). Eigen would compile its product for the SSE2 baseline of a portable
// binary; LibTorch's BLAS runs its own thread pool beside ours. So a 4 x 4 tile of dot products
// is written here, compiled for AVX-512, AVX2 and the baseline with GCC's target_clones (as
// distance_kernels.cpp), and run over strips of rows that stay in cache.

namespace freesel {

namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The images grouped by label, each label's rows contiguous (row-major, for the kernels):
/// label c in rows [start[c], start[c + 1]).
struct LabelGroups {
    RowMajor rows;
    Eigen::VectorXf squaredNorms;
    std::vector<int> image; ///< the image of each row
    std::vector<int> start;
};

LabelGroups groupByLabel(const Eigen::MatrixXf& images,
                         const std::vector<std::vector<int>>& members) {
    LabelGroups g;
    std::vector<int> rowOf(size_t(images.rows()));
    g.start.push_back(0);
    for (const std::vector<int>& label : members) {
        for (int i : label) {
            rowOf[size_t(i)] = int(g.image.size());
            g.image.push_back(i);
        }
        g.start.push_back(int(g.image.size()));
    }
    // A column-major matrix read row by row misses the cache on every float: copy blocks of
    // 16 images column by column instead (one cache line read, 16 rows written in sequence).
    constexpr Eigen::Index kBlock = 16;
    g.rows.resize(images.rows(), images.cols());
    for (Eigen::Index i0 = 0; i0 < images.rows(); i0 += kBlock) {
        const Eigen::Index count = std::min(kBlock, images.rows() - i0);
        for (Eigen::Index d = 0; d < images.cols(); ++d)
            for (Eigen::Index j = 0; j < count; ++j)
                g.rows(rowOf[size_t(i0 + j)], d) = images(i0 + j, d);
    }
    g.squaredNorms = g.rows.rowwise().squaredNorm();
    return g;
}

constexpr int kStrip = 64; ///< query rows per task: their dot products with a label fit in L2

/// dots[q * n + c] = dot(row begin + first + q, row begin + c) for the strip's `count` query
/// rows against the label's n rows [begin, begin + n).
void stripDots(const LabelGroups& g, int begin, int n, int first, int count, float* dots) {
    const int dims = int(g.rows.cols());
    const auto row = [&](int r) { return g.rows.row(begin + r).data(); };
    float tile[16];
    int q = 0;
    for (; q + 4 <= count; q += 4) {
        int c = 0;
        for (; c + 4 <= n; c += 4) {
            dotTile4x4(row(first + q), row(c), dims, tile);
            for (int i = 0; i < 4; ++i)
                std::copy(tile + 4 * i, tile + 4 * i + 4, dots + int64_t(q + i) * n + c);
        }
        for (int i = 0; i < 4; ++i) // the label's last rows, fewer than four
            for (int cc = c; cc < n; ++cc)
                dots[int64_t(q + i) * n + cc] = dotProduct(row(first + q + i), row(cc), dims);
    }
    for (; q < count; ++q) // the strip's last rows
        dotsWithRows(row(first + q), row(0), n, dims, dots + int64_t(q) * n);
}

/// SDS of one row from its dot products with its label's n rows (`dots`, overwritten).
double rowDiversity(const LabelGroups& g, int begin, int n, int r, int neighbours, float* dots) {
    // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, selected on the square (the root is monotone); the
    // root only for the K-1 neighbours. The row itself, marked -1, comes first.
    const float self = g.squaredNorms[begin + r];
    for (int c = 0; c < n; ++c)
        dots[c] = std::max(self + g.squaredNorms[begin + c] - 2.0f * dots[c], 0.0f);
    dots[r] = -1.0f;
    std::nth_element(dots, dots + neighbours, dots + n);
    std::sort(dots, dots + neighbours + 1);
    double sum = 0.0;
    for (int j = 1; j <= neighbours; ++j)
        sum += std::sqrt(dots[j]);
    return sum / neighbours;
}

struct Strip {
    int label, first, count;
};

} // namespace

LabelScores labelScores(const Eigen::MatrixXf& images, const Eigen::MatrixXf& unitTexts,
                        const std::vector<std::vector<int>>& members, int k) {
    const LabelGroups g = groupByLabel(images, members);
    const RowMajor texts = unitTexts; // contiguous rows for dotProduct
    std::vector<Strip> strips;
    int largest = 0;
    for (int c = 0; c + 1 < int(g.start.size()); ++c) {
        const int n = g.start[size_t(c) + 1] - g.start[size_t(c)];
        largest = std::max(largest, n);
        for (int first = 0; first < n; first += kStrip)
            strips.push_back({c, first, std::min(kStrip, n - first)});
    }
    LabelScores s;
    s.sas.assign(size_t(images.rows()), 0.0);
    s.sds.assign(size_t(images.rows()), 0.0);
    const int dims = int(g.rows.cols());
    // Strips, not labels, are the tasks: a large label is shared between the threads too.
    // Each image's scores are written once, by the strip that holds it.
#pragma omp parallel
    {
        std::vector<float> dots(size_t(kStrip) * size_t(largest)); // per thread, reused
#pragma omp for schedule(dynamic)
        for (int t = 0; t < int(strips.size()); ++t) {
            const Strip strip = strips[size_t(t)];
            const int begin = g.start[size_t(strip.label)];
            const int n = g.start[size_t(strip.label) + 1] - begin;
            const int neighbours = std::min(k, n) - 1; // a lone image: no neighbours, SDS 0
            if (neighbours > 0)
                stripDots(g, begin, n, strip.first, strip.count, dots.data());
            for (int q = 0; q < strip.count; ++q) {
                const int r = begin + strip.first + q;
                const auto image = size_t(g.image[size_t(r)]);
                const float norm = std::max(std::sqrt(g.squaredNorms[r]), 1e-12f);
                s.sas[image] = double(
                    dotProduct(g.rows.row(r).data(), texts.row(strip.label).data(), dims) / norm);
                if (neighbours > 0)
                    s.sds[image] = rowDiversity(g, begin, n, strip.first + q, neighbours,
                                                dots.data() + int64_t(q) * n);
            }
        }
    }
    return s;
}

} // namespace freesel
