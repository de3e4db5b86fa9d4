// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/radiance_check.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace freesel {

namespace {

class Reader {
public:
    explicit Reader(const QByteArray& bytes) : bytes_(bytes) {}

    /// fgets(buffer, 128, file): up to 127 bytes, through the first newline. False at the end.
    bool line(std::string* out) {
        if (at_ >= bytes_.size())
            return false;
        out->clear();
        while (at_ < bytes_.size() && out->size() < 127) {
            const char c = bytes_[at_++];
            out->push_back(c);
            if (c == '\n')
                break;
        }
        return true;
    }
    /// fread of `count` bytes: false (a read error in OpenCV) when fewer are left.
    bool take(qint64 count, const uchar** data = nullptr) {
        if (count < 0 || bytes_.size() - at_ < count)
            return false;
        if (data)
            *data = reinterpret_cast<const uchar*>(bytes_.constData() + at_);
        at_ += qsizetype(count);
        return true;
    }

private:
    const QByteArray& bytes_;
    qsizetype at_ = 0;
};

/// RGBE_ReadHeader, and HdrDecoder::readHeader's size check.
bool readHeader(Reader& in, int* width, int* height) {
    std::string buf;
    if (!in.line(&buf))
        return false;
    bool hasFormat = false;
    // C strings: fgets stops at nothing but a newline, strcmp and sscanf stop at a NUL byte.
    while (!buf.empty() && buf[0] != '\0' && buf[0] != '\n') {
        if (std::strcmp(buf.c_str(), "FORMAT=32-bit_rle_rgbe\n") == 0)
            hasFormat = true;
        if (!in.line(&buf))
            return false;
    }
    if (!hasFormat || std::strcmp(buf.c_str(), "\n") != 0 || !in.line(&buf))
        return false;
    return std::sscanf(buf.c_str(), "-Y %d +X %d", height, width) == 2 && *width > 0 && *height > 0;
}

/// One run-length encoded scanline after its 4-byte start: four channels of `width` bytes.
bool readRleScanline(Reader& in, int width) {
    for (int channel = 0; channel < 4; ++channel) {
        int filled = 0;
        while (filled < width) {
            const uchar* pair = nullptr;
            if (!in.take(2, &pair))
                return false;
            const bool run = pair[0] > 128;
            const int count = run ? pair[0] - 128 : pair[0];
            if (count == 0 || count > width - filled)
                return false;
            if (!run && !in.take(count - 1))
                return false;
            filled += count;
        }
    }
    return true;
}

/// RGBE_ReadPixels_RLE over the whole image (flat pixels where it falls back to them).
bool readPixels(Reader& in, int width, int height) {
    if (width < 8 || width > 0x7fff) // run-length encoding not allowed: flat RGBE pixels
        return in.take(4 * qint64(width) * height);
    for (int remaining = height; remaining > 0; --remaining) {
        const uchar* start = nullptr;
        if (!in.take(4, &start))
            return false;
        if (start[0] != 2 || start[1] != 2 || (start[2] & 0x80)) // not encoded: flat from here
            return in.take(4 * (qint64(width) * remaining - 1));
        if ((int(start[2]) << 8 | start[3]) != width || !readRleScanline(in, width))
            return false;
    }
    return true;
}

} // namespace

bool checkRadianceHdr(const QByteArray& bytes, int* width, int* height) {
    Reader in(bytes);
    return readHeader(in, width, height) && readPixels(in, *width, *height);
}

} // namespace freesel
