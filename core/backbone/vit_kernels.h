// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Fast CPU products of the ViT (torch-level; include only from backbone .cpp files).
// LibTorch's default float32 CPU matmul goes to the generic BLAS it was built with (OpenBLAS on
// Debian: ~45-90 GFLOP/s on our 2-core reference machine) while oneDNN reaches ~300 GFLOP/s in
// float32 and ~600 in bfloat16, so qkv / proj / fc1 / fc2 (97% of the FLOPs) go through oneDNN
// with weights reordered once at load time. Every function here has an exact fallback in
// vit_model.cpp; these only change speed, not results beyond float rounding.

#include <torch/torch.h>

namespace freesel {

struct VitLinear;

/// True when this LibTorch can run the packed kernels (built with oneDNN / MKLDNN).
bool packedKernelsAvailable();

/// The weight (out x in, float32 or bfloat16, CPU) in oneDNN's layout; undefined when the
/// packed kernels are unavailable or the weight is not on the CPU.
torch::Tensor packLinearWeight(const torch::Tensor& weight);

/// x (.. x in) -> .. x out with layer.packed and layer.packedBias; same dtype as the packed
/// weight.
torch::Tensor packedLinear(const torch::Tensor& x, const VitLinear& layer);

/// Debian's LibTorch uses OpenBLAS (pthreads) for float32 matmul next to oneDNN's OpenMP
/// threads; on a 2-core machine the two thread pools spin against each other (measured: 3 to
/// 17 img/s run to run). When OpenBLAS is loaded, its pool is set to one thread: only the
/// small attention products still use it. No-op with MKL builds.
void avoidBlasThreadContention();

/// fc2(gelu(fc1(y))) with both layers packed. The hidden activations stay in oneDNN's layout
/// and GELU is oneDNN's exact-erf eltwise (same function as ATen's, float rounding apart).
torch::Tensor packedMlp(const torch::Tensor& y, const VitLinear& fc1, const VitLinear& fc2);

} // namespace freesel
