// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Fast CPU kernels of the ViT (torch-level; include only from backbone .cpp files).
// LibTorch's default float32 CPU matmul goes to the generic BLAS it was built with (OpenBLAS on
// Debian) while oneDNN reaches ~300 GFLOP/s in float32 and ~600 in bfloat16 on our 2-core
// reference machine, so qkv / proj / fc1 / fc2 (97% of the FLOPs) go through oneDNN with
// weights reordered once at load time (PackedLinear). Every function here has an exact
// fallback in vit_model.cpp; these only change speed, not results beyond float rounding.

#include "backbone/packed_linear.h"

#include <torch/torch.h>

namespace freesel {

/// True when this LibTorch can run the packed kernels (PackedLinear::available()).
bool packedKernelsAvailable();

/// Debian's LibTorch uses OpenBLAS (pthreads) for float32 matmul next to oneDNN's OpenMP
/// threads; on a 2-core machine the two thread pools spin against each other (measured: 3 to
/// 17 img/s run to run). When OpenBLAS is loaded, its pool is set to one thread: only the
/// attention products still use it, split over ATen's threads by parallelBatchedProducts. No-op
/// with MKL builds.
void avoidBlasThreadContention();

/// fc2(gelu(fc1(y))) with both layers packed, dense throughout; GELU is the exact erf one
/// (nn.GELU()), in place on the hidden activations (fusedGeluInPlace). LibTorch 1.13's
/// prepacked ops cannot fuse GELU into the product (only ReLU), so it stays one pass.
/// `fusedGelu` false: ATen's gelu_ (to measure the difference).
torch::Tensor packedMlp(const torch::Tensor& y, const PackedLinear& fc1, const PackedLinear& fc2,
                        bool fusedGelu = true);

/// The patch embedding (a P x P convolution with stride P) as a packed product: `weight`
/// d x 3 x P x P and `bias` d (undefined: none), packed in float32.
PackedLinear packPatchEmbedding(const torch::Tensor& weight, const torch::Tensor& bias,
                                int64_t typicalRows);

/// images B x 3 x H x W (H, W multiples of P) -> B x (H/P * W/P) x d float32, patches in row-major
/// grid order, as conv2d(images, weight, bias, stride P).flatten(2).transpose(1, 2). One copy
/// of the pixels into patch rows, then one product (ATen's conv2d took ~15% of CLIP's encoder).
torch::Tensor packedPatchEmbedding(const torch::Tensor& images, int patch,
                                   const PackedLinear& layer);

/// out[g] = a[g] @ b[g] for contiguous G x M x K and G x K x N, the groups split over ATen's
/// threads. at::bmm runs float32 groups one after the other, each on one (OpenBLAS) thread:
/// with the BLAS pool at one thread the attention products used one core of the machine.
torch::Tensor parallelBatchedProducts(const torch::Tensor& a, const torch::Tensor& b);

/// True when the fused row kernels below handle `type` (float32 and bfloat16).
bool fusedRowKernelsSupport(torch::ScalarType type);

/// x += gamma * branch (branch and gamma may be undefined), then LayerNorm(x) returned in
/// `outType`: one pass over the rows (vit_row_kernels.h), split over ATen's threads. `x` is the
/// forward pass's own contiguous float32 B x T x d residual stream, updated in place; `branch`
/// float32 or bfloat16 of x's shape; `outType` float32 or bfloat16. Replaces add_, layer_norm
/// and the bfloat16 conversion of the next product's input.
torch::Tensor fusedResidualLayerNorm(torch::Tensor& x, const torch::Tensor& branch,
                                     const torch::Tensor& gamma, const torch::Tensor& weight,
                                     const torch::Tensor& bias, double eps,
                                     torch::ScalarType outType);

/// Softmax over the last dimension of contiguous `scores` (float32 or bfloat16), computed in
/// float32 and returned in `outType`; in place when outType is the scores' type.
torch::Tensor fusedSoftmax(const torch::Tensor& scores, torch::ScalarType outType);

/// Multi-head self-attention straight from a QKV product's output (vit_attention_kernel.h):
/// `qkv` contiguous B x T x 3d (float32 or bfloat16, CPU; per row all heads' Q, then K, then V,
/// as nn.Linear(d, 3d) gives them), softmax(scale Q K^T) V per head, returned B x T x d in
/// qkv's type with head h in columns h*dh .. (h+1)*dh (what the projection reads). One OpenMP
/// region over (image, head). `probs`: when given, set to the B x heads x T x T float32
/// probabilities. Throws std::invalid_argument on a bad shape or type.
torch::Tensor fusedAttention(const torch::Tensor& qkv, int heads, double scale,
                             torch::Tensor* probs = nullptr);

/// True when fusedAttention runs a vector kernel for `type` and `headDim` on this CPU (AVX-512,
/// AVX512-BF16 for bfloat16, headDim a multiple of 64). Elsewhere the forward pass keeps the
/// batched products: the portable kernel is only the tested definition and fallback.
bool fusedAttentionVectorised(torch::ScalarType type, int64_t headDim);

/// The exact erf GELU in place on a contiguous float32 or bfloat16 tensor.
void fusedGeluInPlace(const torch::Tensor& x);

} // namespace freesel
