// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/vit_row_kernels.h"

#include "util/bfloat16.h"
#include "util/target_clones.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

// Hand-written loops: ATen 1.13 runs each of these steps as its own pass (and OpenMP region),
// converts bfloat16 through float32 tensors, and has no fused residual + LayerNorm. The loops
// are plain C++ that `omp simd` vectorises; FREESEL_CLONES builds them for AVX-512, AVX2 and
// the baseline. The math helpers are inline so they vectorise inside those loops.

namespace freesel::vitrows {

namespace {

inline float widen(float value) {
    return value;
}

inline float widen(Bf16 value) {
    return widenBfloat16(value);
}

inline void store(float value, float* out) {
    *out = value;
}

inline void store(float value, Bf16* out) {
    *out = roundToBfloat16(value);
}

/// exp(x) for x <= 0 (Cephes expf): x = n ln2 + r with |r| <= ln2 / 2, a degree-6 polynomial in
/// r, and 2^n built in the exponent bits. Below -87 (where exp is under float's normal range) it
/// returns exp(-87) ~ 1.6e-38, which is 0 to a softmax or erf.
inline float expNonPositiveInline(float x) {
    x = x < -87.0f ? -87.0f : x;
    // Rounds x / ln2 to an integer for x <= 0 (truncation of y - 0.5 toward zero).
    const int n = static_cast<int>(x * 1.44269504088896341f - 0.5f);
    const float fn = static_cast<float>(n);
    float r = x - fn * 0.693359375f; // ln2 split in two for an exact reduction
    r = r + fn * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const std::uint32_t bits = std::uint32_t(n + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/// erf by Abramowitz-Stegun 7.1.26 (as ATen's Vectorized<float>::erf).
inline float erfInline(float x) {
    const float a = x < 0.0f ? -x : x;
    const float t = 1.0f / (0.3275911f * a + 1.0f);
    float r = 1.061405429f * t - 1.453152027f;
    r = r * t + 1.421413741f;
    r = r * t - 0.284496736f;
    r = r * t + 0.254829592f;
    const float y = 1.0f - r * t * expNonPositiveInline(-a * a);
    return x < 0.0f ? -y : y;
}

template <class T> inline void geluInline(T* x, std::int64_t begin, std::int64_t end) {
#pragma omp simd
    for (std::int64_t i = begin; i < end; ++i) {
        const float v = widen(x[i]);
        store(0.5f * v * (1.0f + erfInline(v * 0.70710678118654752f)), &x[i]);
    }
}

template <class B, class O>
inline void residualLayerNormInline(const ResidualNorm& p, std::int64_t begin, std::int64_t end) {
    const std::int64_t width = p.width;
    const float* weight = p.weight;
    const float* bias = p.bias;
    const float* gamma = p.gamma;
    for (std::int64_t row = begin; row < end; ++row) {
        float* x = p.x + row * width;
        float sum = 0.0f;
        if (!p.branch) {
#pragma omp simd reduction(+ : sum)
            for (std::int64_t i = 0; i < width; ++i)
                sum += x[i];
        } else if (gamma) {
            const B* b = static_cast<const B*>(p.branch) + row * width;
#pragma omp simd reduction(+ : sum)
            for (std::int64_t i = 0; i < width; ++i) {
                x[i] += gamma[i] * widen(b[i]);
                sum += x[i];
            }
        } else {
            const B* b = static_cast<const B*>(p.branch) + row * width;
#pragma omp simd reduction(+ : sum)
            for (std::int64_t i = 0; i < width; ++i) {
                x[i] += widen(b[i]);
                sum += x[i];
            }
        }
        const float mean = sum / float(width);
        float squares = 0.0f; // two passes: exact for rows with a large mean
#pragma omp simd reduction(+ : squares)
        for (std::int64_t i = 0; i < width; ++i)
            squares += (x[i] - mean) * (x[i] - mean);
        const float rstd = 1.0f / std::sqrt(squares / float(width) + p.eps);
        O* out = static_cast<O*>(p.out) + row * width;
#pragma omp simd
        for (std::int64_t i = 0; i < width; ++i)
            store((x[i] - mean) * rstd * weight[i] + bias[i], &out[i]);
    }
}

// always_inline: called from several clones, GCC would otherwise keep one baseline copy and the
// exp would not vectorise.
template <class I, class O>
inline __attribute__((always_inline)) void softmaxInline(const I* in, std::int64_t inStride, O* out,
                                                         std::int64_t outStride, std::int64_t cols,
                                                         std::int64_t rows, float* exps) {
    for (std::int64_t row = 0; row < rows; ++row) {
        const I* x = in + row * inStride;
        float top = widen(x[0]);
#pragma omp simd reduction(max : top)
        for (std::int64_t i = 0; i < cols; ++i)
            top = std::max(top, widen(x[i]));
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (std::int64_t i = 0; i < cols; ++i) {
            exps[i] = expNonPositiveInline(widen(x[i]) - top);
            sum += exps[i];
        }
        const float scale = 1.0f / sum;
        O* y = out + row * outStride; // may alias x: x is no longer read
#pragma omp simd
        for (std::int64_t i = 0; i < cols; ++i)
            store(exps[i] * scale, &y[i]);
    }
}

template <class I, class O>
inline __attribute__((always_inline)) void
softmaxInline(const void* in, void* out, std::int64_t cols, std::int64_t begin, std::int64_t end) {
    std::vector<float> e(static_cast<size_t>(cols));
    softmaxInline(static_cast<const I*>(in) + begin * cols, cols,
                  static_cast<O*>(out) + begin * cols, cols, cols, end - begin, e.data());
}

// One entry point per type combination: target_clones does not apply to templates.
FREESEL_CLONES void normF32F32(const ResidualNorm& p, std::int64_t begin, std::int64_t end) {
    residualLayerNormInline<float, float>(p, begin, end);
}
FREESEL_CLONES void normF32Bf16(const ResidualNorm& p, std::int64_t begin, std::int64_t end) {
    residualLayerNormInline<float, Bf16>(p, begin, end);
}
FREESEL_CLONES void normBf16F32(const ResidualNorm& p, std::int64_t begin, std::int64_t end) {
    residualLayerNormInline<Bf16, float>(p, begin, end);
}
FREESEL_CLONES void normBf16Bf16(const ResidualNorm& p, std::int64_t begin, std::int64_t end) {
    residualLayerNormInline<Bf16, Bf16>(p, begin, end);
}

FREESEL_CLONES void softmaxF32F32(const void* in, void* out, std::int64_t cols, std::int64_t begin,
                                  std::int64_t end) {
    softmaxInline<float, float>(in, out, cols, begin, end);
}
FREESEL_CLONES void softmaxF32Bf16(const void* in, void* out, std::int64_t cols, std::int64_t begin,
                                   std::int64_t end) {
    softmaxInline<float, Bf16>(in, out, cols, begin, end);
}
FREESEL_CLONES void softmaxBf16F32(const void* in, void* out, std::int64_t cols, std::int64_t begin,
                                   std::int64_t end) {
    softmaxInline<Bf16, float>(in, out, cols, begin, end);
}
FREESEL_CLONES void softmaxBf16Bf16(const void* in, void* out, std::int64_t cols,
                                    std::int64_t begin, std::int64_t end) {
    softmaxInline<Bf16, Bf16>(in, out, cols, begin, end);
}

FREESEL_CLONES void softmaxStridedF32(const float* in, std::int64_t inStride, float* out,
                                      std::int64_t outStride, std::int64_t cols, std::int64_t rows,
                                      float* scratch) {
    softmaxInline(in, inStride, out, outStride, cols, rows, scratch);
}
FREESEL_CLONES void softmaxStridedBf16(const float* in, std::int64_t inStride, Bf16* out,
                                       std::int64_t outStride, std::int64_t cols, std::int64_t rows,
                                       float* scratch) {
    softmaxInline(in, inStride, out, outStride, cols, rows, scratch);
}

FREESEL_CLONES void geluF32(float* x, std::int64_t begin, std::int64_t end) {
    geluInline(x, begin, end);
}

/// GELU of every bfloat16, correctly rounded: erf-GELU in double, rounded to nearest even.
/// A bfloat16 input has only 65,536 values, so a 128 KB table (the few exponents activations
/// take stay in L1) replaces ~50 vector operations per element (erf's exp, a division and two
/// polynomials) by one load: 0.252 -> 0.178 ms per ViT-S/16 block of 2 images on one Zen 4
/// core (`freesel-bench vit --breakdown=1 --clock=thread --batch=2`), and exact where the
/// polynomial was within 1.5e-7 before rounding.
std::vector<Bf16> makeBf16GeluTable() {
    std::vector<Bf16> table(std::size_t(1) << 16);
    for (std::size_t bits = 0; bits < table.size(); ++bits) {
        const double x = widenBfloat16(Bf16(bits));
        const double gelu = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
        table[bits] = std::isnan(gelu) ? Bf16(0x7fc0) : roundToBfloat16(float(gelu));
    }
    return table;
}

const Bf16* bf16GeluTable() {
    static const std::vector<Bf16> table = makeBf16GeluTable();
    return table.data();
}

void geluBf16(Bf16* x, std::int64_t begin, std::int64_t end) {
    // A plain loop: an AVX-512 gather of the same lookups measured slower on Zen 4.
    const Bf16* table = bf16GeluTable();
    for (std::int64_t i = begin; i < end; ++i)
        x[i] = table[x[i]];
}

} // namespace

void residualLayerNorm(const ResidualNorm& p, std::int64_t begin, std::int64_t end) {
    if (p.branchBf16)
        (p.outBf16 ? normBf16Bf16 : normBf16F32)(p, begin, end);
    else
        (p.outBf16 ? normF32Bf16 : normF32F32)(p, begin, end);
}

void softmaxRows(const void* in, bool inBf16, void* out, bool outBf16, std::int64_t cols,
                 std::int64_t begin, std::int64_t end) {
    if (inBf16)
        (outBf16 ? softmaxBf16Bf16 : softmaxBf16F32)(in, out, cols, begin, end);
    else
        (outBf16 ? softmaxF32Bf16 : softmaxF32F32)(in, out, cols, begin, end);
}

void softmaxRowsStrided(const float* in, std::int64_t inStride, void* out, bool outBf16,
                        std::int64_t outStride, std::int64_t cols, std::int64_t rows,
                        float* scratch) {
    if (outBf16)
        softmaxStridedBf16(in, inStride, static_cast<Bf16*>(out), outStride, cols, rows, scratch);
    else
        softmaxStridedF32(in, inStride, static_cast<float*>(out), outStride, cols, rows, scratch);
}

void geluErf(float* x, std::int64_t begin, std::int64_t end) {
    geluF32(x, begin, end);
}

void geluErf(Bf16* x, std::int64_t begin, std::int64_t end) {
    geluBf16(x, begin, end);
}

float erfApprox(float x) {
    return erfInline(x);
}

float expNonPositive(float x) {
    return expNonPositiveInline(x);
}

} // namespace freesel::vitrows
