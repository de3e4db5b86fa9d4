// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// CLIP's ResidualAttentionBlock on the CPU, fast (torch-level; include only from backbone .cpp
// files). The four products go through oneDNN with weights packed once (packed_linear.h), and the
// constant factors of the block are folded into those packed weights so no pass over the
// activations is spent on them: the query rows of in_proj carry MultiheadAttention's
// 1 / sqrt(head dim), c_fc carries QuickGELU's 1.702 and c_proj its inverse. QuickGELU then is
// x * sigmoid(x) on the hidden activations (silu, one pass in place). Results differ from
// clip/model.py by float rounding only.

#include "backbone/packed_linear.h"

#include <torch/torch.h>

namespace freesel {

/// QuickGELU's factor: x * sigmoid(1.702 x) (clip/model.py), not nn.GELU.
constexpr double kQuickGeluFactor = 1.702;

/// One block's products in oneDNN's layout with the factors above folded in.
struct ClipPackedBlock {
    PackedLinear inProj;  ///< rows 0..width-1 (the queries) scaled by 1 / sqrt(head dim)
    PackedLinear outProj; ///< as in the checkpoint
    PackedLinear fc;      ///< c_fc times kQuickGeluFactor
    PackedLinear proj;    ///< c_proj divided by kQuickGeluFactor
};

/// The plain weights of a block under their checkpoint names (out x in, and the biases).
struct ClipBlockTensors {
    torch::Tensor inWeight, inBias, outWeight, outBias, fcWeight, fcBias, projWeight, projBias;
};

/// Packs a block for `heads` heads (`typicalRows`: batch x tokens of a usual call, a hint for
/// oneDNN); false (and `out` untouched) when oneDNN is unavailable or the weights are not on
/// the CPU.
bool packClipBlock(const ClipBlockTensors& block, int heads, ClipPackedBlock* out,
                   int64_t typicalRows = 256);

/// nn.MultiheadAttention after in_proj: qkv (B x T x 3w, rows q; k; v per token) -> the
/// heads' mixed values B x T x w, before out_proj. `queryScaled`: the queries already carry
/// 1 / sqrt(head dim) (a packed in_proj). `mask` (T x T, -inf where not allowed) may be
/// undefined. `attention` (may be null) receives the softmax averaged over heads, B x T x T.
torch::Tensor clipAttentionCore(const torch::Tensor& qkv, int heads, bool queryScaled,
                                const torch::Tensor& mask, torch::Tensor* attention);

/// c_proj(QuickGELU(c_fc(y))) with the packed block: y (.. x w) -> .. x w, dense.
torch::Tensor clipPackedMlp(const torch::Tensor& y, const ClipPackedBlock& block);

} // namespace freesel
