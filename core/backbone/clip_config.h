// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

namespace freesel {

/// One transformer tower of CLIP (pre-LN blocks, 64-wide heads, MLP 4 x width, QuickGELU).
struct ClipTowerConfig {
    int width = 512;
    int layers = 12;
    int heads = 8;

    friend bool operator==(const ClipTowerConfig& a, const ClipTowerConfig& b) {
        return a.width == b.width && a.layers == b.layers && a.heads == b.heads;
    }
};

/// Architecture of an OpenAI CLIP ViT model (openai/CLIP clip/model.py build_model): read from
/// the tensor shapes of a checkpoint. Plain data (no torch).
struct ClipConfig {
    std::string name; ///< "ViT-B/32", "ViT-B/16", "ViT-L/14"; empty for another shape
    int embedDim = 512;
    int patchSize = 32;
    int grid = 7; ///< side of the trained position grid
    ClipTowerConfig vision{768, 12, 12};
    ClipTowerConfig text{512, 12, 8};
    int contextLength = 77;
    int vocabSize = 49408;

    /// The image side the model was trained at (224 for the three official models).
    int inputResolution() const { return patchSize * grid; }
    /// Throws std::invalid_argument naming the first inconsistent field.
    void validate() const;
    /// "ViT-B/32 (CLIP P=32 vision 768x12 text 512x12 embed 512)".
    std::string describe() const;

    /// The name is a label: an inferred config equals the named one.
    friend bool operator==(const ClipConfig& a, const ClipConfig& b) {
        return a.embedDim == b.embedDim && a.patchSize == b.patchSize && a.grid == b.grid &&
               a.vision == b.vision && a.text == b.text && a.contextLength == b.contextLength &&
               a.vocabSize == b.vocabSize;
    }
};

/// ViT-B/32 (the default), ViT-B/16, ViT-L/14.
const std::vector<ClipConfig>& knownClipConfigs();

} // namespace freesel
