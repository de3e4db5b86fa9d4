// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/image_decoder.h"

#include "image/gif_decoder.h"
#include "image/image_header.h"
#include "image/jpeg_shrink.h"
#include "image/radiance_check.h"

#include <QFile>
#include <QFileInfo>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <exception>
#include <limits>
#include <new>

namespace freesel {

namespace {

DecodedImage failure(DecodeStatus status, const QString& name, const QString& reason) {
    DecodedImage result;
    result.status = status;
    result.error = QStringLiteral("%1: %2").arg(name, reason);
    return result;
}

QString megapixels(qint64 pixels) {
    return QString::number(double(pixels) / 1e6, 'f', 1);
}

DecodedImage tooManyPixels(const QString& name, qint64 width, qint64 height, qint64 limit,
                           const char* when) {
    return failure(DecodeStatus::TooLarge, name,
                   QStringLiteral("image is %1 x %2 pixels (%3 Mpx), over the limit of %4 pixels "
                                  "(%5 Mpx); refused %6 to guard against decompression bombs")
                       .arg(width)
                       .arg(height)
                       .arg(megapixels(width * height))
                       .arg(limit)
                       .arg(megapixels(limit), QString::fromLatin1(when)));
}

// Composites colour over white with integer rounding: out = (c*a + 255*(255-a) + 127) / 255.
inline uchar overWhite(int colour, int alpha) {
    return uchar((colour * alpha + 255 * (255 - alpha) + 127) / 255);
}

cv::Mat compositeBgraOnWhite(const cv::Mat& bgra) {
    cv::Mat rgb(bgra.rows, bgra.cols, CV_8UC3);
    for (int y = 0; y < bgra.rows; ++y) {
        const uchar* src = bgra.ptr<uchar>(y);
        uchar* dst = rgb.ptr<uchar>(y);
        for (int x = 0; x < bgra.cols; ++x, src += 4, dst += 3) {
            const int a = src[3];
            dst[0] = overWhite(src[2], a);
            dst[1] = overWhite(src[1], a);
            dst[2] = overWhite(src[0], a);
        }
    }
    return rgb;
}

cv::Mat compositeGreyAlphaOnWhite(const cv::Mat& greyAlpha) {
    cv::Mat rgb(greyAlpha.rows, greyAlpha.cols, CV_8UC3);
    for (int y = 0; y < greyAlpha.rows; ++y) {
        const uchar* src = greyAlpha.ptr<uchar>(y);
        uchar* dst = rgb.ptr<uchar>(y);
        for (int x = 0; x < greyAlpha.cols; ++x, src += 2, dst += 3)
            dst[0] = dst[1] = dst[2] = overWhite(src[0], src[1]);
    }
    return rgb;
}

// Brings any supported sample depth to 8 bits. Returns false for signed integer samples, whose
// meaning (offset? scale?) varies between producers.
bool toEightBit(const cv::Mat& in, cv::Mat* out) {
    switch (in.depth()) {
    case CV_8U:
        *out = in;
        return true;
    case CV_16U:
        in.convertTo(*out, CV_8U, 255.0 / 65535.0); // saturate_cast rounds to nearest
        return true;
    case CV_32F:
    case CV_64F:
        in.convertTo(*out, CV_8U, 255.0); // HDR/EXR: 0..1 nominal range, brighter clipped
        return true;
    default:
        return false;
    }
}

// Any channel layout OpenCV returns (grey, grey+alpha, BGR, BGRA) to RGB.
bool toRgb(const cv::Mat& eightBit, cv::Mat* rgb) {
    switch (eightBit.channels()) {
    case 1:
        cv::cvtColor(eightBit, *rgb, cv::COLOR_GRAY2RGB);
        return true;
    case 2:
        *rgb = compositeGreyAlphaOnWhite(eightBit);
        return true;
    case 3:
        cv::cvtColor(eightBit, *rgb, cv::COLOR_BGR2RGB);
        return true;
    case 4:
        *rgb = compositeBgraOnWhite(eightBit);
        return true;
    default:
        return false;
    }
}

DecodedImage fromDecodedMat(const cv::Mat& decoded, const QString& name,
                            const DecodeOptions& options) {
    // Formats whose header we do not parse are checked here, after decoding.
    if (qint64(decoded.total()) > options.maxPixels)
        return tooManyPixels(name, decoded.cols, decoded.rows, options.maxPixels, "after decoding");
    cv::Mat eightBit;
    if (!toEightBit(decoded, &eightBit))
        return failure(DecodeStatus::Unsupported, name,
                       QStringLiteral("unsupported sample type (signed integer samples)"));
    DecodedImage result;
    if (!toRgb(eightBit, &result.rgb))
        return failure(DecodeStatus::Unsupported, name,
                       QStringLiteral("unsupported channel count %1").arg(eightBit.channels()));
    result.originalWidth = result.rgb.cols;
    result.originalHeight = result.rgb.rows;
    return result;
}

// OpenCV 4.6 leaks the HDR decoder's file whenever it fails (radiance_check.h): only files it
// will read to the end are handed over, and their size is checked like the others'.
bool refuseRadianceHdr(const QByteArray& bytes, const QString& name, const DecodeOptions& options,
                       DecodedImage* refusal) {
    int width = 0, height = 0;
    if (!checkRadianceHdr(bytes, &width, &height))
        *refusal = failure(DecodeStatus::Corrupt, name,
                           QStringLiteral("Radiance HDR data is truncated or corrupt"));
    else if (qint64(width) * height > options.maxPixels)
        *refusal = tooManyPixels(name, width, height, options.maxPixels, "before decoding");
    else
        return false;
    return true;
}

// Refusals that need only the header: bombs and cut-off JPEGs.
bool refuseBeforeDecoding(const QByteArray& bytes, const ImageHeader& header, const QString& name,
                          const DecodeOptions& options, DecodedImage* refusal) {
    if (header.hasDimensions() && header.pixels() > options.maxPixels) {
        *refusal =
            tooManyPixels(name, header.width, header.height, options.maxPixels, "before decoding");
        return true;
    }
    if (header.format == ImageFormat::Hdr && refuseRadianceHdr(bytes, name, options, refusal))
        return true;
    if (header.format == ImageFormat::Jpeg && !jpegHasEndMarker(bytes)) {
        // libjpeg would "succeed" and pad the missing rows with grey.
        *refusal = failure(DecodeStatus::Corrupt, name,
                           QStringLiteral("JPEG data is truncated (no end-of-image marker)"));
        return true;
    }
    return false;
}

DecodedImage decodeChecked(const QByteArray& bytes, const ImageHeader& header, const QString& name,
                           const DecodeOptions& options) {
    if (header.format == ImageFormat::Gif) { // OpenCV 4.6 has no GIF reader
        const Result<cv::Mat> bgra = decodeGifFirstFrame(bytes, options.maxPixels);
        if (!bgra)
            return failure(DecodeStatus::Corrupt, name, bgra.message());
        return fromDecodedMat(bgra.value(), name, options);
    }
    // JPEG has no alpha, and only IMREAD_COLOR (or its REDUCED variants) makes OpenCV apply the
    // EXIF orientation and convert CMYK/YCCK. Other formats are read unchanged so alpha and
    // 16-bit depth survive. OpenCV would shrink other formats after a full decode, so only JPEG
    // is reduced (by libjpeg's scaled inverse DCT).
    const bool jpeg = header.format == ImageFormat::Jpeg;
    const int d = jpeg ? jpegScaleDenominator(header.width, header.height, options.shrinkFor) : 1;
    const int flags = jpeg ? reducedColorFlag(d) : cv::IMREAD_UNCHANGED;
    // imdecode only reads the buffer; the const_cast avoids copying the whole file.
    const cv::Mat buffer(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.constData()));
    const cv::Mat decoded = cv::imdecode(buffer, flags);
    if (decoded.empty()) {
        if (header.format == ImageFormat::Unknown)
            return failure(DecodeStatus::NotAnImage, name,
                           QStringLiteral("not an image (no decoder recognises the contents)"));
        return failure(
            DecodeStatus::Corrupt, name,
            QStringLiteral("%1 data is truncated or corrupt").arg(imageFormatName(header.format)));
    }
    DecodedImage result = fromDecodedMat(decoded, name, options);
    if (result.ok() && d > 1) {
        const cv::Size full = uprightSize(header.width, header.height, d, decoded.size());
        result.originalWidth = full.width;
        result.originalHeight = full.height;
    }
    return result;
}

/// Why a listed path cannot be found: a name the file system cannot be asked for, a symlink
/// leading nowhere, or simply no such file.
QString missingFileReason(const QFileInfo& info) {
    // Qt decodes file names as UTF-8; bytes that are not become U+FFFD, and that name no longer
    // matches the one on disk.
    if (info.fileName().contains(QChar::ReplacementCharacter))
        return QStringLiteral("the file name is not valid UTF-8, so it cannot be opened by name; "
                              "rename the file (e.g. with convmv)");
    if (info.isSymLink()) {
        // Opening fails; the system's message tells a link loop from a missing target.
        QFile link(info.filePath());
        (void)link.open(QIODevice::ReadOnly);
        return QStringLiteral("symbolic link to %1 leads nowhere: %2")
            .arg(info.symLinkTarget(), link.errorString());
    }
    return QStringLiteral("file not found");
}

} // namespace

QString decodeStatusName(DecodeStatus status) {
    switch (status) {
    case DecodeStatus::Ok:
        return QStringLiteral("ok");
    case DecodeStatus::FileMissing:
        return QStringLiteral("file-missing");
    case DecodeStatus::Unreadable:
        return QStringLiteral("unreadable");
    case DecodeStatus::Empty:
        return QStringLiteral("empty");
    case DecodeStatus::NotAnImage:
        return QStringLiteral("not-an-image");
    case DecodeStatus::Corrupt:
        return QStringLiteral("corrupt");
    case DecodeStatus::TooLarge:
        return QStringLiteral("too-large");
    case DecodeStatus::Unsupported:
        return QStringLiteral("unsupported");
    }
    return QStringLiteral("unknown");
}

QString skippedImageLine(const QString& path, const QString& error) {
    if (error.startsWith(path + QLatin1Char(':')))
        return QStringLiteral("skipped %1").arg(error);
    return QStringLiteral("skipped %1: %2").arg(path, error);
}

DecodedImage decodeImageBytes(const QByteArray& bytes, const QString& name,
                              const DecodeOptions& options) {
    if (bytes.isEmpty())
        return failure(DecodeStatus::Empty, name, QStringLiteral("file is empty (0 bytes)"));
    if (bytes.size() > std::numeric_limits<int>::max())
        return failure(DecodeStatus::TooLarge, name, QStringLiteral("file is over 2 GiB"));
    const ImageHeader header = probeImageHeader(bytes);
    DecodedImage refusal;
    if (refuseBeforeDecoding(bytes, header, name, options, &refusal))
        return refusal;
    try {
        return decodeChecked(bytes, header, name, options);
    } catch (const cv::Exception& e) {
        // OpenCV's own guards (CV_IO_MAX_IMAGE_PIXELS, malformed sizes) throw.
        return failure(DecodeStatus::Corrupt, name,
                       QStringLiteral("decoder error: %1").arg(QString::fromStdString(e.msg)));
    } catch (const std::bad_alloc&) {
        return failure(DecodeStatus::TooLarge, name,
                       QStringLiteral("out of memory while decoding"));
    } catch (const std::exception& e) {
        return failure(DecodeStatus::Corrupt, name,
                       QStringLiteral("decoder error: %1").arg(QString::fromLocal8Bit(e.what())));
    }
}

DecodedImage decodeImageFile(const QString& path, const DecodeOptions& options) {
    const QFileInfo info(path);
    if (!info.exists())
        return failure(DecodeStatus::FileMissing, path, missingFileReason(info));
    if (info.isDir())
        return failure(DecodeStatus::Unreadable, path, QStringLiteral("is a directory"));
    if (!info.isFile()) // opening a FIFO would block until some writer appears
        return failure(DecodeStatus::Unreadable, path,
                       QStringLiteral("not a regular file (a FIFO, socket or device); not read"));
    if (info.size() == 0)
        return failure(DecodeStatus::Empty, path, QStringLiteral("file is empty (0 bytes)"));
    if (info.size() > options.maxFileBytes)
        return failure(DecodeStatus::TooLarge, path,
                       QStringLiteral("file is %1 bytes, over the limit of %2 bytes")
                           .arg(info.size())
                           .arg(options.maxFileBytes));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return failure(DecodeStatus::Unreadable, path,
                       QStringLiteral("cannot open: %1").arg(file.errorString()));
    const QByteArray bytes = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return failure(DecodeStatus::Unreadable, path,
                       QStringLiteral("read error: %1").arg(file.errorString()));
    return decodeImageBytes(bytes, path, options);
}

} // namespace freesel
