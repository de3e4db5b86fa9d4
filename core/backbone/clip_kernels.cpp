// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/clip_kernels.h"

#include "backbone/vit_kernels.h"

#include <cmath>

namespace freesel {

namespace {

/// weight and bias (rows `begin`..`end` of both) times `factor`, float32; the rest unchanged.
VitLinear packScaled(const torch::Tensor& weight, const torch::Tensor& bias, double factor,
                     int64_t begin, int64_t end) {
    torch::Tensor w = weight.to(torch::kFloat32).clone();
    torch::Tensor b = bias.to(torch::kFloat32).clone();
    w.slice(0, begin, end).mul_(factor);
    b.slice(0, begin, end).mul_(factor);
    // Only the packed copy is kept: the exact path reads the checkpoint's own tensors.
    return VitLinear{{}, {}, packLinearWeight(w), b.contiguous()};
}

VitLinear packScaled(const torch::Tensor& weight, const torch::Tensor& bias, double factor) {
    return packScaled(weight, bias, factor, 0, weight.size(0));
}

/// Batched products of the heads: out[g] = a[g] @ b[g], the groups split over ATen's threads.
/// at::bmm runs its groups one after the other, each product on one BLAS thread (the BLAS pool
/// is one thread, vit_kernels.h), so the attention products used one core of the machine.
torch::Tensor groupedProducts(const torch::Tensor& a, const torch::Tensor& b) {
    torch::Tensor out = torch::empty({a.size(0), a.size(1), b.size(2)}, a.options());
    at::parallel_for(0, a.size(0), 1, [&](int64_t begin, int64_t end) {
        torch::Tensor slice = out.slice(0, begin, end);
        at::bmm_out(slice, a.slice(0, begin, end), b.slice(0, begin, end));
    });
    return out;
}

} // namespace

bool packClipBlock(const ClipBlockTensors& t, int heads, ClipPackedBlock* out) {
    if (!packedKernelsAvailable() || !t.inWeight.device().is_cpu())
        return false;
    const int64_t width = t.outWeight.size(0);
    const double queryScale = 1.0 / std::sqrt(double(width / heads));
    ClipPackedBlock block;
    block.inProj = packScaled(t.inWeight, t.inBias, queryScale, 0, width);
    block.outProj = packScaled(t.outWeight, t.outBias, 1.0);
    block.fc = packScaled(t.fcWeight, t.fcBias, kQuickGeluFactor);
    // c_proj(h / 1.702): the bias is not divided, only the weight.
    const torch::Tensor projWeight = t.projWeight.to(torch::kFloat32) / kQuickGeluFactor;
    block.proj = VitLinear{
        {}, {}, packLinearWeight(projWeight), t.projBias.to(torch::kFloat32).contiguous()};
    if (!block.inProj.packed.defined() || !block.proj.packed.defined())
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
    torch::Tensor scores = groupedProducts(q, kT);
    if (!queryScaled)
        scores.mul_(1.0 / std::sqrt(double(headDim)));
    if (mask.defined())
        scores.add_(mask);
    const torch::Tensor probs = at::softmax(scores, -1);
    if (attention)
        *attention = probs.view({batch, heads, tokens, tokens}).mean(1);
    return groupedProducts(probs, v)
        .view({batch, heads, tokens, headDim})
        .transpose(1, 2)
        .reshape({batch, tokens, width});
}

torch::Tensor clipPackedMlp(const torch::Tensor& y, const ClipPackedBlock& block) {
    const torch::Tensor rows =
        y.reshape({-1, y.size(-1)}).to(torch::kFloat32).contiguous().to_mkldnn();
    // hidden = 1.702 c_fc(y) in oneDNN's layout; QuickGELU(h) * 1.702 = hidden * sigmoid(hidden)
    // and c_proj's weight carries the 1 / 1.702.
    torch::Tensor hidden = at::mkldnn_linear(rows, block.fc.packed, block.fc.packedBias);
    hidden.mul_(at::sigmoid(hidden));
    const torch::Tensor out =
        at::mkldnn_linear(hidden, block.proj.packed, block.proj.packedBias).to_dense();
    std::vector<int64_t> shape = y.sizes().vec();
    shape.back() = out.size(-1);
    return out.view(shape);
}

} // namespace freesel
