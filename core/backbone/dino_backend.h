// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/feature_backend.h"

#include <memory>

namespace freesel {

class DinoVit;

/// FeatureBackend over the DINO / DINOv2 network (dino_vit.h). Torch stays inside DinoVit.
class DinoBackend : public FeatureBackend {
public:
    /// `weightsId` identifies the weights for the store fingerprint: "sha256:<hex>" of the
    /// checkpoint (see weightsChecksum) or "random:<seed>" for synthetic weights.
    DinoBackend(DinoVit vit, QString weightsId);
    ~DinoBackend() override;

    QString name() const override;
    /// "dino|model=<name or describe()>|weights=<id>|layer=last|precision=float32"
    QString fingerprint() const override;
    QString deviceDescription() const override;
    QString precision() const override;
    int patchSize() const override;
    int neighbourhoodRadius() const override;
    std::vector<ImageFeatures> run(const std::vector<cv::Mat>& rgbImages) override;
    bool runsIdleWork(std::size_t count) const override;
    std::vector<ImageFeatures> runSharingThreads(const std::vector<cv::Mat>& rgbImages,
                                                 const IdleWork& idle) override;

    const DinoVit& vit() const { return *vit_; }

    /// "sha256:<hex>" of a file; empty when it cannot be read.
    static QString weightsChecksum(const QString& checkpointPath);

private:
    std::unique_ptr<DinoVit> vit_;
    QString weightsId_;
};

} // namespace freesel
