// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "image/image_preprocessing.h"

#include <QByteArray>
#include <QString>

#include <opencv2/core/mat.hpp>

namespace freesel {

/// Why an image could not be used. Every value but Ok comes with a message naming the file.
enum class DecodeStatus {
    Ok,
    FileMissing, ///< no such file
    Unreadable,  ///< exists but cannot be opened/read (permissions, a directory, I/O error)
    Empty,       ///< zero bytes
    NotAnImage,  ///< no decoder recognises the bytes
    Corrupt,     ///< recognised format but truncated or damaged
    TooLarge,    ///< over the pixel or file-size limit (decompression-bomb guard)
    Unsupported, ///< a real image in a format or pixel layout this build cannot decode
};

/// Stable lower-case identifier for logs, exports and --json ("file-missing", "too-large", ...).
QString decodeStatusName(DecodeStatus status);

/// "skipped <path>: <reason>" for logs. Decoder errors already begin with the path; it is not
/// repeated then.
QString skippedImageLine(const QString& path, const QString& error);

struct DecodeOptions {
    /// Largest width * height accepted. PIL raises DecompressionBombError at the same number
    /// (2 * 89478485); a 178 Mpx RGB image is ~540 MB once decoded.
    qint64 maxPixels = 178956970;
    /// Files larger than this are refused before they are read into memory.
    qint64 maxFileBytes = qint64(1) << 30;
    /// JPEG shrink-on-load: when not None, a JPEG is decoded at the largest libjpeg scale (1/2,
    /// 1/4, 1/8; image/jpeg_shrink.h) whose result still covers this resize's target, so `rgb`
    /// may be smaller than the image (originalWidth/Height stay the full upright size; resize to
    /// targetSize(originalWidth, originalHeight, spec), as DecodeQueue::decodeAndResize does).
    /// None (the default): every image is decoded at full size.
    ResizeSpec shrinkFor = ResizeSpec::none();
};

/// A decoded image, always 8-bit RGB (CV_8UC3, R first in memory) when ok().
///
/// Conversions: grey and grey+alpha become R=G=B; any alpha channel is composited over white
/// (transparent regions are often black or garbage underneath, and a viewer shows them on a light
/// background, so white is what a person annotating the image sees); 16-bit samples are scaled
/// by 255/65535 (rounded); float samples are taken as 0..1 and clipped; palette images are
/// expanded; CMYK JPEGs are converted by libjpeg. JPEG EXIF orientation is applied, so width and
/// height are those of the upright image.
struct DecodedImage {
    DecodeStatus status = DecodeStatus::Ok;
    QString error;          ///< empty when ok(); otherwise names the file and the reason
    cv::Mat rgb;            ///< CV_8UC3 RGB, continuous; empty when !ok()
    int originalWidth = 0;  ///< full upright size, before shrink-on-load or any resize
    int originalHeight = 0; ///< full upright size, before shrink-on-load or any resize

    bool ok() const { return status == DecodeStatus::Ok; }
};

/// Reads the file with QFile (so any Unicode path works) and decodes it. Never throws.
DecodedImage decodeImageFile(const QString& path, const DecodeOptions& options = {});

/// Decodes in-memory bytes; `name` is only used in messages. Never throws.
DecodedImage decodeImageBytes(const QByteArray& bytes, const QString& name,
                              const DecodeOptions& options = {});

} // namespace freesel
