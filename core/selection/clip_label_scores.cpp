// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/clip_label_scores.h"

#include "selection/distance_kernels.h"
#include "util/target_clones.h"

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

/// out[4 i + j] = dot(a_i, b_j) for the four rows a_0..3 from `a` and b_0..3 from `b` (rows
/// `dims` apart): 16 independent sums over 8 loads a step, where one query against four rows
/// (dotsWithRows) loads five rows for four sums and is bound by the cache.
FREESEL_CLONES void dotTile4x4(const float* a, const float* b, int dims, float* out) {
    const float *a0 = a, *a1 = a + dims, *a2 = a1 + dims, *a3 = a2 + dims;
    const float *b0 = b, *b1 = b + dims, *b2 = b1 + dims, *b3 = b2 + dims;
    float s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    float s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
#pragma omp simd reduction(+ : s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30,   \
                               s31, s32, s33)
    for (int d = 0; d < dims; ++d) {
        const float x0 = a0[d], x1 = a1[d], x2 = a2[d], x3 = a3[d];
        const float y0 = b0[d], y1 = b1[d], y2 = b2[d], y3 = b3[d];
        s00 += x0 * y0, s01 += x0 * y1, s02 += x0 * y2, s03 += x0 * y3;
        s10 += x1 * y0, s11 += x1 * y1, s12 += x1 * y2, s13 += x1 * y3;
        s20 += x2 * y0, s21 += x2 * y1, s22 += x2 * y2, s23 += x2 * y3;
        s30 += x3 * y0, s31 += x3 * y1, s32 += x3 * y2, s33 += x3 * y3;
    }
    const float sums[16] = {s00, s01, s02, s03, s10, s11, s12, s13,
                            s20, s21, s22, s23, s30, s31, s32, s33};
    std::copy(sums, sums + 16, out);
}

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
