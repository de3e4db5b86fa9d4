// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace freesel {

/// Container formats recognised from their first bytes (the file extension is never trusted).
enum class ImageFormat { Unknown, Jpeg, Png, Bmp, Gif, Tiff, WebP, Pnm, Jpeg2000, Exr, Hdr };

/// What can be learned about an image without decoding its pixels.
struct ImageHeader {
    ImageFormat format = ImageFormat::Unknown;
    int width = 0;  ///< 0 when the format's header was not parsed (e.g. TIFF) or is cut short
    int height = 0; ///< 0 likewise
    bool mayHaveAlpha = false; ///< PNG colour types 4/6 or a tRNS chunk; WebP alpha

    bool hasDimensions() const { return width > 0 && height > 0; }
    qint64 pixels() const { return qint64(width) * qint64(height); }
};

/// Sniffs the format from the magic bytes and, for JPEG (SOFn), PNG (IHDR), BMP, GIF and WebP,
/// reads the stored dimensions. Never reads past the buffer; a malformed header just leaves the
/// dimensions at 0 so the decoder reports the real problem.
ImageHeader probeImageHeader(const QByteArray& bytes);

/// Short name for messages ("JPEG", "PNG", ...).
QString imageFormatName(ImageFormat format);

/// A baseline or progressive JPEG stream ends with an EOI marker (FF D9). libjpeg silently pads a
/// truncated stream with grey, so the decoder checks this to report truncation instead.
bool jpegHasEndMarker(const QByteArray& bytes);

} // namespace freesel
