// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/clip_config.h"

#include <stdexcept>

namespace freesel {

namespace {

ClipConfig make(const char* name, int embed, int patch, ClipTowerConfig vision,
                ClipTowerConfig text) {
    ClipConfig config;
    config.name = name;
    config.embedDim = embed;
    config.patchSize = patch;
    config.grid = 224 / patch;
    config.vision = vision;
    config.text = text;
    return config;
}

void require(bool ok, const std::string& message) {
    if (!ok)
        throw std::invalid_argument("invalid CLIP config: " + message);
}

void validateTower(const ClipTowerConfig& tower, const char* which) {
    const std::string w = std::to_string(tower.width);
    require(tower.width >= 1, std::string(which) + " width must be >= 1, got " + w);
    require(tower.layers >= 1,
            std::string(which) + " layers must be >= 1, got " + std::to_string(tower.layers));
    require(tower.heads >= 1 && tower.width % tower.heads == 0,
            std::string(which) + " heads (" + std::to_string(tower.heads) +
                ") must divide the width (" + w + ")");
}

} // namespace

void ClipConfig::validate() const {
    require(embedDim >= 1, "embedding width must be >= 1, got " + std::to_string(embedDim));
    require(patchSize >= 1, "patch size must be >= 1, got " + std::to_string(patchSize));
    require(grid >= 1, "position grid must be >= 1, got " + std::to_string(grid));
    require(contextLength >= 2,
            "context length must be >= 2, got " + std::to_string(contextLength));
    require(vocabSize >= 3, "vocabulary must have >= 3 entries, got " + std::to_string(vocabSize));
    validateTower(vision, "vision");
    validateTower(text, "text");
}

std::string ClipConfig::describe() const {
    return (name.empty() ? std::string("custom") : name) + " (CLIP P=" + std::to_string(patchSize) +
           " grid=" + std::to_string(grid) + " vision " + std::to_string(vision.width) + "x" +
           std::to_string(vision.layers) + " text " + std::to_string(text.width) + "x" +
           std::to_string(text.layers) + " context " + std::to_string(contextLength) + " embed " +
           std::to_string(embedDim) + ")";
}

const std::vector<ClipConfig>& knownClipConfigs() {
    static const std::vector<ClipConfig> configs = {
        make("ViT-B/32", 512, 32, {768, 12, 12}, {512, 12, 8}),
        make("ViT-B/16", 512, 16, {768, 12, 12}, {512, 12, 8}),
        make("ViT-L/14", 768, 14, {1024, 24, 16}, {768, 12, 12}),
    };
    return configs;
}

} // namespace freesel
