// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/distance_kernels.h"

#include "util/target_clones.h"

#include <algorithm>

// Hand-written loops instead of Eigen here: Eigen picks its SIMD width at compile time, and a
// portable binary (Debian's baseline is SSE2) would lose 4-8x on the selection's hot path.
// GCC's target_clones compiles each function for several instruction sets and dispatches once
// through an ifunc, so one binary runs everywhere and uses AVX-512 or AVX2 where present.
// `omp simd reduction` lets the compiler vectorise the float sum without -ffast-math.

namespace freesel {

FREESEL_CLONES float dotProduct(const float* a, const float* b, int dims) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < dims; ++i)
        sum += a[i] * b[i];
    return sum;
}

FREESEL_CLONES float squaredDistance(const float* a, const float* b, int dims) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < dims; ++i) {
        const float difference = a[i] - b[i];
        sum += difference * difference;
    }
    return sum;
}

FREESEL_CLONES void dotProducts4(const float* const a[4], const float* const b[4], int dims,
                                 float out[4]) {
    const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
    const float *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int i = 0; i < dims; ++i) {
        s0 += a0[i] * b0[i];
        s1 += a1[i] * b1[i];
        s2 += a2[i] * b2[i];
        s3 += a3[i] * b3[i];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

FREESEL_CLONES void dotsWithRows(const float* query, const float* rows, int rowCount, int dims,
                                 float* out) {
    int r = 0;
    for (; r + 4 <= rowCount; r += 4) {
        const float* r0 = rows + static_cast<int64_t>(r) * dims;
        const float* r1 = r0 + dims;
        const float* r2 = r1 + dims;
        const float* r3 = r2 + dims;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
        for (int i = 0; i < dims; ++i) {
            const float x = query[i];
            s0 += x * r0[i];
            s1 += x * r1[i];
            s2 += x * r2[i];
            s3 += x * r3[i];
        }
        out[r] = s0;
        out[r + 1] = s1;
        out[r + 2] = s2;
        out[r + 3] = s3;
    }
    for (; r < rowCount; ++r)
        out[r] = dotProduct(query, rows + static_cast<int64_t>(r) * dims, dims);
}

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

void dotsOfRowsWithRows(const float* queries, int queryCount, const float* rows, int rowCount,
                        int dims, float* out) {
    const int fullQueries = queryCount / 4 * 4, fullRows = rowCount / 4 * 4;
    float tile[16];
    for (int q = 0; q < fullQueries; q += 4) {
        const float* block = queries + int64_t(q) * dims;
        for (int r = 0; r < fullRows; r += 4) {
            dotTile4x4(block, rows + int64_t(r) * dims, dims, tile);
            for (int i = 0; i < 4; ++i)
                std::copy_n(tile + 4 * i, 4, out + int64_t(q + i) * rowCount + r);
        }
        for (int i = 0; i < 4; ++i)
            for (int r = fullRows; r < rowCount; ++r)
                out[int64_t(q + i) * rowCount + r] =
                    dotProduct(block + int64_t(i) * dims, rows + int64_t(r) * dims, dims);
    }
    for (int q = fullQueries; q < queryCount; ++q)
        dotsWithRows(queries + int64_t(q) * dims, rows, rowCount, dims,
                     out + int64_t(q) * rowCount);
}

} // namespace freesel
