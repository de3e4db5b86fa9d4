// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Torch-level OpenAI CLIP (clip/model.py): the ViT image encoder and the causal text encoder.
// Include only from .cpp files that already pay for LibTorch.

#include "backbone/clip_config.h"
#include "backbone/clip_kernels.h"
#include "backbone/vit_model.h" // TensorMap
#include "image/image_preprocessing.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace freesel {

/// CLIP's weights under their official names ("visual.conv1.weight",
/// "transformer.resblocks.3.attn.in_proj_weight", "text_projection", ...), float32, CPU or the
/// device they were moved to, and the config they match.
struct ClipWeights {
    ClipConfig config;
    TensorMap tensors;
    /// oneDNN-packed copies of the blocks' products (clip_kernels.h) by the block's prefix
    /// ("visual.transformer.resblocks.3."); empty: the encoders use torch::linear (LibTorch's
    /// BLAS). packClipWeights fills it.
    std::map<std::string, ClipPackedBlock> packed;
    PackedLinear packedPatchEmbed; ///< visual.conv1 as a packed product (packClipWeights)

    const torch::Tensor& at(const std::string& name) const;
    /// exp(logit_scale): the factor on cosine similarities of CLIP's logits (about 100).
    double logitScale() const;
};

/// Packs every block product (in_proj, out_proj, c_fc, c_proj of both towers) for oneDNN when
/// the weights are on the CPU and LibTorch has it; results change only by float rounding.
/// `typicalBatch`: images (texts) of a usual call, a hint for oneDNN's kernel choice.
void packClipWeights(ClipWeights& weights, int typicalBatch = 16);

/// The tensors (official names and shapes) a checkpoint of `config` must provide.
std::vector<std::pair<std::string, std::vector<int64_t>>>
expectedClipTensors(const ClipConfig& config);

/// One pass of the image encoder. embedding: B x embedDim (ln_post([CLS]) @ proj, not
/// normalised); tokens: B x (1 + grid^2) x width, ln_post applied to every token (patch tokens
/// for FreeSel's patterns); attention: B x T x T, the last block's softmax averaged over heads
/// (as nn.MultiheadAttention's need_weights returns it).
struct ClipImageOutput {
    torch::Tensor embedding;
    torch::Tensor tokens;
    torch::Tensor attention;
};
/// images: B x 3 x S x S float32 with CLIP's normalisation, S = config.inputResolution().
ClipImageOutput clipEncodeImage(const ClipWeights& weights, const torch::Tensor& images);

/// ids: B x contextLength int64 (ClipTokenizer::tokenize rows). Returns B x embedDim, the
/// ln_final output at each row's end-of-text position (its largest id) @ text_projection.
torch::Tensor clipEncodeText(const ClipWeights& weights, const torch::Tensor& ids);

/// CLIP's resize (openai/CLIP `Resize(S, BICUBIC)`): the short side to S, aspect kept. Shrinking
/// uses INTER_AREA, enlarging INTER_CUBIC (resizeForModel): PIL's bicubic antialiases when it
/// shrinks, which OpenCV's INTER_CUBIC does not; the box average is the closer match.
ResizeSpec clipResize(int size);

/// uint8 RGB images -> float32 B x 3 x S x S on `device` as CLIP's preprocessing does: short side
/// resized to S (clipResize; a no-op for images the decode threads already resized), centre crop
/// S x S (torchvision CenterCrop's rounding), CLIP's mean / std.
torch::Tensor clipInputTensor(const std::vector<cv::Mat>& rgbImages, int size,
                              const torch::Device& device);

} // namespace freesel
