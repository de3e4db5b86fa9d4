// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/feature_backend.h"

namespace freesel {

/// The embedded backend that needs no weights: classical stand-ins for what the network gives,
/// on the same patch grid, so the whole pipeline runs on a fresh machine with no download.
///
/// - Patch tokens (d = 134): dense SIFT at the patch centre (128, upright, keypoint size = patch
///   size, so the descriptor also sees some context around the patch, as a ViT token does),
///   L2-normalised, followed by the mean and standard deviation of CIE Lab over the patch (6;
///   L / 100, a / 128, b / 128), the whole vector L2-normalised. A flat patch has a zero SIFT
///   part and is described by its colour alone.
/// - CLS attention: spectral-residual saliency (opencv_contrib saliency, Hou & Zhang 2007)
///   averaged per patch and normalised to sum 1 (uniform when the map is all zero).
/// - [CLS] token: the saliency-weighted mean of the patch tokens, mirroring how the [CLS]
///   token pools the patches it attends to.
/// - Attention band: for each patch, a softmax over its in-grid neighbours within radius R of
///   cos(f_i, f_j) / temperature, so each row is a probability distribution like an attention
///   row restricted to the neighbourhood; slots outside the grid are 0.
class OfflineBackend : public FeatureBackend {
public:
    struct Options {
        int patchSize = 16;
        int neighbourhoodRadius = 3;
        float temperature = 0.1f; ///< of the neighbour softmax; lower = peakier rows
    };

    static constexpr int kSiftDims = 128;
    static constexpr int kColourDims = 6;
    static constexpr int kDims = kSiftDims + kColourDims;

    OfflineBackend();
    /// Throws std::invalid_argument naming a bad option and its valid range.
    explicit OfflineBackend(const Options& options);

    QString name() const override;
    /// "offline|method=sift+lab+spectral-residual|v1|patch=16|temperature=0.1"
    QString fingerprint() const override;
    QString deviceDescription() const override;
    int patchSize() const override { return options_.patchSize; }
    int neighbourhoodRadius() const override { return options_.neighbourhoodRadius; }
    std::vector<ImageFeatures> run(const std::vector<cv::Mat>& rgbImages) override;

    /// One image (sides multiples of the patch size; else std::invalid_argument).
    ImageFeatures extract(const cv::Mat& rgb) const;

private:
    Options options_;
};

} // namespace freesel
