// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// GIF decoding with giflib: OpenCV 4.6 has no GIF reader. The first frame is what a file
// browser's thumbnail shows, so an animated GIF is used through its first frame.

#include "util/error.h"

#include <QByteArray>
#include <QString>

#include <opencv2/core.hpp>

namespace freesel {

/// The first frame of `bytes` on the GIF's logical screen, as 8-bit BGRA: transparent pixels
/// and screen area outside the frame have alpha 0. The error says why, for a
/// damaged file or a frame of more than `maxPixels` pixels.
Result<cv::Mat> decodeGifFirstFrame(const QByteArray& bytes, qint64 maxPixels);

} // namespace freesel
