// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A small seeded CLIP checkpoint written by the test itself, in the official key layout (an
// open_clip-style state dict saved as torch.save's zip), for the backend, search and selection
// tests. The vocabulary is CLIP's full 49,408 ids so that real prompts tokenise into it.

#include "backbone/clip_model.h"
#include "text/clip_tokenizer.h"

#include <QFile>
#include <QString>

#include <cmath>
#include <string>

namespace freesel::test {

/// Vision: patch 8 on a 4 x 4 grid (32 px input), 64 wide, 2 layers, 1 head; text 64 wide,
/// 2 layers; embedding 32.
inline ClipConfig smallClipConfig() {
    ClipConfig c;
    c.embedDim = 32;
    c.patchSize = 8;
    c.grid = 4;
    c.vision = {64, 2, 1};
    c.text = {64, 2, 1};
    c.contextLength = ClipTokenizer::kContextLength;
    c.vocabSize = ClipTokenizer::kVocabularySize;
    return c;
}

/// Seeded weights of `config` under the official names: LayerNorm gains near 1, biases and
/// matrices small (1 / sqrt(fan-in)), logit_scale ln(100), so activations stay in range.
inline TensorMap seededClipTensors(const ClipConfig& config, uint64_t seed) {
    torch::manual_seed(seed);
    TensorMap tensors;
    for (const auto& [name, shape] : expectedClipTensors(config)) {
        auto endsWith = [&name](const std::string& tail) {
            return name.size() >= tail.size() &&
                   name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
        };
        const bool norm = name.find("ln_") != std::string::npos;
        torch::Tensor t;
        if (name == "logit_scale")
            t = torch::tensor(std::log(100.0f));
        else if (norm && endsWith(".weight"))
            t = 1.0 + 0.1 * torch::randn(shape);
        else if (endsWith("bias"))
            t = 0.02 * torch::randn(shape);
        else {
            int64_t fanIn = shape.size() > 1 ? 1 : shape[0];
            for (size_t k = 1; k < shape.size(); ++k)
                fanIn *= shape[k];
            if (name == "visual.proj" || name == "text_projection") // used as x @ W
                fanIn = shape[0];
            t = torch::randn(shape) / std::sqrt(double(fanIn));
        }
        tensors[name] = t.to(torch::kFloat32).contiguous();
    }
    return tensors;
}

/// torch::pickle_save writes the zip archive Python's torch.save writes.
inline bool writeClipCheckpoint(const QString& path, const TensorMap& tensors) {
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto& [name, tensor] : tensors)
        dict.insert(name, tensor);
    const std::vector<char> bytes = torch::pickle_save(dict);
    QFile file(path);
    return file.open(QIODevice::WriteOnly) &&
           file.write(bytes.data(), qint64(bytes.size())) == qint64(bytes.size());
}

} // namespace freesel::test
