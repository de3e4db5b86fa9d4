// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <vector>

namespace freesel {

/// The pool's images as the faithful proxy (--elfs-proxy resnet18) sees them: decoded, the whole
/// image resized to side x side RGB (CIFAR's images are 32 x 32) and standardised per channel
/// over the pool, as CIFAR's loaders normalise by the training set's mean and deviation.
struct PixelImages {
    int images = 0;
    int side = 32;
    std::vector<float> pixels; ///< images x 3 x side x side (channel planes, rows), standardised
};

/// The sides --elfs-image-size accepts.
constexpr int kMinPixelSide = 8;
constexpr int kMaxPixelSide = 256;

/// Decodes `paths` in order (area interpolation, aspect not kept). Throws std::invalid_argument
/// naming --elfs-image-size for a side outside [kMinPixelSide, kMaxPixelSide], or the file that
/// does not decode.
PixelImages loadPixelImages(const std::vector<QString>& paths, int side);

} // namespace freesel
