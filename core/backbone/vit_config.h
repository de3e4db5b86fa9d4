// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

namespace freesel {

/// Architecture of a DINO / DINOv2 vision transformer: everything needed to build the network
/// and to check a checkpoint against it. Plain data (no torch), so the CLI and the UI can list
/// models and describe them without LibTorch.
struct VitConfig {
    std::string name;        ///< e.g. "dino_vits16"; empty for a custom or inferred config
    int patchSize = 16;      ///< P: the input is cut into P x P patches
    int width = 384;         ///< d: token width
    int depth = 12;          ///< L: number of blocks
    int heads = 6;           ///< nh: attention heads (d must be divisible by nh)
    int mlpHidden = 1536;    ///< hidden width of each block's MLP (mlp ratio x d)
    int positionGrid = 14;   ///< side of the square grid the position embeddings were trained on
    bool layerScale = false; ///< DINOv2: per-channel gammas ls1/ls2 on both residual branches
    int registers = 0;       ///< DINOv2 "with registers": extra tokens after [CLS]
    double layerNormEps = 1e-6;

    int headDim() const { return width / heads; }
    /// Tokens in front of the patch tokens: [CLS] then the registers.
    int prefixTokens() const { return 1 + registers; }
    /// The input side the position embeddings were trained at (224 for DINO, 518 for DINOv2).
    int trainingInputSize() const { return positionGrid * patchSize; }

    /// Throws std::invalid_argument naming the first inconsistent field.
    void validate() const;
    /// One line for logs and `freesel info`: "dino_vits16 (ViT P=16 d=384 L=12 heads=6)".
    std::string describe() const;

    friend bool operator==(const VitConfig& a, const VitConfig& b);
    friend bool operator!=(const VitConfig& a, const VitConfig& b) { return !(a == b); }
};

/// The models FreeSel knows by name: dino_vits16 (default), dino_vits8, dino_vitb16, dino_vitb8,
/// dinov2_vits14, dinov2_vitb14, dinov2_vits14_reg, dinov2_vitb14_reg.
const std::vector<VitConfig>& knownVitConfigs();

/// The known config called `name`; throws std::invalid_argument listing the valid names.
VitConfig vitConfigByName(const std::string& name);

/// The default backbone of the product (DINO ViT-S/16).
inline const char* defaultVitName() {
    return "dino_vits16";
}

/// Heads are not visible in the weight shapes; DINO and DINOv2 use 64-wide heads, so a
/// checkpoint of width d has d / 64 heads (ViT-S 6, ViT-B 12, ViT-L 16). Returns 0 when d is
/// not a multiple of 64 (the caller must then be told the heads).
int conventionalHeadCount(int width);

} // namespace freesel
