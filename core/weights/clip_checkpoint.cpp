// SPDX-License-Identifier: GPL-3.0-or-later
#include "weights/clip_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

namespace freesel {

namespace {

constexpr const char* kMarker = "visual.conv1.weight";

[[noreturn]] void fail(const std::string& source, const std::string& what) {
    throw CheckpointError("CLIP checkpoint '" + source + "': " + what);
}

bool startsWith(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

bool endsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// 1 + the highest N of "<prefix>N.*" (0 when none); absurd indices are refused.
int layersOf(const TensorMap& tensors, const std::string& prefix, const std::string& source) {
    constexpr long kMaxLayers = 256;
    long layers = 0;
    for (const auto& entry : tensors)
        if (startsWith(entry.first, prefix)) {
            const long index = std::strtol(entry.first.c_str() + prefix.size(), nullptr, 10);
            if (index < 0 || index >= kMaxLayers)
                fail(source, "tensor '" + entry.first + "' has a block index outside 0.." +
                                 std::to_string(kMaxLayers - 1));
            layers = std::max(layers, index + 1);
        }
    return int(layers);
}

int headsFor(int width, const char* tower, const std::string& source) {
    if (width % 64 != 0)
        fail(source, std::string(tower) + " width " + std::to_string(width) +
                         " is not a multiple of CLIP's 64-wide heads");
    return width / 64;
}

} // namespace

TensorMap normaliseClipTensors(TensorMap tensors, const std::string& source,
                               std::vector<std::string>* ignored) {
    std::string markerKey;
    for (const auto& entry : tensors)
        if ((entry.first == kMarker || endsWith(entry.first, std::string(".") + kMarker)) &&
            (markerKey.empty() || entry.first.size() < markerKey.size()))
            markerKey = entry.first;
    if (markerKey.empty())
        fail(source, "no 'visual.conv1.weight' tensor, so this is not a CLIP ViT model "
                     "(ResNet CLIP models are not supported)");
    const std::string prefix = markerKey.substr(0, markerKey.size() - std::string(kMarker).size());
    TensorMap out;
    for (auto& [name, tensor] : tensors) {
        const std::string local = startsWith(name, prefix) ? name.substr(prefix.size()) : name;
        const bool extra = !startsWith(name, prefix) || endsWith(local, "attn_mask") ||
                           local == "input_resolution" || local == "context_length" ||
                           local == "vocab_size";
        if (extra) {
            if (ignored)
                ignored->push_back(name);
        } else if (local == "text_projection.weight") { // open_clip's Linear: E x W
            out["text_projection"] = tensor.t().contiguous();
        } else {
            out[local] = tensor;
        }
    }
    return out;
}

ClipConfig inferClipConfig(const TensorMap& tensors, const std::string& source) {
    ClipConfig c;
    const torch::Tensor conv = requireTensor(tensors, "visual.conv1.weight", 4, source);
    c.vision.width = int(conv.size(0));
    c.patchSize = int(conv.size(2));
    c.vision.layers = layersOf(tensors, "visual.transformer.resblocks.", source);
    c.vision.heads = headsFor(c.vision.width, "vision", source);
    const int64_t positions =
        requireTensor(tensors, "visual.positional_embedding", 2, source).size(0) - 1;
    c.grid = positions > 0 ? int(std::lround(std::sqrt(double(positions)))) : 0;
    if (positions <= 0 || int64_t(c.grid) * c.grid != positions)
        fail(source, "visual.positional_embedding has " + std::to_string(positions + 1) +
                         " rows, not 1 + a square grid");
    c.embedDim = int(requireTensor(tensors, "visual.proj", 2, source).size(1));
    c.text.width = int(requireTensor(tensors, "ln_final.weight", 1, source).size(0));
    c.text.layers = layersOf(tensors, "transformer.resblocks.", source);
    c.text.heads = headsFor(c.text.width, "text", source);
    c.contextLength = int(requireTensor(tensors, "positional_embedding", 2, source).size(0));
    c.vocabSize = int(requireTensor(tensors, "token_embedding.weight", 2, source).size(0));
    if (c.vision.layers == 0 || c.text.layers == 0)
        fail(source, "cannot infer the architecture: no 'visual.transformer.resblocks.N.*' or "
                     "'transformer.resblocks.N.*' tensors");
    for (const ClipConfig& known : knownClipConfigs())
        if (known == c)
            c.name = known.name;
    return c;
}

void validateClipTensors(const TensorMap& tensors, const ClipConfig& config,
                         const std::string& source) {
    checkTensorShapes(tensors, expectedClipTensors(config), {}, config.describe(), source);
}

bool isClipCheckpoint(const std::string& path) {
    try {
        const CheckpointTensors read = readCheckpointTensors(path, kMarker);
        for (const auto& entry : read.tensors)
            if (entry.first == kMarker || endsWith(entry.first, std::string(".") + kMarker))
                return true;
    } catch (const std::exception&) {
    }
    return false;
}

ClipWeights loadClipCheckpoint(const std::string& path, CheckpointLayout* layout) {
    CheckpointTensors read = readCheckpointTensors(path, kMarker);
    if (layout)
        *layout = read.layout;
    TensorMap tensors = normaliseClipTensors(std::move(read.tensors), path);
    ClipWeights weights;
    weights.config = inferClipConfig(tensors, path);
    validateClipTensors(tensors, weights.config, path);
    for (auto& [name, tensor] : tensors) // the official files are float16
        weights.tensors[name] = tensor.to(torch::kFloat32).contiguous();
    return weights;
}

} // namespace freesel
