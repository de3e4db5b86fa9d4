// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/vit_attention_avx512.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>
#define FREESEL_ATTENTION_AVX512 1
#endif

// Intrinsics: register-blocked products with the AVX512-BF16 dot-product instruction, which the
// compiler does not generate from plain loops, and a softmax with a masked last vector.

namespace freesel::vitattn {

#ifdef FREESEL_ATTENTION_AVX512

namespace {

using Bf16 = std::uint16_t;

/// Per-thread buffers, grown once and reused by every head the thread runs.
struct Scratch {
    std::vector<float> keys;     ///< float32 K^T, headDim x paddedTokens
    std::vector<float> scores;   ///< a block of rows of scores, paddedTokens apart
    std::vector<Bf16> probs16;   ///< a block of bfloat16 probability rows, evenTokens apart
    std::vector<uint32_t> pairs; ///< bfloat16 K and V repacked in pairs
};

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_ps(), which its flow analysis reports
// as maybe uninitialised once inlined (a false positive; distance_kernels.cpp does the same).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define FREESEL_TARGET_F32 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define FREESEL_TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16")))

// The register blocks' loops below are unrolled by pragma: GCC 12 at -O2 does not unroll them
// and then keeps the accumulators in memory (measured 10x slower).
constexpr std::int64_t kLanes = 16;    // float32 lanes of a 512-bit register
constexpr int kScoreRows = 8;          // queries per block: 8 accumulators per key vector
constexpr int kMixRows = 4;            // 4 rows x 64 outputs = 16 accumulators in P V
constexpr std::int64_t kMixWidth = 64; // outputs per pass of P V (4 registers)

std::int64_t roundUp(std::int64_t n, std::int64_t to) {
    return (n + to - 1) / to * to;
}

inline std::uint32_t pairAt(const Bf16* p) {
    std::uint32_t word;
    std::memcpy(&word, p, sizeof word);
    return word;
}

// ---- softmax ---------------------------------------------------------------------------------
// By hand rather than vitrows::softmaxRowsStrided: GCC 12 finishes a vectorised row with a
// scalar loop, and 197 = 12 x 16 + 5 left five scalar exps per row and pass (measured: that
// softmax took as long as both attention products in bfloat16). Here the last vector is masked.

/// exp(x) for x <= 0, 16 lanes: the same Cephes reduction and polynomial as the row kernels'
/// expNonPositive (vit_row_kernels.cpp).
FREESEL_TARGET_F32 inline __m512 expNonPositive16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    const __m512i n = _mm512_cvttps_epi32(_mm512_sub_ps(
        _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _mm512_set1_ps(0.5f)));
    const __m512 fn = _mm512_cvtepi32_ps(n);
    __m512 r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(fn, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

/// Lanes of the vector at column c that lie before `cols`.
inline __mmask16 columnMask(std::int64_t c, std::int64_t cols) {
    const std::int64_t left = cols - c;
    return left >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1u);
}

/// Row (`cols` scores, room for whole vectors) -> exp(score - max) in place; returns 1 / sum.
FREESEL_TARGET_F32 inline float expRowInPlace(float* row, std::int64_t cols) {
    __m512 top = _mm512_set1_ps(-INFINITY);
    for (std::int64_t c = 0; c < cols; c += kLanes)
        top = _mm512_max_ps(
            top, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), columnMask(c, cols), row + c));
    const __m512 most = _mm512_set1_ps(_mm512_reduce_max_ps(top));
    __m512 sum = _mm512_setzero_ps();
    for (std::int64_t c = 0; c < cols; c += kLanes) {
        const __mmask16 m = columnMask(c, cols);
        const __m512 e =
            _mm512_maskz_mov_ps(m, expNonPositive16(_mm512_sub_ps(_mm512_loadu_ps(row + c), most)));
        _mm512_storeu_ps(row + c, e);
        sum = _mm512_add_ps(sum, e);
    }
    return 1.0f / _mm512_reduce_add_ps(sum);
}

/// out[0 .. cols) = row * factor in float32.
FREESEL_TARGET_F32 inline void scaleRow(const float* row, std::int64_t cols, float factor,
                                        float* out) {
    const __m512 f = _mm512_set1_ps(factor);
    for (std::int64_t c = 0; c < cols; c += kLanes)
        _mm512_mask_storeu_ps(out + c, columnMask(c, cols),
                              _mm512_mul_ps(_mm512_loadu_ps(row + c), f));
}

/// Softmax of `n` rows of scores (`padded` apart, whole vectors readable and writable) into
/// float32 rows `outStride` apart (may be the scores themselves).
FREESEL_TARGET_F32 void softmaxF32Rows(float* scores, std::int64_t padded, std::int64_t cols, int n,
                                       float* out, std::int64_t outStride) {
    for (int r = 0; r < n; ++r) {
        float* row = scores + r * padded;
        scaleRow(row, cols, expRowInPlace(row, cols), out + r * outStride);
    }
}

// ---- float32 ---------------------------------------------------------------------------------

template <int R>
FREESEL_TARGET_F32 inline void scoresF32(const float* const* q, const float* keys,
                                         std::int64_t padded, std::int64_t dh, float scale,
                                         float* s) {
    const __m512 factor = _mm512_set1_ps(scale);
    for (std::int64_t c = 0; c < padded; c += kLanes) {
        __m512 acc[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
            acc[r] = _mm512_setzero_ps();
        for (std::int64_t p = 0; p < dh; ++p) {
            const __m512 key = _mm512_loadu_ps(keys + p * padded + c);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(q[r][p]), key, acc[r]);
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
            _mm512_storeu_ps(s + r * padded + c, _mm512_mul_ps(acc[r], factor));
    }
}

template <int R>
FREESEL_TARGET_F32 inline void mixF32(const float* const* p, const float* v, std::int64_t stride,
                                      std::int64_t tokens, std::int64_t dh, float* const* out) {
    for (std::int64_t e = 0; e < dh; e += kMixWidth) {
        __m512 acc[R][4];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
            for (int k = 0; k < 4; ++k)
                acc[r][k] = _mm512_setzero_ps();
        for (std::int64_t j = 0; j < tokens; ++j) {
            const float* vj = v + j * stride + e;
            __m512 vk[4];
#pragma GCC unroll 8
            for (int k = 0; k < 4; ++k)
                vk[k] = _mm512_loadu_ps(vj + k * kLanes);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const __m512 pj = _mm512_set1_ps(p[r][j]);
#pragma GCC unroll 8
                for (int k = 0; k < 4; ++k)
                    acc[r][k] = _mm512_fmadd_ps(pj, vk[k], acc[r][k]);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
            for (int k = 0; k < 4; ++k)
                _mm512_storeu_ps(out[r] + e + k * kLanes, acc[r][k]);
    }
}

FREESEL_TARGET_F32 void scoresF32Rows(int n, const float* const* q, const float* keys,
                                      std::int64_t padded, std::int64_t dh, float scale, float* s) {
    switch (n) {
    case 8:
        return scoresF32<8>(q, keys, padded, dh, scale, s);
    case 7:
        return scoresF32<7>(q, keys, padded, dh, scale, s);
    case 6:
        return scoresF32<6>(q, keys, padded, dh, scale, s);
    case 5:
        return scoresF32<5>(q, keys, padded, dh, scale, s);
    case 4:
        return scoresF32<4>(q, keys, padded, dh, scale, s);
    case 3:
        return scoresF32<3>(q, keys, padded, dh, scale, s);
    case 2:
        return scoresF32<2>(q, keys, padded, dh, scale, s);
    default:
        return scoresF32<1>(q, keys, padded, dh, scale, s);
    }
}

FREESEL_TARGET_F32 void mixF32Rows(int n, const float* const* p, const float* v,
                                   std::int64_t stride, std::int64_t tokens, std::int64_t dh,
                                   float* const* out) {
    switch (n) {
    case 4:
        return mixF32<4>(p, v, stride, tokens, dh, out);
    case 3:
        return mixF32<3>(p, v, stride, tokens, dh, out);
    case 2:
        return mixF32<2>(p, v, stride, tokens, dh, out);
    default:
        return mixF32<1>(p, v, stride, tokens, dh, out);
    }
}

/// r[i] = row i of a 16 x 16 block -> r[i] = column i (unpack, 128-bit lane shuffles, then
/// lane permutes).
FREESEL_TARGET_F32 inline void transpose16(__m512 r[16]) {
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // r[4i + c], 128-bit lane L: rows 4i .. 4i+3 of column 4L + c.
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
        const __m512 u0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
        const __m512 u1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
        const __m512 u2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
        const __m512 u3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
        t[c] = _mm512_shuffle_f32x4(u0, u2, 0x88);
        t[8 + c] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
        t[4 + c] = _mm512_shuffle_f32x4(u1, u3, 0x88);
        t[12 + c] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i)
        r[i] = t[i];
}

/// keys (dh x padded) = K^T, zero beyond the last token, in 16 x 16 blocks (dh % 16 == 0).
FREESEL_TARGET_F32 void transposeKeys(const float* k, std::int64_t stride, std::int64_t tokens,
                                      std::int64_t dh, std::int64_t padded, float* keys) {
    for (std::int64_t j0 = 0; j0 < padded; j0 += kLanes)
        for (std::int64_t p0 = 0; p0 < dh; p0 += kLanes) {
            __m512 r[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i)
                r[i] = j0 + i < tokens ? _mm512_loadu_ps(k + (j0 + i) * stride + p0)
                                       : _mm512_setzero_ps();
            transpose16(r);
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i)
                _mm512_storeu_ps(keys + (p0 + i) * padded + j0, r[i]);
        }
}

FREESEL_TARGET_F32 void headF32(const AttentionHead& h) {
    const std::int64_t tokens = h.tokens, dh = h.headDim, stride = h.rowStride;
    const std::int64_t padded = roundUp(tokens, kLanes);
    const float* q = static_cast<const float*>(h.q);
    const float* k = static_cast<const float*>(h.k);
    const float* v = static_cast<const float*>(h.v);
    Scratch& s = scratch();
    // K^T, zero beyond the last token, so a key vector is one load.
    float* keys = grow(s.keys, dh * padded);
    transposeKeys(k, stride, tokens, dh, padded, keys);
    float* scores = grow(s.scores, kScoreRows * padded);
    for (std::int64_t i0 = 0; i0 < tokens; i0 += kScoreRows) {
        const int n = int(std::min<std::int64_t>(kScoreRows, tokens - i0));
        const float* qRows[kScoreRows];
        const float* pRows[kScoreRows];
        float* outRows[kScoreRows];
        for (int r = 0; r < n; ++r) {
            qRows[r] = q + (i0 + r) * stride;
            outRows[r] = static_cast<float*>(h.out) + (i0 + r) * h.outStride;
        }
        scoresF32Rows(n, qRows, keys, padded, dh, h.scale, scores);
        float* probs = h.probs ? h.probs + i0 * tokens : scores;
        const std::int64_t probsStride = h.probs ? tokens : padded;
        softmaxF32Rows(scores, padded, tokens, n, probs, probsStride);
        for (int r = 0; r < n; ++r)
            pRows[r] = probs + r * probsStride;
        for (int r0 = 0; r0 < n; r0 += kMixRows)
            mixF32Rows(std::min(kMixRows, n - r0), pRows + r0, v, stride, tokens, dh, outRows + r0);
    }
}

// ---- bfloat16 --------------------------------------------------------------------------------

/// Scores of R queries against the V key vectors from column c: R x V independent
/// accumulators (V = 2 hides vdpbf16ps's latency with 8 queries).
template <int R, int V>
FREESEL_TARGET_BF16 inline void scoreVectorsBf16(const Bf16* const* q, const std::uint32_t* keys,
                                                 std::int64_t padded, std::int64_t pairs,
                                                 std::int64_t c, __m512 factor, float* s) {
    __m512 acc[R][V];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int k = 0; k < V; ++k)
            acc[r][k] = _mm512_setzero_ps();
    for (std::int64_t m = 0; m < pairs; ++m) {
        __m512bh key[V];
#pragma GCC unroll 2
        for (int k = 0; k < V; ++k)
            key[k] = (__m512bh)_mm512_loadu_si512(keys + m * padded + c + k * kLanes);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const __m512bh query = (__m512bh)_mm512_set1_epi32(int(pairAt(q[r] + 2 * m)));
#pragma GCC unroll 2
            for (int k = 0; k < V; ++k)
                acc[r][k] = _mm512_dpbf16_ps(acc[r][k], query, key[k]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int k = 0; k < V; ++k)
            _mm512_storeu_ps(s + r * padded + c + k * kLanes, _mm512_mul_ps(acc[r][k], factor));
}

template <int R>
FREESEL_TARGET_BF16 inline void scoresBf16(const Bf16* const* q, const std::uint32_t* keys,
                                           std::int64_t padded, std::int64_t pairs, float scale,
                                           float* s) {
    const __m512 factor = _mm512_set1_ps(scale);
    std::int64_t c = 0;
    for (; c + 2 * kLanes <= padded; c += 2 * kLanes)
        scoreVectorsBf16<R, 2>(q, keys, padded, pairs, c, factor, s);
    if (c < padded)
        scoreVectorsBf16<R, 1>(q, keys, padded, pairs, c, factor, s);
}

template <int R>
FREESEL_TARGET_BF16 inline void mixBf16(const Bf16* const* p, const std::uint32_t* values,
                                        std::int64_t pairs, std::int64_t dh, Bf16* const* out) {
    for (std::int64_t e = 0; e < dh; e += kMixWidth) {
        __m512 acc[R][4];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
            for (int k = 0; k < 4; ++k)
                acc[r][k] = _mm512_setzero_ps();
        for (std::int64_t m = 0; m < pairs; ++m) {
            __m512bh vk[4];
#pragma GCC unroll 8
            for (int k = 0; k < 4; ++k)
                vk[k] = (__m512bh)_mm512_loadu_si512(values + m * dh + e + k * kLanes);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const __m512bh pj = (__m512bh)_mm512_set1_epi32(int(pairAt(p[r] + 2 * m)));
#pragma GCC unroll 8
                for (int k = 0; k < 4; ++k)
                    acc[r][k] = _mm512_dpbf16_ps(acc[r][k], pj, vk[k]);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
            for (int k = 0; k < 4; ++k)
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[r] + e + k * kLanes),
                                    (__m256i)_mm512_cvtneps_pbh(acc[r][k]));
    }
}

FREESEL_TARGET_BF16 void scoresBf16Rows(int n, const Bf16* const* q, const std::uint32_t* keys,
                                        std::int64_t padded, std::int64_t pairs, float scale,
                                        float* s) {
    switch (n) {
    case 8:
        return scoresBf16<8>(q, keys, padded, pairs, scale, s);
    case 7:
        return scoresBf16<7>(q, keys, padded, pairs, scale, s);
    case 6:
        return scoresBf16<6>(q, keys, padded, pairs, scale, s);
    case 5:
        return scoresBf16<5>(q, keys, padded, pairs, scale, s);
    case 4:
        return scoresBf16<4>(q, keys, padded, pairs, scale, s);
    case 3:
        return scoresBf16<3>(q, keys, padded, pairs, scale, s);
    case 2:
        return scoresBf16<2>(q, keys, padded, pairs, scale, s);
    default:
        return scoresBf16<1>(q, keys, padded, pairs, scale, s);
    }
}

FREESEL_TARGET_BF16 void mixBf16Rows(int n, const Bf16* const* p, const std::uint32_t* values,
                                     std::int64_t pairs, std::int64_t dh, Bf16* const* out) {
    switch (n) {
    case 4:
        return mixBf16<4>(p, values, pairs, dh, out);
    case 3:
        return mixBf16<3>(p, values, pairs, dh, out);
    case 2:
        return mixBf16<2>(p, values, pairs, dh, out);
    default:
        return mixBf16<1>(p, values, pairs, dh, out);
    }
}

/// The softmax of softmaxF32Rows written as bfloat16 rows `outStride` apart, and as float32
/// rows `cols` apart into `probs` when not null.
FREESEL_TARGET_BF16 void softmaxBf16Rows(float* scores, std::int64_t padded, std::int64_t cols,
                                         int n, float* probs, Bf16* out, std::int64_t outStride) {
    for (int r = 0; r < n; ++r) {
        float* row = scores + r * padded;
        const __m512 f = _mm512_set1_ps(expRowInPlace(row, cols));
        for (std::int64_t c = 0; c < cols; c += kLanes) {
            const __mmask16 m = columnMask(c, cols);
            const __m512 p = _mm512_mul_ps(_mm512_loadu_ps(row + c), f);
            if (probs)
                _mm512_mask_storeu_ps(probs + r * cols + c, m, p);
            _mm256_mask_storeu_epi16(out + r * outStride + c, m, (__m256i)_mm512_cvtneps_pbh(p));
        }
    }
}

/// V in the pair layout vdpbf16ps multiplies: word (m, e) holds v[2m][e] (low half) and
/// v[2m+1][e] (high half), a zero row after an odd last token.
FREESEL_TARGET_BF16 void packValuePairs(const Bf16* v, std::int64_t stride, std::int64_t tokens,
                                        std::int64_t dh, std::uint32_t* values) {
    alignas(64) std::uint16_t low[32], high[32];
    for (int w = 0; w < 16; ++w) {
        low[2 * w] = std::uint16_t(w), low[2 * w + 1] = std::uint16_t(32 + w);
        high[2 * w] = std::uint16_t(16 + w), high[2 * w + 1] = std::uint16_t(48 + w);
    }
    const __m512i lowIndex = _mm512_load_si512(low), highIndex = _mm512_load_si512(high);
    for (std::int64_t m = 0; 2 * m < tokens; ++m) {
        const Bf16* even = v + 2 * m * stride;
        const Bf16* odd = 2 * m + 1 < tokens ? even + stride : nullptr;
        for (std::int64_t c = 0; c < dh; c += 32) {
            const __m512i a = _mm512_loadu_si512(even + c);
            const __m512i b = odd ? _mm512_loadu_si512(odd + c) : _mm512_setzero_si512();
            _mm512_storeu_si512(values + m * dh + c, _mm512_permutex2var_epi16(a, lowIndex, b));
            _mm512_storeu_si512(values + m * dh + c + 16,
                                _mm512_permutex2var_epi16(a, highIndex, b));
        }
    }
}

FREESEL_TARGET_BF16 void headBf16(const AttentionHead& h) {
    const std::int64_t tokens = h.tokens, dh = h.headDim, stride = h.rowStride;
    const std::int64_t padded = roundUp(tokens, kLanes), even = roundUp(tokens, 2);
    const std::int64_t keyPairs = dh / 2, tokenPairs = even / 2;
    const Bf16* q = static_cast<const Bf16*>(h.q);
    const Bf16* k = static_cast<const Bf16*>(h.k);
    Scratch& s = scratch();
    std::uint32_t* keys = grow(s.pairs, keyPairs * padded + tokenPairs * dh);
    std::uint32_t* values = keys + keyPairs * padded;
    // K in pairs of dimensions: word (m, j) = K[j][2m .. 2m+1], zero beyond the last token.
    for (std::int64_t m = 0; m < keyPairs; ++m)
        for (std::int64_t j = 0; j < padded; ++j)
            keys[m * padded + j] = j < tokens ? pairAt(k + j * stride + 2 * m) : 0u;
    packValuePairs(static_cast<const Bf16*>(h.v), stride, tokens, dh, values);
    float* scores = grow(s.scores, kScoreRows * padded);
    Bf16* probs16 = grow(s.probs16, kScoreRows * even);
    for (std::int64_t i0 = 0; i0 < tokens; i0 += kScoreRows) {
        const int n = int(std::min<std::int64_t>(kScoreRows, tokens - i0));
        const Bf16* qRows[kScoreRows];
        const Bf16* pRows[kScoreRows];
        Bf16* outRows[kScoreRows];
        for (int r = 0; r < n; ++r) {
            qRows[r] = q + (i0 + r) * stride;
            pRows[r] = probs16 + r * even;
            outRows[r] = static_cast<Bf16*>(h.out) + (i0 + r) * h.outStride;
        }
        scoresBf16Rows(n, qRows, keys, padded, keyPairs, h.scale, scores);
        // float32 probabilities when kept, and rounded to bfloat16 for P V.
        softmaxBf16Rows(scores, padded, tokens, n, h.probs ? h.probs + i0 * tokens : nullptr,
                        probs16, even);
        if (even > tokens) // the pad column meets V's zero row: it must not be a NaN
            for (int r = 0; r < n; ++r)
                probs16[r * even + tokens] = 0;
        for (int r0 = 0; r0 < n; r0 += kMixRows)
            mixBf16Rows(std::min(kMixRows, n - r0), pRows + r0, values, tokenPairs, dh,
                        outRows + r0);
    }
}

bool cpuHasAvx512() {
    static const bool has =
        __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    return has;
}

bool cpuHasAvx512Bf16() {
    static const bool has = cpuHasAvx512() && __builtin_cpu_supports("avx512bf16");
    return has;
}

#pragma GCC diagnostic pop

} // namespace

bool avx512AttentionRuns(bool bf16, std::int64_t headDim) {
    return headDim > 0 && headDim % kMixWidth == 0 && (bf16 ? cpuHasAvx512Bf16() : cpuHasAvx512());
}

void attentionHeadAvx512(const AttentionHead& head) {
    if (head.bf16)
        headBf16(head);
    else
        headF32(head);
}

#else // no AVX-512 kernels in this build

bool avx512AttentionRuns(bool, std::int64_t) {
    return false;
}

void attentionHeadAvx512(const AttentionHead&) {
    throw std::logic_error("attentionHeadAvx512: this build has no AVX-512 kernels");
}

#endif // FREESEL_ATTENTION_AVX512

} // namespace freesel::vitattn
