// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/clip_model.h"

#include "backbone/vit_kernels.h"

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

/// One block product: oneDNN's packed kernel when packClipWeights made one, else torch::linear.
torch::Tensor product(const torch::Tensor& x, const ClipWeights& w, const std::string& name,
                      const std::string& weight, const std::string& bias) {
    const auto packed = w.packed.find(name);
    if (packed != w.packed.end())
        return packedLinear(x, packed->second);
    return torch::linear(x, w.at(name + weight), w.at(name + bias));
}

/// nn.MultiheadAttention on a batch-first sequence: in_proj rows are q; k; v. `mask` (T x T,
/// -inf where not allowed) may be undefined. `attention` receives the head-averaged softmax.
torch::Tensor selfAttention(const torch::Tensor& y, const ClipWeights& w, const std::string& p,
                            int heads, const torch::Tensor& mask, torch::Tensor* attention) {
    const auto batch = y.size(0), tokens = y.size(1), width = y.size(2);
    const auto headDim = width / heads;
    const torch::Tensor qkv = product(y, w, p + "in_proj", "_weight", "_bias")
                                  .reshape({batch, tokens, 3, heads, headDim})
                                  .permute({2, 0, 3, 1, 4});
    // MultiheadAttention scales q before the product.
    const torch::Tensor q = qkv[0] * (1.0 / std::sqrt(double(headDim)));
    torch::Tensor scores = torch::matmul(q, qkv[1].transpose(-2, -1));
    if (mask.defined())
        scores = scores + mask;
    const torch::Tensor probs = torch::softmax(scores, -1);
    if (attention)
        *attention = probs.mean(1);
    const torch::Tensor out =
        torch::matmul(probs, qkv[2]).transpose(1, 2).reshape({batch, tokens, width});
    return product(out, w, p + "out_proj", ".weight", ".bias");
}

/// ResidualAttentionBlock: x += attn(ln_1 x); x += c_proj(QuickGELU(c_fc(ln_2 x))).
torch::Tensor block(torch::Tensor x, const ClipWeights& w, const std::string& p, int heads,
                    const torch::Tensor& mask, torch::Tensor* attention) {
    x = x + selfAttention(layerNorm(x, w, p + "ln_1"), w, p + "attn.", heads, mask, attention);
    torch::Tensor h = product(layerNorm(x, w, p + "ln_2"), w, p + "mlp.c_fc", ".weight", ".bias");
    h = h * torch::sigmoid(1.702 * h); // QuickGELU, not GELU
    return x + product(h, w, p + "mlp.c_proj", ".weight", ".bias");
}

} // namespace

const torch::Tensor& ClipWeights::at(const std::string& name) const {
    const auto it = tensors.find(name);
    if (it == tensors.end())
        throw std::runtime_error("CLIP weights: missing tensor '" + name + "'");
    return it->second;
}

void packClipWeights(ClipWeights& weights) {
    if (!packedKernelsAvailable())
        return;
    const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> layers{
        {"attn.in_proj", {"_weight", "_bias"}},
        {"attn.out_proj", {".weight", ".bias"}},
        {"mlp.c_fc", {".weight", ".bias"}},
        {"mlp.c_proj", {".weight", ".bias"}}};
    auto tower = [&](const std::string& prefix, int blocks) {
        for (int i = 0; i < blocks; ++i)
            for (const auto& [layer, names] : layers) {
                const std::string name = prefix + std::to_string(i) + "." + layer;
                VitLinear linear{
                    weights.at(name + names.first), weights.at(name + names.second), {}, {}};
                linear.packed = packLinearWeight(linear.weight.to(torch::kFloat32));
                if (!linear.packed.defined())
                    return; // not on the CPU: the exact path
                linear.packedBias = linear.bias.to(torch::kFloat32).contiguous();
                weights.packed[name] = std::move(linear);
            }
    };
    tower("visual.transformer.resblocks.", weights.config.vision.layers);
    tower("transformer.resblocks.", weights.config.text.layers);
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
    torch::Tensor x = torch::conv2d(images, w.at("visual.conv1.weight"), {}, c.patchSize)
                          .flatten(2)
                          .transpose(1, 2); // B x grid^2 x width
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
        // torchvision CenterCrop: top = round((rows - size) / 2)
        const int top = int(std::lround((rows - size) / 2.0));
        const int left = int(std::lround((cols - size) / 2.0));
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
