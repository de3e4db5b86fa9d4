// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/vit_config.h"

#include <stdexcept>

namespace freesel {

namespace {

VitConfig make(const char* name, int patch, int width, int depth, int heads, int grid,
               bool layerScale = false, int registers = 0) {
    VitConfig config;
    config.name = name;
    config.patchSize = patch;
    config.width = width;
    config.depth = depth;
    config.heads = heads;
    config.mlpHidden = 4 * width;
    config.positionGrid = grid;
    config.layerScale = layerScale;
    config.registers = registers;
    return config;
}

void require(bool ok, const std::string& message) {
    if (!ok)
        throw std::invalid_argument("invalid ViT config: " + message);
}

} // namespace

void VitConfig::validate() const {
    require(patchSize >= 1, "patch size must be >= 1, got " + std::to_string(patchSize));
    require(width >= 1, "width must be >= 1, got " + std::to_string(width));
    require(depth >= 1, "depth must be >= 1, got " + std::to_string(depth));
    require(heads >= 1 && width % heads == 0, "heads (" + std::to_string(heads) +
                                                  ") must divide the width (" +
                                                  std::to_string(width) + ")");
    require(mlpHidden >= 1, "MLP hidden width must be >= 1, got " + std::to_string(mlpHidden));
    require(positionGrid >= 1, "position grid must be >= 1, got " + std::to_string(positionGrid));
    require(registers >= 0, "registers must be >= 0, got " + std::to_string(registers));
}

std::string VitConfig::describe() const {
    std::string text = (name.empty() ? std::string("custom") : name) +
                       " (ViT P=" + std::to_string(patchSize) + " d=" + std::to_string(width) +
                       " L=" + std::to_string(depth) + " heads=" + std::to_string(heads) +
                       " mlp=" + std::to_string(mlpHidden) +
                       " pos=" + std::to_string(positionGrid) + "x" + std::to_string(positionGrid);
    if (layerScale)
        text += " layer-scale";
    if (registers > 0)
        text += " registers=" + std::to_string(registers);
    return text + ")";
}

bool operator==(const VitConfig& a, const VitConfig& b) {
    // The name is a label, not architecture: an inferred config equals the named one.
    return a.patchSize == b.patchSize && a.width == b.width && a.depth == b.depth &&
           a.heads == b.heads && a.mlpHidden == b.mlpHidden && a.positionGrid == b.positionGrid &&
           a.layerScale == b.layerScale && a.registers == b.registers &&
           a.layerNormEps == b.layerNormEps;
}

const std::vector<VitConfig>& knownVitConfigs() {
    // DINO trained at 224 (grid 224 / P); DINOv2 position embeddings are for 518 (37 x 37).
    static const std::vector<VitConfig> configs = {
        make("dino_vits16", 16, 384, 12, 6, 14),
        make("dino_vits8", 8, 384, 12, 6, 28),
        make("dino_vitb16", 16, 768, 12, 12, 14),
        make("dino_vitb8", 8, 768, 12, 12, 28),
        make("dinov2_vits14", 14, 384, 12, 6, 37, true),
        make("dinov2_vitb14", 14, 768, 12, 12, 37, true),
        make("dinov2_vits14_reg", 14, 384, 12, 6, 37, true, 4),
        make("dinov2_vitb14_reg", 14, 768, 12, 12, 37, true, 4),
    };
    return configs;
}

VitConfig vitConfigByName(const std::string& name) {
    std::string names;
    for (const VitConfig& config : knownVitConfigs()) {
        if (config.name == name)
            return config;
        names += (names.empty() ? "" : ", ") + config.name;
    }
    throw std::invalid_argument("unknown model '" + name + "'; known models: " + names);
}

int conventionalHeadCount(int width) {
    return width > 0 && width % 64 == 0 ? width / 64 : 0;
}

} // namespace freesel
