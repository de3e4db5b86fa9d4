// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/vit_attention_kernel.h"

#include "backbone/vit_attention_avx512.h"
#include "backbone/vit_row_kernels.h"
#include "util/bfloat16.h"
#include "util/target_clones.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

// Hand-written: LibTorch 1.13 has no fused CPU attention (scaled_dot_product_attention came in
// 2.0), and its bfloat16 bmm on the strided Q/K/V views copies them first. The vector kernels
// are in vit_attention_avx512.cpp; the portable kernel here is plain loops.

namespace freesel::vitattn {

namespace {

using Bf16 = std::uint16_t;

/// Per-thread buffers, grown once and reused by every head the thread runs.
struct Scratch {
    std::vector<float> scores; ///< one row of scores, a probability row, the output row
    std::vector<float> exps;   ///< the softmax's scratch row
};

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

inline float widen(float v) {
    return v;
}
inline float widen(Bf16 v) {
    return widenBfloat16(v);
}
inline void store(float value, float* out) {
    *out = value;
}
inline void store(float value, Bf16* out) {
    *out = roundToBfloat16(value);
}

/// The definition, row by row: scores in float32, the shared softmax, P (rounded to bfloat16
/// when the inputs are) times V accumulated in float32.
template <class T> inline __attribute__((always_inline)) void portableHead(const AttentionHead& h) {
    const std::int64_t tokens = h.tokens, dh = h.headDim, stride = h.rowStride;
    const T* q = static_cast<const T*>(h.q);
    const T* k = static_cast<const T*>(h.k);
    const T* v = static_cast<const T*>(h.v);
    Scratch& s = scratch();
    float* scores = grow(s.scores, 2 * tokens + dh);
    float* row = scores + tokens;
    float* acc = row + tokens;
    float* exps = grow(s.exps, tokens);
    for (std::int64_t i = 0; i < tokens; ++i) {
        const T* qi = q + i * stride;
        for (std::int64_t j = 0; j < tokens; ++j) {
            const T* kj = k + j * stride;
            float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
            for (std::int64_t p = 0; p < dh; ++p)
                dot += widen(qi[p]) * widen(kj[p]);
            scores[j] = dot * h.scale;
        }
        float* probs = h.probs ? h.probs + i * tokens : row;
        vitrows::softmaxRowsStrided(scores, tokens, probs, false, tokens, tokens, 1, exps);
        std::fill(acc, acc + dh, 0.0f);
        for (std::int64_t j = 0; j < tokens; ++j) {
            // bfloat16: P V multiplies the probabilities rounded, as the vector kernel does.
            const float pj =
                std::is_same_v<T, Bf16> ? widenBfloat16(roundToBfloat16(probs[j])) : probs[j];
            const T* vj = v + j * stride;
#pragma omp simd
            for (std::int64_t e = 0; e < dh; ++e)
                acc[e] += pj * widen(vj[e]);
        }
        T* out = static_cast<T*>(h.out) + i * h.outStride;
        for (std::int64_t e = 0; e < dh; ++e)
            store(acc[e], &out[e]);
    }
}

FREESEL_CLONES void portableF32(const AttentionHead& h) {
    portableHead<float>(h);
}
FREESEL_CLONES void portableBf16(const AttentionHead& h) {
    portableHead<Bf16>(h);
}

} // namespace

bool attentionHeadVectorised(bool bf16, std::int64_t headDim) {
    return avx512AttentionRuns(bf16, headDim);
}

void attentionHead(const AttentionHead& head) {
    if (avx512AttentionRuns(head.bf16, head.headDim))
        return attentionHeadAvx512(head);
    attentionHeadPortable(head);
}

void attentionHeadPortable(const AttentionHead& head) {
    if (head.bf16)
        portableBf16(head);
    else
        portableF32(head);
}

} // namespace freesel::vitattn
