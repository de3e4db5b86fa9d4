// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/clip_config.h"
#include "backbone/feature_backend.h"

#include <QStringList>

#include <memory>
#include <string>
#include <vector>

namespace freesel {

struct ClipBackendOptions {
    std::string device = "auto"; ///< "auto", "cpu", "cuda" or "cuda:N"
    int batchSize = 8;
    int threads = 0;             ///< CPU threads; 0 = every core
    int neighbourhoodRadius = 3; ///< R of the stored attention band, as DINO's
    /// CPU: share a batch out image by image, as DinoVitOptions::imageParallel does
    bool imageParallel = true;
    /// with imageParallel: images one thread takes at a time; four, not DINO's two: ViT-B/32
    /// has 50 tokens an image, and products of fewer than ~200 rows run slower per row
    /// (`freesel-bench clip_image_parallel`: 25.4 img/s at two, 28.6-31.8 at four or eight)
    int imagesPerTask = 4;
};

/// FeatureBackend over OpenAI CLIP's image encoder (issue 12): one pass per image gives what
/// FreeSel keeps (the patch tokens after ln_post, ln_post([CLS]), the last block's [CLS]
/// attention and its attention band), so the semantic patterns run on CLIP, plus the CLIP
/// image embedding that text search and the CLIP-powered selection compare with text. Images
/// are preprocessed as CLIP's own pipeline does (short side to the trained resolution,
/// bicubic, centre crop, CLIP's mean / std), whatever size the decoder made them; the patch
/// grid is therefore always the trained one. Torch stays in the .cpp.
class ClipBackend : public FeatureBackend {
public:
    /// Loads an official TorchScript file or an open_clip state dict (clip_checkpoint.h). With
    /// `expected` the file must hold that architecture. `weightsId` as DinoBackend's. Throws
    /// std::invalid_argument naming the file, the option or the device.
    ClipBackend(const std::string& checkpointPath, QString weightsId,
                const ClipBackendOptions& options = {}, const ClipConfig* expected = nullptr);
    ~ClipBackend() override;

    QString name() const override;
    /// "clip|model=<name or describe()>|weights=<id>|precision=float32|preprocess=centre-crop"
    QString fingerprint() const override;
    QString deviceDescription() const override;
    int patchSize() const override;
    int neighbourhoodRadius() const override;
    /// CLIP's own: the short side to the trained resolution, aspect kept (`inputSize` plays no
    /// part; the centre crop happens in run()).
    ResizeSpec inputResize(int inputSize) const override;
    /// inputResize, then the centre square of the trained resolution.
    InputPreprocessing inputPreprocessing(int inputSize) const override;
    std::vector<ImageFeatures> run(const std::vector<cv::Mat>& rgbImages) override;
    bool runsIdleWork(std::size_t count) const override;
    std::vector<ImageFeatures> runSharingThreads(const std::vector<cv::Mat>& rgbImages,
                                                 const IdleWork& idle) override;

    const ClipConfig& config() const;
    /// E: the width of image and text embeddings.
    int embeddingDims() const;
    /// exp(logit_scale) of the checkpoint: CLIP's inverse temperature (about 100).
    double logitScale() const;
    /// CLIP text embeddings (E each, not normalised) of `texts`, tokenised with the shipped
    /// BPE vocabulary (too long a text is truncated, as CLIP's zero-shot code does).
    std::vector<std::vector<float>> encodeTexts(const QStringList& texts) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace freesel
