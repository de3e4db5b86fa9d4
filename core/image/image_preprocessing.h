// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <opencv2/core/mat.hpp>

#include <vector>

namespace freesel {

/// How a decoded image is brought to the network's input size.
struct ResizeSpec {
    enum class Mode {
        None,      ///< keep the decoded size
        Fixed,     ///< exactly width x height (aspect ratio not kept), e.g. 224 x 224
        ShortSide, ///< aspect kept: short side ~ shortSide, both sides multiples of patchSize
    };
    Mode mode = Mode::Fixed;
    int width = 224;     ///< Fixed
    int height = 224;    ///< Fixed
    int shortSide = 224; ///< ShortSide
    int patchSize = 16;  ///< ShortSide: both sides rounded to a multiple of this (>= 1 patch)
    /// ShortSide: if > 0, the long side is capped here (rounded down to a multiple of the patch
    /// size) so a 100:1 panorama cannot produce thousands of tokens. 0 = no cap.
    int maxLongSide = 0;

    static ResizeSpec none();
    static ResizeSpec fixed(int width, int height);
    static ResizeSpec keepAspect(int shortSide, int patchSize, int maxLongSide = 0);

    /// Empty when valid, else a message naming the bad parameter and its valid range.
    QString validate() const;
};

/// The size an image of `width` x `height` gets under `spec` (cv::Size is width, height).
/// ShortSide: scale = shortSide / min(w, h); each side round(side * scale), then rounded to the
/// nearest multiple of the patch size, at least one patch.
cv::Size targetSize(int width, int height, const ResizeSpec& spec);

/// Resizes an 8-bit RGB image. Shrinking uses INTER_AREA (a box average: no aliasing, the closest
/// OpenCV match to the antialiased PIL bicubic resize DINO was evaluated with); enlarging, or
/// mixed scaling, uses INTER_CUBIC. Returns the input unchanged (shared) when the size matches.
cv::Mat resizeForModel(const cv::Mat& rgb, const ResizeSpec& spec);

/// Per-channel normalisation applied after scaling 0..255 to 0..1; ImageNet statistics by
/// default, which both DINO and DINOv2 were trained with.
struct Normalization {
    float mean[3] = {0.485f, 0.456f, 0.406f};
    float std[3] = {0.229f, 0.224f, 0.225f};
};

/// Writes (pixel / 255 - mean) / std as planar CHW floats (R plane, G plane, B plane), the
/// layout torch::from_blob expects for a 3 x H x W tensor. `out` holds 3 * rows * cols floats.
void toNormalizedChw(const cv::Mat& rgb, float* out, const Normalization& norm = {});
std::vector<float> toNormalizedChw(const cv::Mat& rgb, const Normalization& norm = {});

} // namespace freesel
