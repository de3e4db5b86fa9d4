// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Image files built in memory for the tests: OpenCV encodings, and byte-level PNG / header
// builders for what OpenCV cannot write (palette and grey+alpha PNG, bomb headers).

#include <QByteArray>
#include <QtEndian>

#include <opencv2/imgcodecs.hpp>

#include <vector>

namespace imagebytes {

inline QByteArray encode(const cv::Mat& image, const char* ext,
                         const std::vector<int>& params = {}) {
    std::vector<uchar> buffer;
    if (!cv::imencode(ext, image, buffer, params))
        qFatal("cv::imencode(%s) failed", ext);
    return QByteArray(reinterpret_cast<const char*>(buffer.data()), qsizetype(buffer.size()));
}

template <typename T> QByteArray bigEndian(T value) {
    QByteArray out(int(sizeof(T)), '\0');
    qToBigEndian(value, out.data());
    return out;
}

template <typename T> QByteArray littleEndian(T value) {
    QByteArray out(int(sizeof(T)), '\0');
    qToLittleEndian(value, out.data());
    return out;
}

inline QByteArray be32(quint32 v) {
    return bigEndian(v);
}
inline QByteArray be16(quint16 v) {
    return bigEndian(v);
}
inline QByteArray le32(quint32 v) {
    return littleEndian(v);
}
inline QByteArray le16(quint16 v) {
    return littleEndian(v);
}

inline quint32 crc32(const QByteArray& data) {
    quint32 crc = 0xFFFFFFFFu;
    for (char ch : data) {
        crc ^= quint8(ch);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

inline QByteArray pngChunk(const char* type, const QByteArray& data) {
    const QByteArray typed = QByteArray(type, 4) + data;
    return be32(quint32(data.size())) + typed + be32(crc32(typed));
}

inline QByteArray pngIhdr(quint32 width, quint32 height, char bitDepth, char colourType) {
    const QByteArray body = be32(width) + be32(height) + QByteArray(1, bitDepth) +
                            QByteArray(1, colourType) + QByteArray(3, '\0');
    return pngChunk("IHDR", body);
}

// A PNG from unfiltered 8-bit rows; qCompress yields a zlib stream after a 4-byte size prefix.
inline QByteArray buildPng(int width, int height, char colourType, int bytesPerPixel,
                           const QByteArray& pixels, const QByteArray& extraChunks = {}) {
    QByteArray raw;
    for (int y = 0; y < height; ++y)
        raw += QByteArray(1, '\0') + pixels.mid(y * width * bytesPerPixel, width * bytesPerPixel);
    return QByteArray("\x89PNG\r\n\x1A\n", 8) +
           pngIhdr(quint32(width), quint32(height), 8, colourType) + extraChunks +
           pngChunk("IDAT", qCompress(raw).mid(4)) + pngChunk("IEND", {});
}

/// A PNG that is nothing but a header claiming width x height RGB pixels.
inline QByteArray pngBombHeader(quint32 width, quint32 height) {
    return QByteArray("\x89PNG\r\n\x1A\n", 8) + pngIhdr(width, height, 8, 2) +
           pngChunk("IDAT", QByteArray(16, '\0'));
}

/// A baseline JPEG that is only SOI, a SOF0 claiming width x height YCbCr, and EOI.
inline QByteArray jpegBombHeader(quint16 width, quint16 height) {
    const QByteArray sof = QByteArray("\xFF\xC0", 2) + be16(17) + QByteArray(1, 8) + be16(height) +
                           be16(width) + QByteArray("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
    return QByteArray("\xFF\xD8", 2) + sof + QByteArray("\xFF\xD9", 2);
}

} // namespace imagebytes
