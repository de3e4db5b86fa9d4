// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/vit_model.h"

#include "backbone/vit_kernels.h"
#include "image/image_preprocessing.h"

#include <cmath>
#include <stdexcept>

namespace freesel {

namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;

std::uint64_t fnv1a64(const std::string& text) {
    std::uint64_t h = 0xCBF29CE484222325ull;
    for (unsigned char byte : text)
        h = (h ^ byte) * 0x100000001B3ull;
    return h;
}

std::uint64_t mix64(std::uint64_t x) { // splitmix64 finaliser
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

bool isLayerNormTensor(const std::string& name) {
    // Any path component before the last one that starts with "norm": norm1, norm2, norm.
    size_t start = 0;
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
        if (name.compare(start, 4, "norm") == 0)
            return true;
        start = dot + 1;
    }
    return false;
}

bool endsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// (offset, spread) of a synthetic tensor; mirrors tensor_scale() in generate_vit_reference.py.
std::pair<double, double> syntheticScale(const std::string& name,
                                         const std::vector<int64_t>& shape) {
    if (name == "cls_token" || name == "pos_embed" || name == "register_tokens")
        return {0.0, 1.0};
    if (endsWith(name, ".gamma"))
        return {0.5, 0.25};
    if (isLayerNormTensor(name))
        return endsWith(name, ".weight") ? std::make_pair(1.0, 0.25) : std::make_pair(0.0, 0.1);
    if (endsWith(name, ".bias"))
        return {0.0, 0.1};
    int64_t fanIn = 1;
    for (size_t i = 1; i < shape.size(); ++i)
        fanIn *= shape[i];
    const double gain = endsWith(name, "attn.qkv.weight") ? 2.0 : 1.0;
    return {0.0, gain * std::sqrt(3.0 / static_cast<double>(fanIn))};
}

torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& weight,
                        const torch::Tensor& bias, double eps) {
    return at::layer_norm(x, {x.size(-1)}, weight, bias, eps);
}

torch::Tensor linear(const torch::Tensor& x, const VitLinear& layer,
                     const VitExecution& execution) {
    if (execution.packedKernels && layer.packed.defined())
        return layer.packed(x);
    return at::linear(x.to(execution.computeType), layer.weight, layer.bias);
}

/// x += branch (times the layer-scale gamma when defined), in place: `x` is the forward pass's
/// own residual stream (float32), never a caller's tensor. A bfloat16 branch is added with
/// float32 arithmetic without a float32 copy of it first.
torch::Tensor addResidual(torch::Tensor x, torch::Tensor branch, const torch::Tensor& gamma) {
    if (gamma.defined())
        branch = branch.to(torch::kFloat32).mul_(gamma);
    return x.add_(branch);
}

/// A branch output not yet added to the residual stream: the fused kernels add it in the same
/// pass as the next LayerNorm.
struct PendingResidual {
    torch::Tensor branch; ///< undefined: nothing to add
    torch::Tensor gamma;  ///< layer scale; undefined without
};

/// True when the forward pass runs the fused CPU row kernels (vit_row_kernels.h): with the
/// packed products, on the CPU, in float32 or bfloat16.
bool fusedRows(const torch::Tensor& x, const VitExecution& execution) {
    return execution.packedKernels && execution.fusedRowKernels && x.device().is_cpu() &&
           fusedRowKernelsSupport(execution.computeType);
}

/// x += pending (in place), then LayerNorm(x): in the compute type for a product's input when
/// `forProduct` and the fused kernels run (the product would convert it anyway), else float32.
torch::Tensor addAndNorm(torch::Tensor& x, PendingResidual pending, const torch::Tensor& weight,
                         const torch::Tensor& bias, const VitConfig& config,
                         const VitExecution& execution, bool forProduct) {
    if (fusedRows(x, execution))
        return fusedResidualLayerNorm(x, pending.branch, pending.gamma, weight, bias,
                                      config.layerNormEps,
                                      forProduct ? execution.computeType : torch::kFloat32);
    if (pending.branch.defined())
        x = addResidual(x, pending.branch, pending.gamma);
    return layerNorm(x, weight, bias, config.layerNormEps);
}

/// Softmax of the (already scaled) scores in float32 arithmetic, returned in the compute type
/// for the P V product. Writes the head-averaged float32 probabilities when `attentionOut`.
torch::Tensor attentionProbabilities(const torch::Tensor& scores, int64_t batch, int heads,
                                     const VitExecution& execution, torch::Tensor* attentionOut) {
    const int64_t tokens = scores.size(1);
    const bool fused = execution.packedKernels && execution.fusedRowKernels &&
                       scores.device().is_cpu() && fusedRowKernelsSupport(scores.scalar_type());
    if (fused && !attentionOut) // bfloat16 in, bfloat16 out: no float32 round trip
        return fusedSoftmax(scores, execution.computeType);
    // The map the store keeps comes from float32 probabilities, whatever the compute type.
    const torch::Tensor probs = at::softmax(scores, -1, torch::kFloat32);
    if (attentionOut)
        *attentionOut = probs.view({batch, heads, tokens, tokens}).mean(1);
    return probs.to(execution.computeType);
}

/// The attention branch before its residual add: proj(attention(y)), y the LayerNorm output.
/// Writes the head-averaged probabilities when `attentionOut` is given.
torch::Tensor attentionBranch(const torch::Tensor& y, const VitBlockWeights& block,
                              const VitConfig& config, const VitExecution& execution,
                              torch::Tensor* attentionOut) {
    const int64_t batch = y.size(0), tokens = y.size(1);
    const int heads = config.heads, headDim = config.headDim();
    const bool prescaled =
        block.queryScaleInPacked && execution.packedKernels && block.qkv.packed.defined();
    const double scale = prescaled ? 1.0 : 1.0 / std::sqrt(static_cast<double>(headDim));
    if (execution.fusedAttention && fusedRows(y, execution) &&
        fusedAttentionVectorised(execution.computeType, headDim)) {
        // Straight from the QKV rows, no copies, one parallel region (vit_attention_kernel.h).
        const torch::Tensor qkv = linear(y, block.qkv, execution).contiguous();
        torch::Tensor probs;
        const torch::Tensor mixed =
            fusedAttention(qkv, heads, scale, attentionOut ? &probs : nullptr);
        if (attentionOut)
            *attentionOut = probs.mean(1);
        return linear(mixed, block.proj, execution);
    }
    // One copy to (3, B, heads, T, dh) and K transposed once: batched products on contiguous
    // operands run ~10x faster on the CPU than matmul on the strided views (measured 4.6 ->
    // 0.5 ms per image for Q K^T at ViT-S/16), and compute the same sums.
    const torch::Tensor qkv = linear(y, block.qkv, execution)
                                  .view({batch, tokens, 3, heads, headDim})
                                  .permute({2, 0, 3, 1, 4})
                                  .contiguous();
    const int64_t groups = batch * heads;
    const torch::Tensor q = qkv[0].view({groups, tokens, headDim});
    const torch::Tensor kT = qkv[1].view({groups, tokens, headDim}).transpose(1, 2).contiguous();
    const torch::Tensor v = qkv[2].view({groups, tokens, headDim});
    // float32: split over the threads (at::bmm would run them on one BLAS thread).
    torch::Tensor scores = execution.computeType == torch::kFloat32 && q.device().is_cpu()
                               ? parallelBatchedProducts(q, kT)
                               : at::bmm(q, kT);
    if (!prescaled)
        scores.mul_(scale);
    const torch::Tensor weighted =
        attentionProbabilities(scores, batch, heads, execution, attentionOut);
    const torch::Tensor mixed = (execution.computeType == torch::kFloat32 && v.device().is_cpu()
                                     ? parallelBatchedProducts(weighted, v)
                                     : at::bmm(weighted, v))
                                    .view({batch, heads, tokens, headDim})
                                    .transpose(1, 2)
                                    .reshape({batch, tokens, config.width});
    return linear(mixed, block.proj, execution);
}

/// The MLP branch before its residual add: fc2(gelu(fc1(y))).
torch::Tensor mlpBranch(const torch::Tensor& y, const VitBlockWeights& block,
                        const VitExecution& execution) {
    if (execution.packedKernels && block.fc1.packed.defined())
        return packedMlp(y, block.fc1.packed, block.fc2.packed, execution.fusedRowKernels);
    return linear(at::gelu(linear(y, block.fc1, execution)), block.fc2, execution);
}

/// Patch embedding, [CLS], position embeddings and registers: B x T x d float32.
torch::Tensor embed(const VitWeights& weights, const torch::Tensor& images,
                    const VitExecution& execution) {
    const VitConfig& config = weights.config;
    const int patch = config.patchSize;
    if (images.dim() != 4 || images.size(1) != 3 || images.size(2) % patch != 0 ||
        images.size(3) % patch != 0 || images.size(2) < patch || images.size(3) < patch)
        throw std::invalid_argument(
            "ViT input must be B x 3 x H x W with H and W positive multiples of the patch size " +
            std::to_string(patch) + ", got " + c10::str(images.sizes()));
    const int64_t batch = images.size(0);
    const int rows = static_cast<int>(images.size(2) / patch);
    const int cols = static_cast<int>(images.size(3) / patch);
    const torch::Tensor patches = execution.packedKernels && weights.patchPacked.defined()
                                      ? packedPatchEmbedding(images, patch, weights.patchPacked)
                                      : at::conv2d(images.to(torch::kFloat32), weights.patchWeight,
                                                   weights.patchBias, {patch, patch})
                                            .flatten(2)
                                            .transpose(1, 2);
    torch::Tensor x = at::cat({weights.clsToken.expand({batch, -1, -1}), patches}, 1) +
                      interpolatePositionEmbedding(weights.posEmbed, rows, cols);
    if (config.registers > 0)
        x = at::cat(
            {x.slice(1, 0, 1), weights.registerTokens.expand({batch, -1, -1}), x.slice(1, 1)}, 1);
    return x.contiguous();
}

torch::Tensor required(const TensorMap& tensors, const std::string& name,
                       const std::string& source) {
    const auto it = tensors.find(name);
    if (it == tensors.end())
        throw std::runtime_error(source + ": missing tensor '" + name + "'");
    return it->second.to(torch::kCPU, torch::kFloat32).contiguous();
}

VitLinear requiredLinear(const TensorMap& tensors, const std::string& prefix,
                         const std::string& source) {
    return {required(tensors, prefix + ".weight", source),
            required(tensors, prefix + ".bias", source),
            {}};
}

} // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>>
expectedVitTensors(const VitConfig& config) {
    const int64_t d = config.width, p = config.patchSize, hidden = config.mlpHidden;
    const int64_t positions = 1 + int64_t(config.positionGrid) * config.positionGrid;
    std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
        {"cls_token", {1, 1, d}},
        {"pos_embed", {1, positions, d}},
        {"patch_embed.proj.weight", {d, 3, p, p}},
        {"patch_embed.proj.bias", {d}},
    };
    if (config.registers > 0)
        expected.push_back({"register_tokens", {1, config.registers, d}});
    for (int i = 0; i < config.depth; ++i) {
        const std::string b = "blocks." + std::to_string(i) + ".";
        const std::vector<std::pair<std::string, std::vector<int64_t>>> block = {
            {b + "norm1.weight", {d}},           {b + "norm1.bias", {d}},
            {b + "attn.qkv.weight", {3 * d, d}}, {b + "attn.qkv.bias", {3 * d}},
            {b + "attn.proj.weight", {d, d}},    {b + "attn.proj.bias", {d}},
            {b + "norm2.weight", {d}},           {b + "norm2.bias", {d}},
            {b + "mlp.fc1.weight", {hidden, d}}, {b + "mlp.fc1.bias", {hidden}},
            {b + "mlp.fc2.weight", {d, hidden}}, {b + "mlp.fc2.bias", {d}},
        };
        expected.insert(expected.end(), block.begin(), block.end());
        if (config.layerScale) {
            expected.push_back({b + "ls1.gamma", {d}});
            expected.push_back({b + "ls2.gamma", {d}});
        }
    }
    expected.push_back({"norm.weight", {d}});
    expected.push_back({"norm.bias", {d}});
    return expected;
}

bool isUnusedVitTensor(const std::string& name) {
    return name == "mask_token";
}

VitWeights vitWeightsFromMap(const TensorMap& tensors, const VitConfig& config,
                             const std::string& source) {
    config.validate();
    VitWeights w;
    w.config = config;
    w.clsToken = required(tensors, "cls_token", source);
    w.posEmbed = required(tensors, "pos_embed", source);
    if (config.registers > 0)
        w.registerTokens = required(tensors, "register_tokens", source);
    w.patchWeight = required(tensors, "patch_embed.proj.weight", source);
    w.patchBias = required(tensors, "patch_embed.proj.bias", source);
    w.normWeight = required(tensors, "norm.weight", source);
    w.normBias = required(tensors, "norm.bias", source);
    for (int i = 0; i < config.depth; ++i) {
        const std::string b = "blocks." + std::to_string(i) + ".";
        VitBlockWeights block;
        block.norm1Weight = required(tensors, b + "norm1.weight", source);
        block.norm1Bias = required(tensors, b + "norm1.bias", source);
        block.norm2Weight = required(tensors, b + "norm2.weight", source);
        block.norm2Bias = required(tensors, b + "norm2.bias", source);
        block.qkv = requiredLinear(tensors, b + "attn.qkv", source);
        block.proj = requiredLinear(tensors, b + "attn.proj", source);
        block.fc1 = requiredLinear(tensors, b + "mlp.fc1", source);
        block.fc2 = requiredLinear(tensors, b + "mlp.fc2", source);
        if (config.layerScale) {
            block.ls1 = required(tensors, b + "ls1.gamma", source);
            block.ls2 = required(tensors, b + "ls2.gamma", source);
        }
        w.blocks.push_back(std::move(block));
    }
    return w;
}

TensorMap syntheticVitTensors(const VitConfig& config, std::uint64_t seed) {
    TensorMap tensors;
    for (const auto& [name, shape] : expectedVitTensors(config)) {
        const auto [offset, spread] = syntheticScale(name, shape);
        torch::Tensor tensor = torch::empty(shape, torch::kFloat32);
        float* data = tensor.data_ptr<float>();
        const std::uint64_t base = fnv1a64(name) ^ (seed * kGolden);
        for (int64_t i = 0; i < tensor.numel(); ++i) {
            const std::uint64_t bits = mix64(base + std::uint64_t(i) * kGolden) >> 40;
            const double u = static_cast<double>(bits) / double(1 << 23) - 1.0;
            data[i] = static_cast<float>(offset + spread * u);
        }
        tensors[name] = tensor;
    }
    return tensors;
}

cv::Mat syntheticRgbImage(int height, int width, std::uint64_t seed) {
    cv::Mat image(height, width, CV_8UC3);
    const std::uint64_t base = fnv1a64("image") ^ seed;
    for (int64_t i = 0; i < int64_t(height) * width * 3; ++i)
        image.data[i] = static_cast<uchar>(mix64(base + std::uint64_t(i) * kGolden) >> 56);
    return image;
}

torch::Tensor vitInputTensor(const std::vector<cv::Mat>& rgbImages, const torch::Device& device) {
    if (rgbImages.empty())
        throw std::invalid_argument("vitInputTensor: no images");
    const int rows = rgbImages.front().rows, cols = rgbImages.front().cols;
    for (size_t i = 0; i < rgbImages.size(); ++i) {
        const cv::Mat& image = rgbImages[i];
        if (image.type() != CV_8UC3 || image.rows != rows || image.cols != cols)
            throw std::invalid_argument("vitInputTensor: image " + std::to_string(i) +
                                        " is not 8-bit RGB of " + std::to_string(cols) + "x" +
                                        std::to_string(rows));
    }
    const Normalization imageNet;
    if (device.is_cpu()) { // bit for bit the device path's expression below (image_preprocessing.h)
        const int64_t plane = int64_t(rows) * cols;
        torch::Tensor x = torch::empty({int64_t(rgbImages.size()), 3, rows, cols}, torch::kFloat32);
        for (size_t i = 0; i < rgbImages.size(); ++i)
            toNormalizedChw(rgbImages[i], x.data_ptr<float>() + int64_t(i) * 3 * plane, imageNet);
        return x;
    }
    torch::Tensor bytes = torch::empty({int64_t(rgbImages.size()), rows, cols, 3}, torch::kUInt8);
    for (size_t i = 0; i < rgbImages.size(); ++i) {
        const cv::Mat dense = rgbImages[i].isContinuous() ? rgbImages[i] : rgbImages[i].clone();
        std::memcpy(bytes[int64_t(i)].data_ptr(), dense.data, size_t(rows) * cols * 3);
    }
    // Normalise on the target device: uploading bytes is 4x cheaper than floats.
    const auto floats = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    const auto channels = [&](const float(&values)[3]) {
        return torch::tensor({values[0], values[1], values[2]}, floats).view({1, 3, 1, 1});
    };
    const torch::Tensor mean = channels(imageNet.mean);
    const torch::Tensor stdev = channels(imageNet.std);
    const torch::Tensor x = bytes.to(device).permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0;
    return ((x - mean) / stdev).contiguous();
}

torch::Tensor interpolatePositionEmbedding(const torch::Tensor& posEmbed, int rows, int cols) {
    const int64_t positions = posEmbed.size(1) - 1, dim = posEmbed.size(2);
    const int64_t side = static_cast<int64_t>(std::lround(std::sqrt(double(positions))));
    if (rows == side && cols == side)
        return posEmbed;
    const torch::Tensor grid = posEmbed.slice(1, 1)
                                   .reshape({1, side, side, dim})
                                   .permute({0, 3, 1, 2})
                                   .to(torch::kFloat32);
    // DINO passes scale_factor = (rows + 0.1) / side (issue facebookresearch/dino#8); PyTorch
    // then samples with 1 / scale rather than side / rows, so the offset changes the values.
    const double sqrtN = std::sqrt(double(positions));
    const torch::Tensor resized = at::upsample_bicubic2d(
        grid, {rows, cols}, false, (rows + 0.1) / sqrtN, (cols + 0.1) / sqrtN);
    const torch::Tensor patches = resized.permute({0, 2, 3, 1}).reshape({1, -1, dim});
    return at::cat({posEmbed.slice(1, 0, 1).to(torch::kFloat32), patches}, 1);
}

VitForwardOutput vitForward(const VitWeights& weights, const torch::Tensor& images,
                            FeatureLayer layer, const VitExecution& execution) {
    torch::NoGradGuard noGrad;
    const VitConfig& config = weights.config;
    torch::Tensor x = embed(weights, images, execution);
    torch::Tensor penultimate, attention;
    PendingResidual pending; // the previous MLP's output, added together with the next norm
    for (int i = 0; i < config.depth; ++i) {
        const bool last = i == config.depth - 1;
        const VitBlockWeights& block = weights.blocks[size_t(i)];
        const torch::Tensor y1 =
            addAndNorm(x, pending, block.norm1Weight, block.norm1Bias, config, execution, true);
        if (last && layer == FeatureLayer::Penultimate)
            penultimate = x.clone(); // the blocks update x in place
        const torch::Tensor attended =
            attentionBranch(y1, block, config, execution, last ? &attention : nullptr);
        const torch::Tensor y2 = addAndNorm(x, {attended, block.ls1}, block.norm2Weight,
                                            block.norm2Bias, config, execution, true);
        pending = {mlpBranch(y2, block, execution), block.ls2};
    }
    VitForwardOutput out;
    const torch::Tensor final =
        addAndNorm(x, pending, weights.normWeight, weights.normBias, config, execution, false);
    out.cls = final.select(1, 0);
    out.tokens = layer == FeatureLayer::Last ? final
                                             : layerNorm(penultimate, weights.normWeight,
                                                         weights.normBias, config.layerNormEps);
    out.attention = attention;
    return out;
}

VitWeights prepareVitWeights(const VitWeights& weights, const torch::Device& device,
                             const VitExecution& execution) {
    auto move = [&](const torch::Tensor& t) { return t.defined() ? t.to(device) : t; };
    // The packed weight may have its first `scaledRows` output rows (and their bias) scaled;
    // `weight` and `bias` stay as loaded for the exact path.
    auto product = [&](const VitLinear& layer, int64_t scaledRows = 0, double scale = 1.0) {
        VitLinear out{layer.weight.to(device, execution.computeType),
                      layer.bias.to(device, execution.computeType),
                      {}};
        if (!execution.packedKernels)
            return out;
        torch::Tensor weight = layer.weight.to(device, torch::kFloat32, false, true);
        torch::Tensor bias = layer.bias.to(device, torch::kFloat32, false, true);
        weight.slice(0, 0, scaledRows).mul_(scale);
        bias.slice(0, 0, scaledRows).mul_(scale);
        out.packed =
            PackedLinear::pack(weight.to(execution.computeType), bias, execution.typicalRows);
        return out;
    };
    VitWeights w = weights;
    for (torch::Tensor* t : {&w.clsToken, &w.posEmbed, &w.registerTokens, &w.patchWeight,
                             &w.patchBias, &w.normWeight, &w.normBias})
        *t = move(*t);
    if (execution.packedKernels) // float32 whatever the compute type, as at::conv2d runs it
        w.patchPacked = packPatchEmbedding(w.patchWeight, w.patchBias, execution.typicalRows);
    for (VitBlockWeights& block : w.blocks) {
        for (torch::Tensor* t : {&block.norm1Weight, &block.norm1Bias, &block.norm2Weight,
                                 &block.norm2Bias, &block.ls1, &block.ls2})
            *t = move(*t);
        for (VitLinear* layer : {&block.proj, &block.fc1, &block.fc2})
            *layer = product(*layer);
        block.qkv = product(block.qkv, w.config.width,
                            1.0 / std::sqrt(static_cast<double>(w.config.headDim())));
        block.queryScaleInPacked = block.qkv.packed.defined();
    }
    return w;
}

torch::Tensor clsPatchAttention(const torch::Tensor& attention, int prefixTokens) {
    const torch::Tensor row = attention.select(1, 0).slice(1, prefixTokens);
    return row / row.sum(-1, true);
}

torch::Tensor attentionBand(const torch::Tensor& attention, int prefixTokens, PatchGrid grid,
                            int radius) {
    const int n = grid.size(), window = 2 * radius + 1, slots = window * window;
    torch::Tensor index = torch::zeros({n, slots}, torch::kInt64);
    torch::Tensor valid = torch::zeros({n, slots}, torch::kFloat32);
    auto indexA = index.accessor<int64_t, 2>();
    auto validA = valid.accessor<float, 2>();
    for (int query = 0; query < n; ++query) {
        const int r = grid.rowOf(query), c = grid.colOf(query);
        for (int dr = -radius; dr <= radius; ++dr)
            for (int dc = -radius; dc <= radius; ++dc) {
                if (!grid.contains(r + dr, c + dc))
                    continue;
                const int slot = (dr + radius) * window + (dc + radius);
                indexA[query][slot] = grid.indexOf(r + dr, c + dc);
                validA[query][slot] = 1.0f;
            }
    }
    const torch::Device device = attention.device();
    const torch::Tensor patches = attention.slice(1, prefixTokens).slice(2, prefixTokens);
    const int64_t batch = attention.size(0);
    return patches.gather(2, index.to(device).unsqueeze(0).expand({batch, n, slots})) *
           valid.to(device);
}

} // namespace freesel
