// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/distance_kernels.h"

#include "util/target_clones.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

void toBfloat16(const float* values, int64_t count, uint16_t* out) {
    for (int64_t i = 0; i < count; ++i)
        out[i] = roundToBfloat16(values[i]);
}

FREESEL_CLONES void roundRowToBfloat16(const float* row, int dims, uint16_t* out, float* error2,
                                       float* norm2) {
    float error = 0.0f, norm = 0.0f;
#pragma omp simd reduction(+ : error, norm)
    for (int i = 0; i < dims; ++i) {
        const uint16_t rounded = roundToBfloat16(row[i]);
        out[i] = rounded;
        const float widened = widenBfloat16(rounded);
        const float difference = row[i] - widened; // exact (Sterbenz)
        error += difference * difference;
        norm += widened * widened;
    }
    *error2 = error;
    *norm2 = norm;
}

namespace {

// Portable path: a bfloat16 widens to float by a 16-bit shift, plain integer lanes the
// compiler vectorises.
FREESEL_CLONES void dotProductsBf16x4Widened(const uint16_t* const a[4], const uint16_t* const b[4],
                                             int dims, float out[4]) {
    const uint16_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
    const uint16_t *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int i = 0; i < dims; ++i) {
        s0 += widenBfloat16(a0[i]) * widenBfloat16(b0[i]);
        s1 += widenBfloat16(a1[i]) * widenBfloat16(b1[i]);
        s2 += widenBfloat16(a2[i]) * widenBfloat16(b2[i]);
        s3 += widenBfloat16(a3[i]) * widenBfloat16(b3[i]);
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define FREESEL_HAVE_AVX512BF16 1
// GCC 12's AVX-512 headers build reductions from _mm*_undefined_*() values and then warn
// about them (GCC bug 105593); the warning is about the header, not this code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
// vdpbf16ps multiplies 32 bfloat16 pairs and adds them into 16 float lanes per instruction:
// the fastest dot this CPU family has, and exact products (8 x 8 significant bits fit a float).
__attribute__((target("avx512f,avx512bw,avx512dq,avx512bf16"))) void
dotProductsBf16x4Avx512(const uint16_t* const a[4], const uint16_t* const b[4], int dims,
                        float out[4]) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                     _mm512_setzero_ps()};
    int i = 0;
    for (; i + 32 <= dims; i += 32)
        for (int k = 0; k < 4; ++k)
            acc[k] = _mm512_dpbf16_ps(acc[k], (__m512bh)_mm512_loadu_si512(a[k] + i),
                                      (__m512bh)_mm512_loadu_si512(b[k] + i));
    if (i < dims) {
        const auto mask = static_cast<__mmask32>((1ull << (dims - i)) - 1);
        for (int k = 0; k < 4; ++k)
            acc[k] = _mm512_dpbf16_ps(acc[k], (__m512bh)_mm512_maskz_loadu_epi16(mask, a[k] + i),
                                      (__m512bh)_mm512_maskz_loadu_epi16(mask, b[k] + i));
    }
    // Folded by hand: measured faster here than GCC 12's _mm512_reduce_add_ps.
    for (int k = 0; k < 4; ++k) {
        const __m256 half =
            _mm256_add_ps(_mm512_castps512_ps256(acc[k]), _mm512_extractf32x8_ps(acc[k], 1));
        __m128 quarter = _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
        quarter = _mm_add_ps(quarter, _mm_movehl_ps(quarter, quarter));
        quarter = _mm_add_ss(quarter, _mm_movehdup_ps(quarter));
        out[k] = _mm_cvtss_f32(quarter);
    }
}
#pragma GCC diagnostic pop
#endif

} // namespace

void dotProductsBf16x4(const uint16_t* const a[4], const uint16_t* const b[4], int dims,
                       float out[4]) {
#ifdef FREESEL_HAVE_AVX512BF16
    static const bool hasBf16 =
        __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512dq");
    if (hasBf16)
        return dotProductsBf16x4Avx512(a, b, dims, out);
#endif
    dotProductsBf16x4Widened(a, b, dims, out);
}

void dotProductsBf16x4Portable(const uint16_t* const a[4], const uint16_t* const b[4], int dims,
                               float out[4]) {
    dotProductsBf16x4Widened(a, b, dims, out);
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

} // namespace freesel
