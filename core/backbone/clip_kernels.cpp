// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/clip_kernels.h"

#include "backbone/vit_kernels.h"

#include <cmath>

namespace freesel {

namespace {

/// weight and bias (rows `begin`..`end` of both) times `factor`, float32, packed; the rest
/// unchanged. Only the packed copy is kept: the exact path reads the checkpoint's own tensors.
PackedLinear packScaled(const torch::Tensor& weight, const torch::Tensor& bias, double factor,
                        int64_t begin, int64_t end, int64_t typicalRows) {
    torch::Tensor w = weight.to(torch::kFloat32).clone();
    torch::Tensor b = bias.to(torch::kFloat32).clone();
    w.slice(0, begin, end).mul_(factor);
    b.slice(0, begin, end).mul_(factor);
    return PackedLinear::pack(w, b, typicalRows);
}

} // namespace

bool packClipBlock(const ClipBlockTensors& t, int heads, ClipPackedBlock* out,
                   int64_t typicalRows) {
    if (!packedKernelsAvailable() || !t.inWeight.device().is_cpu())
        return false;
    const int64_t width = t.outWeight.size(0);
    const double queryScale = 1.0 / std::sqrt(double(width / heads));
    ClipPackedBlock block;
    block.inProj = packScaled(t.inWeight, t.inBias, queryScale, 0, width, typicalRows);
    block.outProj = packScaled(t.outWeight, t.outBias, 1.0, 0, 0, typicalRows);
    const int64_t hidden = t.fcWeight.size(0);
    block.fc = packScaled(t.fcWeight, t.fcBias, kQuickGeluFactor, 0, hidden, typicalRows);
    // c_proj(h / 1.702): the bias is not divided, only the weight.
    block.proj = PackedLinear::pack(t.projWeight.to(torch::kFloat32) / kQuickGeluFactor,
                                    t.projBias.to(torch::kFloat32), typicalRows);
    if (!block.inProj.defined() || !block.proj.defined())
        return false;
    *out = std::move(block);
    return true;
}

torch::Tensor clipAttentionCore(const torch::Tensor& qkv, int heads, bool queryScaled,
                                const torch::Tensor& mask, torch::Tensor* attention) {
    const int64_t batch = qkv.size(0), tokens = qkv.size(1), width = qkv.size(2) / 3;
    const int64_t headDim = width / heads, groups = batch * heads;
    // One copy to (3, B, heads, T, dh) and K transposed once: batched products on contiguous
    // operands (the same idea as the DINO ViT's attention).
    const torch::Tensor parts =
        qkv.view({batch, tokens, 3, heads, headDim}).permute({2, 0, 3, 1, 4}).contiguous();
    const torch::Tensor q = parts[0].view({groups, tokens, headDim});
    const torch::Tensor kT = parts[1].view({groups, tokens, headDim}).transpose(1, 2).contiguous();
    const torch::Tensor v = parts[2].view({groups, tokens, headDim});
    torch::Tensor scores = parallelBatchedProducts(q, kT);
    if (!queryScaled)
        scores.mul_(1.0 / std::sqrt(double(headDim)));
    if (mask.defined())
        scores.add_(mask);
    const torch::Tensor probs = at::softmax(scores, -1);
    if (attention)
        *attention = probs.view({batch, heads, tokens, tokens}).mean(1);
    return parallelBatchedProducts(probs, v)
        .view({batch, heads, tokens, headDim})
        .transpose(1, 2)
        .reshape({batch, tokens, width});
}

torch::Tensor clipPackedMlp(const torch::Tensor& y, const ClipPackedBlock& block) {
    // hidden = 1.702 c_fc(y); QuickGELU(h) * 1.702 = silu(hidden) = hidden * sigmoid(hidden),
    // and c_proj's weight carries the 1 / 1.702.
    torch::Tensor hidden = block.fc(y);
    return block.proj(at::silu_(hidden));
}

} // namespace freesel
