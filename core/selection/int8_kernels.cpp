// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/int8_kernels.h"

#include "util/target_clones.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Hand-written for the same reason as distance_kernels.cpp: the selection's hot path must use
// the CPU's widest instructions from one portable binary, and no library offers a four-pair
// u8 x s8 dot with exact integer sums.

namespace freesel {

namespace {

struct CodeSums {
    float error2 = 0.0f; // sum (x - x^)^2
    float norm2 = 0.0f;  // sum x^2 of the restored values
    int32_t codeSum = 0;
};

FREESEL_CLONES float largestMagnitude(const float* values, int dims) {
    float largest = 0.0f;
#pragma omp simd reduction(max : largest)
    for (int i = 0; i < dims; ++i)
        largest = std::max(largest, std::abs(values[i]));
    return largest;
}

/// 0 for a zero (or vanishing) vector, so its codes are 0 and no inverse overflows.
float scaleFor(float largest) {
    return largest > 1e-30f ? largest / 127.0f : 0.0f;
}

/// Signed codes round(x / scale) in [-127, 127] (multiplied by the inverse: the error and norm
/// are measured on the codes actually kept, so how a code was rounded never matters).
FREESEL_CLONES CodeSums quantiseLoop(const float* values, int dims, float scale, int8_t* codes) {
    const float inverse = scale > 0.0f ? 1.0f / scale : 0.0f;
    float error2 = 0.0f, norm2 = 0.0f;
    int32_t codeSum = 0;
#pragma omp simd reduction(+ : error2, norm2, codeSum)
    for (int i = 0; i < dims; ++i) {
        const float code = std::clamp(std::nearbyint(values[i] * inverse), -127.0f, 127.0f);
        codes[i] = static_cast<int8_t>(code);
        codeSum += static_cast<int32_t>(code);
        const float restored = scale * code;
        error2 += (values[i] - restored) * (values[i] - restored);
        norm2 += restored * restored;
    }
    return {error2, norm2, codeSum};
}

} // namespace

QuantisedRow quantiseRow(const float* row, int dims, uint8_t* codes) {
    QuantisedRow result;
    result.scale = scaleFor(largestMagnitude(row, dims));
    auto* signedCodes = reinterpret_cast<int8_t*>(codes);
    const CodeSums sums = quantiseLoop(row, dims, result.scale, signedCodes);
    for (int i = 0; i < dims; ++i) // offset binary: c + 128 is c with its sign bit flipped
        codes[i] = static_cast<uint8_t>(codes[i] ^ 0x80u);
    result.error = std::sqrt(sums.error2);
    result.norm = std::sqrt(sums.norm2);
    return result;
}

FREESEL_CLONES float restoredDot(const uint8_t* codes, const float* values, int dims) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < dims; ++i)
        sum += static_cast<float>(int(codes[i]) - 128) * values[i];
    return sum;
}

QuantisedQuery quantiseQuery(const float* query, int dims, int8_t* codes) {
    QuantisedQuery result;
    result.scale = scaleFor(largestMagnitude(query, dims));
    const CodeSums sums = quantiseLoop(query, dims, result.scale, codes);
    result.error = std::sqrt(sums.error2);
    result.codeSum = sums.codeSum;
    return result;
}

namespace {

FREESEL_CLONES void rawDotsWidened(const uint8_t* const a[4], const int8_t* const b[4], int dims,
                                   int32_t out[4]) {
    const uint8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
    const int8_t *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int i = 0; i < dims; ++i) {
        s0 += int32_t(a0[i]) * int32_t(b0[i]);
        s1 += int32_t(a1[i]) * int32_t(b1[i]);
        s2 += int32_t(a2[i]) * int32_t(b2[i]);
        s3 += int32_t(a3[i]) * int32_t(b3[i]);
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define FREESEL_HAVE_AVX512VNNI 1
// GCC 12's AVX-512 reductions build on _mm*_undefined_*() values and then warn about them
// (GCC bug 105593); the warning is about the header, not this code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
// vpdpbusd multiplies 64 unsigned x signed byte pairs and adds them, four at a time, into 16
// int32 lanes: 384 dimensions are six instructions per pair.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
rawDotsVnni(const uint8_t* const a[4], const int8_t* const b[4], int dims, int32_t out[4]) {
    __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                      _mm512_setzero_si512()};
    int i = 0;
    for (; i + 64 <= dims; i += 64)
        for (int k = 0; k < 4; ++k)
            acc[k] = _mm512_dpbusd_epi32(acc[k], _mm512_loadu_si512(a[k] + i),
                                         _mm512_loadu_si512(b[k] + i));
    if (i < dims) { // the tail: masked lanes load 0 on both sides, adding nothing
        const auto mask = static_cast<__mmask64>((1ull << (dims - i)) - 1);
        for (int k = 0; k < 4; ++k)
            acc[k] = _mm512_dpbusd_epi32(acc[k], _mm512_maskz_loadu_epi8(mask, a[k] + i),
                                         _mm512_maskz_loadu_epi8(mask, b[k] + i));
    }
    for (int k = 0; k < 4; ++k)
        out[k] = _mm512_reduce_add_epi32(acc[k]);
}
#pragma GCC diagnostic pop
#endif

} // namespace

void rawDotsU8S8x4(const uint8_t* const a[4], const int8_t* const b[4], int dims, int32_t out[4]) {
#ifdef FREESEL_HAVE_AVX512VNNI
    static const bool hasVnni =
        __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    if (hasVnni)
        return rawDotsVnni(a, b, dims, out);
#endif
    rawDotsWidened(a, b, dims, out);
}

void rawDotsU8S8x4Portable(const uint8_t* const a[4], const int8_t* const b[4], int dims,
                           int32_t out[4]) {
    rawDotsWidened(a, b, dims, out);
}

} // namespace freesel
