// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Torch-level ViT (DINO / DINOv2 backbone). Include this only from .cpp files that already pay
// for LibTorch (the backbone, its tests and the benchmark); everything else uses dino_vit.h.

#include "backbone/dino_vit.h"
#include "backbone/packed_linear.h"
#include "backbone/vit_config.h"

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace freesel {

/// Checkpoint tensors by their official DINO names ("blocks.3.attn.qkv.weight", ...).
using TensorMap = std::map<std::string, torch::Tensor>;

/// One of qkv / proj / fc1 / fc2. `packed` optionally holds the layer for the fast CPU
/// kernels (packed_linear.h); `weight` is always kept for the exact path.
struct VitLinear {
    torch::Tensor weight; ///< out x in
    torch::Tensor bias;   ///< out
    PackedLinear packed;  ///< may carry folded factors (see VitBlockWeights)
};

struct VitBlockWeights {
    torch::Tensor norm1Weight, norm1Bias, norm2Weight, norm2Bias;
    VitLinear qkv, proj, fc1, fc2;
    torch::Tensor ls1, ls2; ///< layer-scale gammas; undefined without layer scale
    /// The attention scale 1/sqrt(dh) is folded into the query rows of qkv.packed (not of
    /// qkv.weight), so the packed path skips a pass over the B x heads x T x T scores. With
    /// dh = 64 the scale is 2^-3 and the folding is exact.
    bool queryScaleInPacked = false;
};

struct VitWeights {
    VitConfig config;
    torch::Tensor clsToken;       ///< 1 x 1 x d
    torch::Tensor posEmbed;       ///< 1 x (1 + G^2) x d
    torch::Tensor registerTokens; ///< 1 x R x d; undefined without registers
    torch::Tensor patchWeight;    ///< d x 3 x P x P
    torch::Tensor patchBias;      ///< d
    PackedLinear patchPacked;     ///< the patch embedding for the fast CPU kernels (float32)
    torch::Tensor normWeight, normBias;
    std::vector<VitBlockWeights> blocks;
};

/// The tensors (official names and shapes) a checkpoint of `config` must provide.
std::vector<std::pair<std::string, std::vector<int64_t>>>
expectedVitTensors(const VitConfig& config);

/// Names a checkpoint may carry that the backbone does not use (DINOv2's iBOT mask token).
bool isUnusedVitTensor(const std::string& name);

/// Builds the weights from a validated name -> tensor map (float32 copies on the CPU).
/// Throws std::runtime_error naming `source` and the first missing tensor.
VitWeights vitWeightsFromMap(const TensorMap& tensors, const VitConfig& config,
                             const std::string& source);

/// Deterministic stand-in weights (no download needed) for tests and benchmarks: every value is a
/// hash of (tensor name, index, seed). tests/generate_vit_reference.py computes the same values
/// bit for bit, so reference outputs can be checked without committing a checkpoint.
TensorMap syntheticVitTensors(const VitConfig& config, std::uint64_t seed);

/// An 8-bit RGB test image from the same hash (generate_vit_reference.py: synthetic_image).
cv::Mat syntheticRgbImage(int height, int width, std::uint64_t seed);

/// uint8 RGB images (all the same size) -> float32 B x 3 x H x W on `device`, ImageNet mean/std.
torch::Tensor vitInputTensor(const std::vector<cv::Mat>& rgbImages, const torch::Device& device);

/// Position embeddings for a rows x cols grid, exactly as DINO's interpolate_pos_encoding: the
/// trained table itself when the grid is the trained square, else a bicubic resize with DINO's
/// +0.1 scale offset. Returns 1 x (1 + rows*cols) x d.
torch::Tensor interpolatePositionEmbedding(const torch::Tensor& posEmbed, int rows, int cols);

/// How the forward pass computes. The residual stream, LayerNorms and softmax stay float32;
/// `computeType` (float32, bfloat16 or float16) is what the big products run in.
struct VitExecution {
    torch::ScalarType computeType = torch::kFloat32;
    bool packedKernels = false; ///< use VitLinear::packed (prepared by prepareVitWeights)
    /// With packedKernels on the CPU: the fused row kernels (vit_row_kernels.h) for residual +
    /// LayerNorm, softmax and GELU; false runs ATen's steps (what the fused ones replaced).
    bool fusedRowKernels = true;
    /// With the fused row kernels: the fused attention (vit_attention_kernel.h) straight from
    /// the QKV output; false runs the copies, batched products and softmax it replaced.
    bool fusedAttention = true;
    int64_t typicalRows = 256; ///< batch x tokens of a usual product: a hint for oneDNN
};

/// One forward pass. tokens: B x T x d after the final norm (T = 1 + registers + n; the
/// feature layer picks the last or the penultimate block); cls: B x d ([CLS] of the last block
/// after the final norm); attention: B x T x T, the last block's softmax averaged over heads.
/// All three are float32 on the weights' device.
struct VitForwardOutput {
    torch::Tensor tokens;
    torch::Tensor cls;
    torch::Tensor attention;
};
VitForwardOutput vitForward(const VitWeights& weights, const torch::Tensor& images,
                            FeatureLayer layer = FeatureLayer::Last,
                            const VitExecution& execution = {});

/// Moves the weights to `device`, casts the product weights to `execution.computeType` and,
/// when `execution.packedKernels`, packs them for the fast CPU kernels.
VitWeights prepareVitWeights(const VitWeights& weights, const torch::Device& device,
                             const VitExecution& execution);

/// "auto" (CUDA when present, else the CPU), "cpu", "cuda" or "cuda:N"; throws
/// std::invalid_argument naming the device when it is not there.
torch::Device resolveTorchDevice(const std::string& name);

/// The store's view of one forward pass (docs/ALGORITHM.md section 1): the CLS row over patch
/// columns renormalised to sum 1 (B x n) and the radius-R band of the patch attention
/// (B x n x (2R+1)^2, NeighbourhoodAttention's slot order, 0 outside the grid).
torch::Tensor clsPatchAttention(const torch::Tensor& attention, int prefixTokens);
torch::Tensor attentionBand(const torch::Tensor& attention, int prefixTokens, PatchGrid grid,
                            int radius);

} // namespace freesel
