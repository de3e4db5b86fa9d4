// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The element-wise steps of a ViT block on the CPU, fused and vectorised by hand (no LibTorch
// here: plain loops over rows that the caller splits over threads, see vit_kernels.h).
//
// Why: in bfloat16 the products run twice as fast as in float32, and what is left around them
// (the residual add, LayerNorm and the conversion of its output to bfloat16, the float32 round
// trip of the attention scores through softmax, GELU) took about a quarter of a block, each as
// its own ATen pass with its own OpenMP region. Here each is one pass over its rows, reading and
// writing bfloat16 where the products do, computing in float32 registers.
//
// Numerics: exp is Cephes' polynomial (2 ulp), erf Abramowitz-Stegun 7.1.26 (absolute error
// below 1.5e-7), the same formula ATen's vectorised float32 GELU uses: DINO's exact erf GELU,
// not the tanh approximation. bfloat16 results are rounded to nearest, ties to even; the
// bfloat16 GELU is a table of all 65,536 inputs, correctly rounded from double.

#include <cstdint>

namespace freesel::vitrows {

/// A bfloat16 value: the 16 high bits of a float.
using Bf16 = std::uint16_t;

/// One residual update followed by a LayerNorm, row by row:
///     x[r] += gamma * branch[r]     (skipped when branch is null; gamma null = 1)
///     out[r] = (x[r] - mean) / sqrt(var + eps) * weight + bias
struct ResidualNorm {
    float* x = nullptr;           ///< rows x width, the residual stream (float32, in place)
    const void* branch = nullptr; ///< rows x width, float32 or bfloat16 (branchBf16); may be null
    bool branchBf16 = false;
    const float* gamma = nullptr;  ///< width; layer scale, may be null
    const float* weight = nullptr; ///< width
    const float* bias = nullptr;   ///< width
    float eps = 1e-6f;
    void* out = nullptr; ///< rows x width, float32 or bfloat16 (outBf16)
    bool outBf16 = false;
    std::int64_t width = 0;
};

/// Rows [begin, end) of `p`.
void residualLayerNorm(const ResidualNorm& p, std::int64_t begin, std::int64_t end);

/// Softmax of rows [begin, end) of `in` (rows x cols), written to `out` (may be `in`). Each side
/// float32 or bfloat16; the arithmetic is float32.
void softmaxRows(const void* in, bool inBf16, void* out, bool outBf16, std::int64_t cols,
                 std::int64_t begin, std::int64_t end);

/// The same softmax over `rows` float32 rows of `cols` values, `inStride` apart, written
/// `outStride` apart (may alias `in` when the strides and types agree); `scratch` holds `cols`
/// floats. No allocation: the fused attention calls it for a few rows at a time.
void softmaxRowsStrided(const float* in, std::int64_t inStride, void* out, bool outBf16,
                        std::int64_t outStride, std::int64_t cols, std::int64_t rows,
                        float* scratch);

/// x = x * (1 + erf(x / sqrt(2))) / 2 over elements [begin, end), in place.
void geluErf(float* x, std::int64_t begin, std::int64_t end);
void geluErf(Bf16* x, std::int64_t begin, std::int64_t end);

/// Scalar helpers, exposed for tests: erf as above and exp for arguments <= 0 (the softmax's).
float erfApprox(float x);
float expNonPositive(float x);

} // namespace freesel::vitrows
