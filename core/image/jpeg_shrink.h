// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "image/image_preprocessing.h"

#include <opencv2/core/types.hpp>

namespace freesel {

/// JPEG shrink-on-load. libjpeg can decode at 1/2, 1/4 or 1/8 of the stored size almost for free
/// (it skips most of the inverse DCT), which for a photo much larger than the network input is
/// most of the decoding time. The reduced image is then resized to the model size as before.

/// The largest libjpeg scale denominator (1, 2, 4 or 8) for a JPEG stored as `width` x `height`
/// whose reduced image (each side ceil(side / d), as libjpeg computes it) still covers the
/// target of `spec` in either orientation (the EXIF orientation is not known from the SOF
/// header, so both are checked): the later resize then only shrinks. A denominator is also
/// refused when the reduced sides would be equal although the stored ones are not, because then
/// the decoded image no longer tells which way EXIF rotated it (uprightSize needs that).
/// ResizeSpec::none() and unknown sizes give 1.
int jpegScaleDenominator(int width, int height, const ResizeSpec& spec);

/// The full-size upright dimensions of a JPEG stored as `width` x `height`, decoded at 1/`d` and
/// rotated by OpenCV (EXIF) into `decoded`: the stored size, swapped when EXIF turned the image
/// by 90 degrees.
cv::Size uprightSize(int width, int height, int d, cv::Size decoded);

/// OpenCV's imdecode flag for colour decoding at 1/d (IMREAD_COLOR or IMREAD_REDUCED_COLOR_d);
/// every one of them applies the EXIF orientation and converts CMYK like IMREAD_COLOR.
int reducedColorFlag(int d);

} // namespace freesel
