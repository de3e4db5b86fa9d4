// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/image_features.h"
#include "elfs/pixel_images.h"
#include "util/random_stream.h"

#include <cstdint>
#include <vector>

namespace freesel {

/// What the default ELFS proxy sees of each image: its [CLS] feature and its patch tokens
/// average-pooled to a fixed cells x cells grid (so images of any grid, and 50k of them, fit
/// in memory: 7 x 7 cells of ViT-S/16 tokens are 75 KB per image).
struct ProxyInputs {
    int images = 0;
    int dims = 0;
    int cells = 7;
    std::vector<float> cls;  ///< images x dims
    std::vector<float> grid; ///< images x cells x cells x dims, row-major cells
    PixelImages pixels;      ///< the decoded images, for --elfs-proxy resnet18 only

    explicit ProxyInputs(int cellsPerSide = 7) : cells(cellsPerSide) {}
    /// Room for `count` images, so filling 50k images never copies the grid (GBs) as it grows.
    void reserve(int count) { reserved_ = count; }
    /// Appends one image; throws std::invalid_argument when its width differs from the first.
    void addImage(const ImageFeatures& features);
    /// cls, then the crop pooled to 2 x 2 (top-left, top-right, bottom-left, bottom-right).
    int viewWidth() const { return 5 * dims; }

private:
    int reserved_ = 0;
};

/// The random view standing in for the official proxy's pixel augmentations (docs/ALGORITHM.md
/// section E2), on the cell grid: a rectangle with area fraction in [minArea, 1] and aspect ratio
/// in [3/4, 4/3] (RandomResizedCrop's rule, ten tries, then the whole grid), mirrored left-right
/// with probability 1/2, pooled to 2 x 2 so both the crop and the flip change the input.
struct ViewRule {
    double minArea = 0.25;
    double minRatio = 3.0 / 4.0;
    double maxRatio = 4.0 / 3.0;
};

/// Writes the view of `image` drawn from `random` into out[0 .. viewWidth()).
void buildView(const ProxyInputs& inputs, int image, const ViewRule& rule, RandomStream& random,
               float* out);
/// The unaugmented view: the whole grid, not mirrored.
void buildFullView(const ProxyInputs& inputs, int image, float* out);

/// Per-column standardisation of the views: mean and 1 / (standard deviation + 1e-6) over the
/// unaugmented views (population deviation), computed in double without holding them all.
struct ViewScaling {
    std::vector<float> mean, inverse;
};
ViewScaling fullViewScaling(const ProxyInputs& inputs);

/// One minibatch of an epoch's standardised views: row r is the view of image ids[r] drawn from
/// RandomStream::forItem(epochSeed, ids[r]) (so a view depends on the image and the epoch only,
/// never on the batch it lands in), written to out[r * viewWidth() ...].
void buildViewBatch(const ProxyInputs& inputs, const int64_t* ids, int64_t count,
                    const ViewRule& rule, uint64_t epochSeed, const ViewScaling& scaling,
                    float* out);

} // namespace freesel
