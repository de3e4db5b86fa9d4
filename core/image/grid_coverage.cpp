// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/grid_coverage.h"

#include <cmath>

namespace freesel {

int centreCropOffset(int length, int crop) {
    // std::nearbyint rounds halves to even in the default rounding mode, as Python's round.
    return int(std::nearbyint((length - crop) / 2.0));
}

QRectF gridCoverage(const QSize& imageSize, const InputPreprocessing& preprocessing) {
    if (imageSize.isEmpty())
        return {};
    const QRectF whole(0, 0, imageSize.width(), imageSize.height());
    if (preprocessing.centreCrop <= 0)
        return whole;
    const cv::Size resized =
        targetSize(imageSize.width(), imageSize.height(), preprocessing.resize);
    const int crop = preprocessing.centreCrop;
    if (resized.width < crop || resized.height < crop)
        return whole; // CenterCrop would pad: the grid covers the whole image and more
    const double sx = double(imageSize.width()) / resized.width;
    const double sy = double(imageSize.height()) / resized.height;
    return {centreCropOffset(resized.width, crop) * sx, centreCropOffset(resized.height, crop) * sy,
            crop * sx, crop * sy};
}

} // namespace freesel
