// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A linear layer y = x W^T + b whose weight oneDNN reorders into its blocked layout ONCE, at
// load time (torch-level; include only from backbone .cpp files, tests and benchmarks).
//
// Why not at::mkldnn_linear: LibTorch 1.13's mkldnn_linear takes the weight as a plain
// (to_mkldnn) tensor and reorders it into oneDNN's blocked layout on every call, and it needs
// the input and output in oneDNN's own tensor type (a copy each way). 1.13 has no prepacked
// linear op, but it has a prepacked convolution (mkldnn_prepacked::conv2d_prepack / conv2d_run,
// the ops the TorchScript mkldnn rewrite uses), and a linear layer is a 1x1 convolution over a
// 1 x in x rows x 1 image. In channels-last layout that image is exactly the plain rows x in
// matrix, and the channels-last output exactly the plain rows x out one: dense in, dense out,
// no conversion, and the weight reordered once (measured 8-20% faster than mkldnn_linear on
// the ViT shapes, fp32 and bf16, before counting the two conversions it saves).

#include <torch/torch.h>

#include <cstdint>

namespace freesel {

class PackedLinear {
public:
    PackedLinear() = default;

    /// True when this LibTorch has oneDNN and the prepacked convolution ops.
    static bool available();

    /// Packs `weight` (out x in, float32 or bfloat16, CPU) and `bias` (out; cast to the weight's
    /// type). `typicalRows`: rows of a usual call (batch x tokens), which oneDNN may use to pick
    /// its kernel; any row count works. Returns an undefined PackedLinear when !available() or
    /// the weight is not on the CPU. Throws std::invalid_argument on bad shapes.
    static PackedLinear pack(const torch::Tensor& weight, const torch::Tensor& bias,
                             int64_t typicalRows = 256);

    bool defined() const { return inFeatures_ > 0; }
    int64_t inFeatures() const { return inFeatures_; }
    int64_t outFeatures() const { return outFeatures_; }
    torch::ScalarType scalarType() const { return type_; }

    /// x (.. x in, any float type) -> .. x out, dense and contiguous, in scalarType(). Throws
    /// std::invalid_argument when x's last dimension is not inFeatures() or !defined().
    torch::Tensor operator()(const torch::Tensor& x) const;

private:
    c10::IValue context_; ///< the ConvOpContext: reordered weight, bias, oneDNN primitive
    int64_t inFeatures_ = 0;
    int64_t outFeatures_ = 0;
    torch::ScalarType type_ = torch::kFloat32;
};

} // namespace freesel
