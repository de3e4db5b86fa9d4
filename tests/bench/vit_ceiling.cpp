// SPDX-License-Identifier: GPL-3.0-or-later
#include "vit_ceiling.h"

#include "bench_registry.h"

#include "backbone/packed_linear.h"
#include "backbone/vit_kernels.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace freesel::bench {

namespace {

torch::ScalarType typeOf(VitPrecision precision) {
    return precision == VitPrecision::BFloat16 ? torch::kBFloat16 : torch::kFloat32;
}

int64_t tokensOf(const VitConfig& config, int side) {
    const int64_t grid = side / config.patchSize;
    return config.prefixTokens() + grid * grid;
}

double bestOf5(bool threadClock, const std::function<void()>& f) {
    f(); // warm-up: allocator growth, oneDNN primitive creation
    double best = 1e30;
    for (int r = 0; r < 5; ++r)
        best = std::min(best, timedSeconds(threadClock, f));
    return best;
}

PackedLinear randomLayer(int64_t in, int64_t out, torch::ScalarType type, int64_t rows) {
    return PackedLinear::pack((torch::randn({out, in}) * 0.02).to(type), torch::zeros({out}), rows);
}

} // namespace

double vitImageFlops(const VitConfig& config, int side) {
    const double t = double(tokensOf(config, side)), d = config.width, h = config.mlpHidden;
    const double patches = double(side / config.patchSize) * (side / config.patchSize);
    const double perBlock = 2.0 * t * d * (4.0 * d + 2.0 * h) + 2.0 * 2.0 * t * t * d;
    return config.depth * perBlock + 2.0 * patches * d * 3.0 * config.patchSize * config.patchSize;
}

double vitProductRate(const VitConfig& config, int side, int batch, VitPrecision precision,
                      bool threadClock) {
    torch::NoGradGuard noGrad;
    const torch::ScalarType type = typeOf(precision);
    const int64_t rows = int64_t(batch) * tokensOf(config, side), d = config.width;
    const int64_t h = config.mlpHidden;
    double flops = 0, seconds = 0;
    for (const auto& [in, out] :
         std::vector<std::pair<int64_t, int64_t>>{{d, 3 * d}, {d, d}, {d, h}, {h, d}}) {
        const PackedLinear layer = randomLayer(in, out, type, rows);
        const torch::Tensor x = torch::randn({rows, in}).to(type);
        seconds += bestOf5(threadClock, [&] { layer(x); });
        flops += 2.0 * double(rows) * double(in) * double(out);
    }
    return flops / seconds;
}

void printVitBlockBreakdown(const VitConfig& config, int side, int batch, VitPrecision precision,
                            bool threadClock) {
    torch::NoGradGuard noGrad;
    const torch::ScalarType type = typeOf(precision);
    const int64_t tokens = tokensOf(config, side), d = config.width, h = config.mlpHidden;
    const int64_t rows = int64_t(batch) * tokens, heads = config.heads, dh = d / heads;
    const int64_t groups = int64_t(batch) * heads;
    const PackedLinear qkvLayer = randomLayer(d, 3 * d, type, rows);
    const PackedLinear projLayer = randomLayer(d, d, type, rows);
    const PackedLinear fc1 = randomLayer(d, h, type, rows), fc2 = randomLayer(h, d, type, rows);
    const torch::Tensor x = torch::randn({batch, tokens, d});
    const torch::Tensor gamma = torch::ones({d}), beta = torch::zeros({d});
    const torch::Tensor qkv = qkvLayer(x);
    const torch::Tensor parts =
        qkv.view({batch, tokens, 3, heads, dh}).permute({2, 0, 3, 1, 4}).contiguous();
    const torch::Tensor q = parts[0].view({groups, tokens, dh});
    const torch::Tensor kT = parts[1].view({groups, tokens, dh}).transpose(1, 2).contiguous();
    const torch::Tensor v = parts[2].view({groups, tokens, dh});
    const bool fp32 = type == torch::kFloat32;
    auto products = [&](const torch::Tensor& a, const torch::Tensor& b) {
        return fp32 ? parallelBatchedProducts(a, b) : at::bmm(a, b);
    };
    const torch::Tensor scores = products(q, kT);
    const torch::Tensor probs = at::softmax(scores, -1, torch::kFloat32).to(type);
    const torch::Tensor mixed = products(probs, v);
    const torch::Tensor hidden = fc1(x);
    const torch::Tensor branch = projLayer(x); // a branch output in the compute type
    double sum = 0;
    auto time = [&](const std::function<void()>& f) { return 1e3 * bestOf5(threadClock, f); };
    auto part = [&](const char* name, const std::function<void()>& f) {
        const double ms = time(f);
        sum += ms;
        std::printf("# block part %-40s %8.3f ms\n", name, ms);
    };
    // What the ATen steps the fused kernels replaced cost (not in the sum).
    auto replaced = [&](const char* name, const std::function<void()>& f) {
        std::printf("# block was  %-40s %8.3f ms (not in the sum)\n", name, time(f));
    };
    std::printf("# one block of %s, batch %d (%lld rows), %s, %s\n", config.name.c_str(), batch,
                static_cast<long long>(rows), vitPrecisionName(precision),
                threadClock ? "one thread, its CPU time" : "wall clock");
    torch::Tensor stream = x.clone();
    const torch::Tensor none;
    part("residual add + layer_norm, fused x2", [&] {
        fusedResidualLayerNorm(stream, branch, none, gamma, beta, config.layerNormEps, type);
        fusedResidualLayerNorm(stream, branch, none, gamma, beta, config.layerNormEps, type);
    });
    replaced("residual add + layer_norm + cast, ATen x2", [&] {
        for (int i = 0; i < 2; ++i) {
            stream.add_(branch);
            at::layer_norm(stream, {d}, gamma, beta, config.layerNormEps).to(type);
        }
    });
    part("qkv product (packed)", [&] { qkvLayer(x); });
    replaced("copies: qkv to heads, K transposed", [&] {
        const torch::Tensor p =
            qkv.view({batch, tokens, 3, heads, dh}).permute({2, 0, 3, 1, 4}).contiguous();
        p[1].view({groups, tokens, dh}).transpose(1, 2).contiguous();
    });
    replaced("attention Q K^T", [&] { products(q, kT); });
    const torch::Tensor scoresCopy = scores.clone();
    replaced("softmax, fused (in place)", [&] { fusedSoftmax(scoresCopy, type); });
    replaced("softmax (ATen, float32 out) + cast",
             [&] { at::softmax(scores, -1, torch::kFloat32).to(type); });
    replaced("attention P V", [&] { products(probs, v); });
    replaced("copy: heads back to tokens", [&] {
        mixed.view({batch, heads, tokens, dh}).transpose(1, 2).reshape({batch, tokens, d});
    });
    // The fused attention replaces the five steps above (copies, Q K^T, softmax, P V, copy):
    // they are printed for comparison, it is in the sum.
    const double scale = 1.0 / std::sqrt(double(dh));
    part("attention, fused per head (replaces the 5 above)",
         [&] { fusedAttention(qkv, int(heads), scale); });
    part("proj product (packed)", [&] { projLayer(x); });
    part("fc1 product (packed)", [&] { fc1(x); });
    torch::Tensor hiddenCopy = hidden.clone();
    part("GELU, fused (in place)", [&] { fusedGeluInPlace(hiddenCopy); });
    replaced("GELU (ATen, in place)", [&] { at::gelu_(hiddenCopy); });
    part("fc2 product (packed)", [&] { fc2(hidden); });
    std::printf("# block parts sum %.3f ms; x %d blocks = %.1f ms per batch\n", sum, config.depth,
                sum * config.depth);
}

} // namespace freesel::bench
