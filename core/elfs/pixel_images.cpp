// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/pixel_images.h"

#include "image/image_decoder.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

/// Standardises each channel plane over all images: (x - mean) / deviation.
void standardise(PixelImages& images) {
    const size_t plane = size_t(images.side) * size_t(images.side);
    for (size_t c = 0; c < 3; ++c) {
        double sum = 0.0, squares = 0.0;
        for (size_t i = 0; i < size_t(images.images); ++i)
            for (size_t p = 0; p < plane; ++p) {
                const double v = images.pixels[(i * 3 + c) * plane + p];
                sum += v;
                squares += v * v;
            }
        const double count = double(plane) * double(images.images);
        const double mean = sum / count;
        const double deviation = std::sqrt(std::max(squares / count - mean * mean, 0.0)) + 1e-6;
        for (size_t i = 0; i < size_t(images.images); ++i)
            for (size_t p = 0; p < plane; ++p) {
                float& v = images.pixels[(i * 3 + c) * plane + p];
                v = float((v - mean) / deviation);
            }
    }
}

} // namespace

PixelImages loadPixelImages(const std::vector<QString>& paths, int side) {
    if (side < kMinPixelSide || side > kMaxPixelSide)
        throw std::invalid_argument(
            "--elfs-image-size must be in [" + std::to_string(kMinPixelSide) + ", " +
            std::to_string(kMaxPixelSide) + "], got " + std::to_string(side));
    PixelImages images;
    images.side = side;
    images.images = int(paths.size());
    const size_t plane = size_t(side) * size_t(side);
    images.pixels.resize(paths.size() * 3 * plane);
    for (size_t i = 0; i < paths.size(); ++i) {
        const DecodedImage decoded = decodeImageFile(paths[i]);
        if (!decoded.ok())
            throw std::invalid_argument("--elfs-proxy resnet18: " + decoded.error.toStdString());
        cv::Mat small;
        cv::resize(decoded.rgb, small, cv::Size(side, side), 0, 0, cv::INTER_AREA);
        for (int y = 0; y < side; ++y) {
            const uchar* row = small.ptr<uchar>(y);
            for (int x = 0; x < side; ++x)
                for (size_t c = 0; c < 3; ++c)
                    images.pixels[(i * 3 + c) * plane + size_t(y * side + x)] =
                        float(row[3 * x + int(c)]) / 255.0f;
        }
    }
    if (images.images > 0)
        standardise(images);
    return images;
}

} // namespace freesel
