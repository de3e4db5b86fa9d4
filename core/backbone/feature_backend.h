// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/image_features.h"
#include "image/grid_coverage.h"
#include "image/image_preprocessing.h"

#include <QString>

#include <opencv2/core/mat.hpp>

#include <functional>
#include <vector>

namespace freesel {

/// What turns decoded images into ImageFeatures: the DINO network (DinoBackend) or the offline
/// stand-in that needs no weights (OfflineBackend). The pipeline, the store and the UI only see
/// this interface.
class FeatureBackend {
public:
    virtual ~FeatureBackend();

    /// Short identifier for logs and exports: "dino", "offline".
    virtual QString name() const = 0;
    /// Everything about the backend that changes its output (model, weights checksum or
    /// "random:<seed>", feature layer, precision, version of a hand-written method); part of the
    /// feature store fingerprint, compared verbatim.
    virtual QString fingerprint() const = 0;
    /// For logs and the UI, e.g. "CPU (8 threads, float32)".
    virtual QString deviceDescription() const = 0;
    /// What the network computes in, after `auto` was resolved (provenance, --json).
    virtual QString precision() const { return QStringLiteral("float32"); }
    /// Input sides must be multiples of this.
    virtual int patchSize() const = 0;
    /// R of the attention band every result carries.
    virtual int neighbourhoodRadius() const = 0;
    /// How the decode threads bring an image to the network for an --input-size of
    /// `inputSize`: a square resize by default (DINO's pipeline); a backend with its own
    /// preprocessing (CLIP: short side, then a centre crop) keeps the aspect ratio here.
    virtual ResizeSpec inputResize(int inputSize) const {
        return ResizeSpec::fixed(inputSize, inputSize);
    }
    /// inputResize and the centre square the backend then crops (0: none), which decides the
    /// part of the image the patch grid covers (gridCoverage).
    virtual InputPreprocessing inputPreprocessing(int inputSize) const {
        return {inputResize(inputSize), 0};
    }
    /// Features of 8-bit RGB images (CV_8UC3, R first) in input order. Throws
    /// std::invalid_argument naming the offending image index.
    virtual std::vector<ImageFeatures> run(const std::vector<cv::Mat>& rgbImages) = 0;

    /// Work the pipeline hands the backend's own threads (decoding the next images): each call
    /// does one piece and returns false when none is left.
    using IdleWork = std::function<bool()>;
    /// Whether runSharingThreads on `count` images runs its idle work on the threads that run
    /// the network (the CPU, a batch shared out image by image). Then the pipeline decodes
    /// there, not on threads of its own that would preempt the network's (issue 19).
    virtual bool runsIdleWork(std::size_t /*count*/) const { return false; }
    /// run(), with each of its threads doing `idle` once no more of the batch is left to it,
    /// instead of waiting for the slowest. The default runs the batch alone.
    virtual std::vector<ImageFeatures> runSharingThreads(const std::vector<cv::Mat>& rgbImages,
                                                         const IdleWork& /*idle*/) {
        return run(rgbImages);
    }
};

} // namespace freesel
