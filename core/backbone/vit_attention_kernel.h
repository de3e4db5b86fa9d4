// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// One head of a ViT's self-attention on the CPU, fused and written by hand (no LibTorch here;
// the torch wrapper fusedAttention in vit_kernels.h splits the heads over threads).
//
// Why: through ATen the attention was five passes, each its own OpenMP region: the QKV output
// copied to (3, B, heads, T, dh), K transposed, Q K^T, softmax, P V, and the heads copied back
// to tokens. Here one head is one call: Q, K and V are read straight from the QKV product's
// rows (K and V repacked per head into a few KiB that stay in L1/L2), the scores of four
// queries at a time are scaled, soft-maxed and multiplied with V while they are in cache, and
// the result is written into the head's columns of the B x T x width output that the
// projection reads.
//
// Arithmetic: float32 inputs multiply and accumulate in float32 (FMA). bfloat16 inputs
// accumulate in float32 (AVX512-BF16's vdpbf16ps, or the portable loop), the probabilities are
// float32 until they are rounded to bfloat16 for P V, exactly where ATen's bfloat16 bmm
// rounded them, and the output is rounded to bfloat16 once.

#include <cstdint>

namespace freesel::vitattn {

/// One head of one image. Row t of Q is q + t * rowStride (headDim values), likewise K and V;
/// all three share the element type (`bf16`: bfloat16, else float32) and the row stride (the
/// QKV product's 3 x width).
struct AttentionHead {
    const void* q = nullptr;
    const void* k = nullptr;
    const void* v = nullptr;
    std::int64_t rowStride = 0; ///< elements between consecutive tokens' rows
    bool bf16 = false;
    std::int64_t tokens = 0;
    std::int64_t headDim = 0;
    float scale = 1.0f;         ///< applied to Q K^T before the softmax (1 when folded into Q)
    void* out = nullptr;        ///< row t at out + t * outStride, headDim values, q's type
    std::int64_t outStride = 0; ///< elements
    float* probs = nullptr;     ///< tokens x tokens float32 probabilities, or null
};

/// The head through the fastest kernel this CPU runs: AVX-512 (with AVX512-BF16 for bfloat16)
/// when headDim is a multiple of 64, else the portable one.
void attentionHead(const AttentionHead& head);

/// The portable kernel (any CPU, any headDim): the definition the vector kernels are tested
/// against, and their fallback.
void attentionHeadPortable(const AttentionHead& head);

/// True when attentionHead uses a vector kernel for this element type and head size.
bool attentionHeadVectorised(bool bf16, std::int64_t headDim);

} // namespace freesel::vitattn
