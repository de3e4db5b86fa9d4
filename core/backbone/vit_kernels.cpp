// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/vit_kernels.h"

#include "backbone/parallel_chunks.h"
#include "backbone/vit_attention_kernel.h"
#include "backbone/vit_row_kernels.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace freesel {

bool packedKernelsAvailable() {
    return PackedLinear::available();
}

void avoidBlasThreadContention() {
    using SetThreads = void (*)(int);
    // Looked up at run time: the symbol exists only when LibTorch was linked with OpenBLAS.
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        set(1);
}

torch::Tensor packedMlp(const torch::Tensor& y, const PackedLinear& fc1, const PackedLinear& fc2,
                        bool fusedGelu) {
    torch::Tensor hidden = fc1(y);
    if (fusedGelu && fusedRowKernelsSupport(hidden.scalar_type()))
        fusedGeluInPlace(hidden);
    else
        at::gelu_(hidden);
    return fc2(hidden);
}

PackedLinear packPatchEmbedding(const torch::Tensor& weight, const torch::Tensor& bias,
                                int64_t typicalRows) {
    const int64_t width = weight.size(0);
    const torch::Tensor rows = weight.to(torch::kFloat32).reshape({width, -1});
    const torch::Tensor b =
        bias.defined() ? bias.to(torch::kFloat32) : torch::zeros({width}, rows.options());
    return PackedLinear::pack(rows, b, typicalRows);
}

torch::Tensor packedPatchEmbedding(const torch::Tensor& images, int patch,
                                   const PackedLinear& layer) {
    const int64_t batch = images.size(0), rows = images.size(2) / patch;
    const int64_t cols = images.size(3) / patch;
    // B x 3 x rows x P x cols x P -> B x rows x cols x 3 x P x P: each patch's pixels in the
    // weight's (channel, y, x) order.
    const torch::Tensor patches = images.to(torch::kFloat32)
                                      .view({batch, 3, rows, patch, cols, patch})
                                      .permute({0, 2, 4, 1, 3, 5})
                                      .reshape({batch, rows * cols, 3 * patch * patch});
    return layer(patches);
}

torch::Tensor parallelBatchedProducts(const torch::Tensor& a, const torch::Tensor& b) {
    torch::Tensor out = torch::empty({a.size(0), a.size(1), b.size(2)}, a.options());
    at::parallel_for(0, a.size(0), 1, [&](int64_t begin, int64_t end) {
        torch::Tensor slice = out.slice(0, begin, end);
        at::bmm_out(slice, a.slice(0, begin, end), b.slice(0, begin, end));
    });
    return out;
}

namespace {

// Rows (or elements) per task: enough that a task outweighs its scheduling, few enough that
// both threads get work at batch 1.
constexpr int64_t kRowGrain = 16;
constexpr int64_t kElementGrain = 16384;

bool isBf16(const torch::Tensor& t) {
    return t.scalar_type() == torch::kBFloat16;
}

void requireRowKernelInput(const torch::Tensor& t, const char* what) {
    if (!t.device().is_cpu() || !t.is_contiguous() || !fusedRowKernelsSupport(t.scalar_type()))
        throw std::invalid_argument(std::string("fused row kernels: ") + what +
                                    " must be a contiguous float32 or bfloat16 CPU tensor, got " +
                                    c10::str(t.scalar_type(), " ", t.sizes()));
}

} // namespace

bool fusedRowKernelsSupport(torch::ScalarType type) {
    return type == torch::kFloat32 || type == torch::kBFloat16;
}

torch::Tensor fusedResidualLayerNorm(torch::Tensor& x, const torch::Tensor& branch,
                                     const torch::Tensor& gamma, const torch::Tensor& weight,
                                     const torch::Tensor& bias, double eps,
                                     torch::ScalarType outType) {
    if (x.scalar_type() != torch::kFloat32)
        throw std::invalid_argument("fusedResidualLayerNorm: the residual stream must be float32");
    requireRowKernelInput(x, "the residual stream");
    const int64_t width = x.size(-1), rows = x.numel() / width;
    torch::Tensor out = torch::empty(x.sizes(), x.options().dtype(outType));
    requireRowKernelInput(out, "the output");
    const torch::Tensor w = weight.to(torch::kFloat32).contiguous();
    const torch::Tensor b = bias.to(torch::kFloat32).contiguous();
    torch::Tensor g, br;
    vitrows::ResidualNorm p;
    p.x = x.data_ptr<float>();
    if (branch.defined()) {
        if (branch.sizes() != x.sizes())
            throw std::invalid_argument("fusedResidualLayerNorm: branch " +
                                        c10::str(branch.sizes()) + " does not match x " +
                                        c10::str(x.sizes()));
        br = branch.contiguous();
        requireRowKernelInput(br, "the branch");
        p.branch = br.data_ptr();
        p.branchBf16 = isBf16(br);
        if (gamma.defined()) {
            g = gamma.to(torch::kFloat32).contiguous();
            p.gamma = g.data_ptr<float>();
        }
    }
    p.weight = w.data_ptr<float>();
    p.bias = b.data_ptr<float>();
    p.eps = static_cast<float>(eps);
    p.out = out.data_ptr();
    p.outBf16 = isBf16(out);
    p.width = width;
    parallelChunks(rows, kRowGrain,
                   [&](int64_t begin, int64_t end) { vitrows::residualLayerNorm(p, begin, end); });
    return out;
}

torch::Tensor fusedSoftmax(const torch::Tensor& scores, torch::ScalarType outType) {
    requireRowKernelInput(scores, "the scores");
    torch::Tensor out = outType == scores.scalar_type()
                            ? scores
                            : torch::empty(scores.sizes(), scores.options().dtype(outType));
    requireRowKernelInput(out, "the output");
    const int64_t cols = scores.size(-1), rows = scores.numel() / std::max<int64_t>(cols, 1);
    const void* in = scores.data_ptr();
    void* o = out.data_ptr();
    const bool inBf16 = isBf16(scores), outBf16 = isBf16(out);
    parallelChunks(rows, kRowGrain, [&](int64_t begin, int64_t end) {
        vitrows::softmaxRows(in, inBf16, o, outBf16, cols, begin, end);
    });
    return out;
}

torch::Tensor fusedAttention(const torch::Tensor& qkv, int heads, double scale,
                             torch::Tensor* probs) {
    requireRowKernelInput(qkv, "the QKV output");
    if (qkv.dim() != 3 || heads <= 0 || qkv.size(2) % (3 * int64_t(heads)) != 0)
        throw std::invalid_argument("fusedAttention: qkv must be B x T x 3d with d a multiple of "
                                    "the " +
                                    std::to_string(heads) + " heads, got " + c10::str(qkv.sizes()));
    const int64_t batch = qkv.size(0), tokens = qkv.size(1), width = qkv.size(2) / 3;
    const int64_t headDim = width / heads, elementSize = qkv.element_size();
    torch::Tensor out = torch::empty({batch, tokens, width}, qkv.options());
    if (probs)
        *probs = torch::empty({batch, heads, tokens, tokens}, qkv.options().dtype(torch::kFloat32));
    const auto* base = static_cast<const char*>(qkv.data_ptr());
    auto* outBase = static_cast<char*>(out.data_ptr());
    float* probsBase = probs ? probs->data_ptr<float>() : nullptr;
    // One task per (image, head): each repacks its K and V once and keeps them in cache.
    parallelChunks(batch * heads, 1, [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
            const int64_t b = task / heads, h = task % heads;
            const char* rows = base + b * tokens * 3 * width * elementSize;
            vitattn::AttentionHead head;
            head.q = rows + h * headDim * elementSize;
            head.k = rows + (width + h * headDim) * elementSize;
            head.v = rows + (2 * width + h * headDim) * elementSize;
            head.rowStride = 3 * width;
            head.bf16 = isBf16(qkv);
            head.tokens = tokens;
            head.headDim = headDim;
            head.scale = static_cast<float>(scale);
            head.out = outBase + (b * tokens * width + h * headDim) * elementSize;
            head.outStride = width;
            head.probs = probsBase ? probsBase + task * tokens * tokens : nullptr;
            vitattn::attentionHead(head);
        }
    });
    return out;
}

bool fusedAttentionVectorised(torch::ScalarType type, int64_t headDim) {
    return fusedRowKernelsSupport(type) &&
           vitattn::attentionHeadVectorised(type == torch::kBFloat16, headDim);
}

void fusedGeluInPlace(const torch::Tensor& x) {
    requireRowKernelInput(x, "the GELU input");
    const bool bf16 = isBf16(x);
    void* data = x.data_ptr();
    parallelChunks(x.numel(), kElementGrain, [&](int64_t begin, int64_t end) {
        if (bf16)
            vitrows::geluErf(static_cast<vitrows::Bf16*>(data), begin, end);
        else
            vitrows::geluErf(static_cast<float*>(data), begin, end);
    });
}

} // namespace freesel
