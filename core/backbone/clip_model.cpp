// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/clip_model.h"

#include "backbone/vit_kernels.h"
#include "image/grid_coverage.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <stdexcept>

namespace freesel {

namespace {

constexpr double kLayerNormEps = 1e-5;

torch::Tensor layerNorm(const torch::Tensor& x, const ClipWeights& w, const std::string& prefix) {
    const auto width = x.size(-1);
    return torch::layer_norm(x, {width}, w.at(prefix + ".weight"), w.at(prefix + ".bias"),
                             kLayerNormEps);
}

/// x += attn(ln_1 x); x += c_proj(QuickGELU(c_fc(ln_2 x))) (ResidualAttentionBlock), in place:
/// `x` is the encoder's own residual stream. The packed block when packClipWeights made one,
/// else torch::linear on the checkpoint's tensors.
torch::Tensor block(torch::Tensor x, const ClipWeights& w, const std::string& p, int heads,
                    const torch::Tensor& mask, torch::Tensor* attention) {
    const auto packedIt = w.packed.find(p);
    const ClipPackedBlock* packed = packedIt == w.packed.end() ? nullptr : &packedIt->second;
    auto linear = [&](const torch::Tensor& in, const std::string& name, const char* bias) {
        return torch::linear(in, w.at(p + name + "weight"), w.at(p + name + bias));
    };
    torch::Tensor y = layerNorm(x, w, p + "ln_1");
    const torch::Tensor qkv = packed ? packed->inProj(y) : linear(y, "attn.in_proj_", "bias");
    const torch::Tensor mixed = clipAttentionCore(qkv, heads, packed != nullptr, mask, attention);
    x.add_(packed ? packed->outProj(mixed) : linear(mixed, "attn.out_proj.", "bias"));
    y = layerNorm(x, w, p + "ln_2");
    if (packed)
        return x.add_(clipPackedMlp(y, *packed));
    torch::Tensor h = linear(y, "mlp.c_fc.", "bias");
    h = h * torch::sigmoid(kQuickGeluFactor * h); // QuickGELU, not GELU
    return x.add_(linear(h, "mlp.c_proj.", "bias"));
}

} // namespace

const torch::Tensor& ClipWeights::at(const std::string& name) const {
    const auto it = tensors.find(name);
    if (it == tensors.end())
        throw std::runtime_error("CLIP weights: missing tensor '" + name + "'");
    return it->second;
}

void packClipWeights(ClipWeights& weights, int typicalBatch) {
    auto tower = [&](const std::string& prefix, const ClipTowerConfig& config, int64_t tokens) {
        for (int i = 0; i < config.layers; ++i) {
            const std::string p = prefix + std::to_string(i) + ".";
            const ClipBlockTensors tensors{
                weights.at(p + "attn.in_proj_weight"),  weights.at(p + "attn.in_proj_bias"),
                weights.at(p + "attn.out_proj.weight"), weights.at(p + "attn.out_proj.bias"),
                weights.at(p + "mlp.c_fc.weight"),      weights.at(p + "mlp.c_fc.bias"),
                weights.at(p + "mlp.c_proj.weight"),    weights.at(p + "mlp.c_proj.bias")};
            ClipPackedBlock block;
            if (!packClipBlock(tensors, config.heads, &block, typicalBatch * tokens))
                return; // no oneDNN, or not on the CPU: the exact path
            weights.packed[p] = std::move(block);
        }
    };
    const ClipConfig& c = weights.config;
    if (!weights.at("visual.conv1.weight").device().is_cpu() || !packedKernelsAvailable())
        return;
    weights.packedPatchEmbed = packPatchEmbedding(weights.at("visual.conv1.weight"), {},
                                                  int64_t(typicalBatch) * c.grid * c.grid);
    tower("visual.transformer.resblocks.", c.vision, int64_t(c.grid) * c.grid + 1);
    tower("transformer.resblocks.", c.text, c.contextLength);
}

double ClipWeights::logitScale() const {
    return std::exp(at("logit_scale").item<double>());
}

std::vector<std::pair<std::string, std::vector<int64_t>>> expectedClipTensors(const ClipConfig& c) {
    std::vector<std::pair<std::string, std::vector<int64_t>>> out;
    auto tower = [&out](const std::string& prefix, const ClipTowerConfig& t) {
        const int64_t w = t.width;
        for (int i = 0; i < t.layers; ++i) {
            const std::string p = prefix + "resblocks." + std::to_string(i) + ".";
            out.push_back({p + "attn.in_proj_weight", {3 * w, w}});
            out.push_back({p + "attn.in_proj_bias", {3 * w}});
            out.push_back({p + "attn.out_proj.weight", {w, w}});
            out.push_back({p + "attn.out_proj.bias", {w}});
            for (const char* norm : {"ln_1", "ln_2"}) {
                out.push_back({p + norm + ".weight", {w}});
                out.push_back({p + norm + ".bias", {w}});
            }
            out.push_back({p + "mlp.c_fc.weight", {4 * w, w}});
            out.push_back({p + "mlp.c_fc.bias", {4 * w}});
            out.push_back({p + "mlp.c_proj.weight", {w, 4 * w}});
            out.push_back({p + "mlp.c_proj.bias", {w}});
        }
    };
    const int64_t vw = c.vision.width, tw = c.text.width;
    out.push_back({"visual.conv1.weight", {vw, 3, c.patchSize, c.patchSize}});
    out.push_back({"visual.class_embedding", {vw}});
    out.push_back({"visual.positional_embedding", {int64_t(c.grid) * c.grid + 1, vw}});
    for (const char* norm : {"visual.ln_pre", "visual.ln_post", "ln_final"}) {
        const int64_t w = norm[0] == 'l' ? tw : vw;
        out.push_back({std::string(norm) + ".weight", {w}});
        out.push_back({std::string(norm) + ".bias", {w}});
    }
    out.push_back({"visual.proj", {vw, c.embedDim}});
    tower("visual.transformer.", c.vision);
    out.push_back({"token_embedding.weight", {c.vocabSize, tw}});
    out.push_back({"positional_embedding", {c.contextLength, tw}});
    tower("transformer.", c.text);
    out.push_back({"text_projection", {tw, c.embedDim}});
    out.push_back({"logit_scale", {}});
    return out;
}

ClipImageOutput clipEncodeImage(const ClipWeights& w, const torch::Tensor& images) {
    const ClipConfig& c = w.config;
    const int size = c.inputResolution();
    if (images.dim() != 4 || images.size(1) != 3 || images.size(2) != size ||
        images.size(3) != size)
        throw std::invalid_argument("CLIP " + c.describe() + " takes B x 3 x " +
                                    std::to_string(size) + " x " + std::to_string(size) +
                                    " images");
    torch::NoGradGuard noGrad;
    torch::Tensor x = // B x grid^2 x width
        w.packedPatchEmbed.defined()
            ? packedPatchEmbedding(images, c.patchSize, w.packedPatchEmbed)
            : torch::conv2d(images, w.at("visual.conv1.weight"), {}, c.patchSize)
                  .flatten(2)
                  .transpose(1, 2);
    const torch::Tensor cls =
        w.at("visual.class_embedding").reshape({1, 1, -1}).expand({x.size(0), 1, x.size(2)});
    x = torch::cat({cls, x}, 1) + w.at("visual.positional_embedding");
    x = layerNorm(x, w, "visual.ln_pre");
    ClipImageOutput out;
    for (int i = 0; i < c.vision.layers; ++i)
        x = block(x, w, "visual.transformer.resblocks." + std::to_string(i) + ".", c.vision.heads,
                  {}, i + 1 == c.vision.layers ? &out.attention : nullptr);
    out.tokens = layerNorm(x, w, "visual.ln_post");
    out.embedding = torch::matmul(out.tokens.select(1, 0), w.at("visual.proj"));
    return out;
}

torch::Tensor clipEncodeText(const ClipWeights& w, const torch::Tensor& ids) {
    const ClipConfig& c = w.config;
    if (ids.dim() != 2 || ids.size(1) != c.contextLength)
        throw std::invalid_argument("CLIP text input must be B x " +
                                    std::to_string(c.contextLength) + " token ids");
    torch::NoGradGuard noGrad;
    const torch::Tensor tokens = ids.to(torch::kLong);
    if (tokens.numel() > 0 &&
        (tokens.min().item<int64_t>() < 0 || tokens.max().item<int64_t>() >= c.vocabSize))
        throw std::invalid_argument("CLIP token ids must lie in 0.." +
                                    std::to_string(c.vocabSize - 1));
    torch::Tensor x =
        torch::embedding(w.at("token_embedding.weight"), tokens) + w.at("positional_embedding");
    // Causal mask: a token sees itself and the tokens before it.
    const torch::Tensor mask =
        torch::full({c.contextLength, c.contextLength}, -INFINITY, x.options()).triu(1);
    for (int i = 0; i < c.text.layers; ++i)
        x = block(x, w, "transformer.resblocks." + std::to_string(i) + ".", c.text.heads, mask,
                  nullptr);
    x = layerNorm(x, w, "ln_final");
    // The end-of-text id is the largest in the vocabulary: pool at argmax(ids).
    const torch::Tensor rows = torch::arange(x.size(0), tokens.options());
    const torch::Tensor pooled = x.index({rows, tokens.argmax(-1)});
    return torch::matmul(pooled, w.at("text_projection"));
}

ResizeSpec clipResize(int size) {
    return ResizeSpec::keepAspect(size, 1);
}

torch::Tensor clipInputTensor(const std::vector<cv::Mat>& rgbImages, int size,
                              const torch::Device& device) {
    static const float kMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
    static const float kStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};
    torch::Tensor batch = torch::empty({int64_t(rgbImages.size()), 3, size, size});
    for (size_t b = 0; b < rgbImages.size(); ++b) {
        const cv::Mat& image = rgbImages[b];
        if (image.empty() || image.type() != CV_8UC3)
            throw std::invalid_argument("CLIP input must be 8-bit RGB images");
        const cv::Mat resized = resizeForModel(image, clipResize(size));
        const int rows = resized.rows, cols = resized.cols;
        const int top = centreCropOffset(rows, size), left = centreCropOffset(cols, size);
        const cv::Mat crop = resized(cv::Rect(left, top, size, size));
        torch::Tensor slot = batch[int64_t(b)]; // a view: the accessor writes into the batch
        auto out = slot.accessor<float, 3>();
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                const cv::Vec3b& px = crop.at<cv::Vec3b>(y, x);
                for (int ch = 0; ch < 3; ++ch)
                    out[ch][y][x] = (px[ch] / 255.0f - kMean[ch]) / kStd[ch];
            }
    }
    return batch.to(device);
}

} // namespace freesel
