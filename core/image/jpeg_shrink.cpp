// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/jpeg_shrink.h"

#include <opencv2/imgcodecs.hpp>

namespace freesel {

namespace {

int reducedSide(int side, int d) {
    return (side + d - 1) / d; // libjpeg's jdiv_round_up
}

bool covers(int width, int height, int d, const ResizeSpec& spec) {
    const int w = reducedSide(width, d);
    const int h = reducedSide(height, d);
    const cv::Size asStored = targetSize(width, height, spec);
    const cv::Size turned = targetSize(height, width, spec); // EXIF 5..8 swap the axes
    return w >= asStored.width && h >= asStored.height && h >= turned.width && w >= turned.height;
}

bool keepsOrientationVisible(int width, int height, int d) {
    return width == height || reducedSide(width, d) != reducedSide(height, d);
}

} // namespace

int jpegScaleDenominator(int width, int height, const ResizeSpec& spec) {
    if (width <= 0 || height <= 0 || spec.mode == ResizeSpec::Mode::None)
        return 1;
    for (int d : {8, 4, 2})
        if (covers(width, height, d, spec) && keepsOrientationVisible(width, height, d))
            return d;
    return 1;
}

cv::Size uprightSize(int width, int height, int d, cv::Size decoded) {
    const bool turned =
        decoded.width == reducedSide(height, d) && decoded.height == reducedSide(width, d) &&
        !(decoded.width == reducedSide(width, d) && decoded.height == reducedSide(height, d));
    return turned ? cv::Size(height, width) : cv::Size(width, height);
}

int reducedColorFlag(int d) {
    switch (d) {
    case 2:
        return cv::IMREAD_REDUCED_COLOR_2;
    case 4:
        return cv::IMREAD_REDUCED_COLOR_4;
    case 8:
        return cv::IMREAD_REDUCED_COLOR_8;
    default:
        return cv::IMREAD_COLOR;
    }
}

} // namespace freesel
