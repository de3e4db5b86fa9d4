// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/image_header.h"

#include <cstdint>
#include <cstdlib>

namespace freesel {

namespace {

// Bounds-checked readers: hostile headers must never make us read past the buffer.
class ByteReader {
public:
    explicit ByteReader(const QByteArray& bytes) : bytes_(bytes) {}

    qsizetype size() const { return bytes_.size(); }
    bool has(qsizetype offset, qsizetype count) const {
        return offset >= 0 && count >= 0 && offset <= size() - count;
    }
    uint32_t u8(qsizetype at) const { return has(at, 1) ? uint8_t(bytes_[at]) : 0u; }
    uint32_t be16(qsizetype at) const { return (u8(at) << 8) | u8(at + 1); }
    uint32_t le16(qsizetype at) const { return u8(at) | (u8(at + 1) << 8); }
    uint32_t be32(qsizetype at) const { return (be16(at) << 16) | be16(at + 2); }
    uint32_t le32(qsizetype at) const { return le16(at) | (le16(at + 2) << 16); }
    uint32_t le24(qsizetype at) const { return le16(at) | (u8(at + 2) << 16); }
    bool matches(qsizetype at, const char* magic, qsizetype count) const {
        return has(at, count) && bytes_.mid(at, count) == QByteArray(magic, count);
    }

private:
    const QByteArray& bytes_;
};

int clampDimension(int64_t value) {
    // Values beyond int range are still "huge"; keep them huge instead of wrapping.
    return value > INT32_MAX ? INT32_MAX : int(value);
}

bool isJpegSof(uint32_t marker) {
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Walks the marker segments from SOI. Returns the offset of the SOS marker (-1 if none) and fills
// the dimensions from the first SOF found. Segment lengths let us skip APP1 blocks whose embedded
// EXIF thumbnail carries its own SOF/SOS/EOI markers.
qsizetype walkJpeg(const ByteReader& r, ImageHeader* header) {
    qsizetype pos = 2;
    while (r.has(pos, 2)) {
        if (r.u8(pos) != 0xFF)
            return -1; // not on a marker: corrupt
        const uint32_t marker = r.u8(pos + 1);
        if (marker == 0xFF) { // fill byte
            ++pos;
            continue;
        }
        if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { // standalone
            pos += 2;
            continue;
        }
        if (marker == 0xDA)
            return pos;
        if (marker == 0xD9)
            return -1;
        const uint32_t length = r.be16(pos + 2);
        if (length < 2)
            return -1;
        if (isJpegSof(marker) && header && header->width == 0 && r.has(pos + 4, 5)) {
            header->height = int(r.be16(pos + 5));
            header->width = int(r.be16(pos + 7));
        }
        pos += 2 + qsizetype(length);
    }
    return -1;
}

void probePng(const ByteReader& r, ImageHeader* header) {
    if (!r.matches(12, "IHDR", 4))
        return;
    header->width = clampDimension(r.be32(16));
    header->height = clampDimension(r.be32(20));
    const uint32_t colourType = r.u8(25);
    header->mayHaveAlpha = colourType == 4 || colourType == 6;
    // A tRNS chunk (palette or key-colour transparency) must come before the first IDAT.
    qsizetype pos = 8;
    for (int chunk = 0; chunk < 64 && r.has(pos, 8); ++chunk) {
        if (r.matches(pos + 4, "IDAT", 4))
            break;
        if (r.matches(pos + 4, "tRNS", 4))
            header->mayHaveAlpha = true;
        pos += 12 + qsizetype(r.be32(pos));
    }
}

void probeBmp(const ByteReader& r, ImageHeader* header) {
    const uint32_t dibSize = r.le32(14);
    if (dibSize == 12) { // BITMAPCOREHEADER: 16-bit dimensions
        header->width = int(r.le16(18));
        header->height = int(r.le16(20));
    } else if (dibSize >= 40) { // height is signed: negative means top-down rows
        header->width = clampDimension(std::llabs(int64_t(int32_t(r.le32(18)))));
        header->height = clampDimension(std::llabs(int64_t(int32_t(r.le32(22)))));
    }
}

void probeWebP(const ByteReader& r, ImageHeader* header) {
    if (r.matches(12, "VP8 ", 4)) { // lossy: frame tag (3 bytes), start code, 14-bit sizes
        header->width = int(r.le16(26) & 0x3FFF);
        header->height = int(r.le16(28) & 0x3FFF);
    } else if (r.matches(12, "VP8L", 4)) { // lossless: 14-bit (size - 1) fields, may have alpha
        const uint32_t bits = r.le32(21);
        header->width = int((bits & 0x3FFF) + 1);
        header->height = int(((bits >> 14) & 0x3FFF) + 1);
        header->mayHaveAlpha = true;
    } else if (r.matches(12, "VP8X", 4)) { // extended: flags, then 24-bit (size - 1) fields
        header->mayHaveAlpha = (r.u8(20) & 0x10) != 0;
        header->width = int(r.le24(24) + 1);
        header->height = int(r.le24(27) + 1);
    }
}

// Reads ImageWidth (256) and ImageLength (257) from the first IFD. TIFF is the format most often
// used for very large images, so it is worth checking before libtiff allocates anything.
void probeTiff(const ByteReader& r, ImageHeader* header) {
    const bool little = r.u8(0) == 'I';
    auto u16 = [&](qsizetype at) { return little ? r.le16(at) : r.be16(at); };
    auto u32 = [&](qsizetype at) { return little ? r.le32(at) : r.be32(at); };
    const qsizetype ifd = qsizetype(u32(4));
    const uint32_t entries = u16(ifd);
    for (uint32_t i = 0; i < entries && i < 512 && r.has(ifd + 2 + 12 * i, 12); ++i) {
        const qsizetype entry = ifd + 2 + 12 * qsizetype(i);
        const uint32_t tag = u16(entry);
        const uint32_t type = u16(entry + 2);
        const uint32_t value = type == 3 ? u16(entry + 8) : u32(entry + 8); // SHORT or LONG
        if (tag == 256)
            header->width = clampDimension(value);
        else if (tag == 257)
            header->height = clampDimension(value);
    }
}

ImageFormat sniffFormat(const ByteReader& r) {
    if (r.matches(0, "\xFF\xD8\xFF", 3))
        return ImageFormat::Jpeg;
    if (r.matches(0, "\x89PNG\r\n\x1A\n", 8))
        return ImageFormat::Png;
    if (r.matches(0, "BM", 2) && r.has(0, 26))
        return ImageFormat::Bmp;
    if (r.matches(0, "GIF87a", 6) || r.matches(0, "GIF89a", 6))
        return ImageFormat::Gif;
    if (r.matches(0, "II*\0", 4) || r.matches(0, "MM\0*", 4))
        return ImageFormat::Tiff;
    if (r.matches(0, "RIFF", 4) && r.matches(8, "WEBP", 4))
        return ImageFormat::WebP;
    if (r.u8(0) == 'P' && r.u8(1) >= '1' && r.u8(1) <= '7')
        return ImageFormat::Pnm;
    if (r.matches(0, "\0\0\0\x0CjP  \r\n\x87\n", 12) || r.matches(0, "\xFF\x4F\xFF\x51", 4))
        return ImageFormat::Jpeg2000;
    if (r.matches(0, "\x76\x2F\x31\x01", 4))
        return ImageFormat::Exr;
    if (r.matches(0, "#?RADIANCE", 10) || r.matches(0, "#?RGBE", 6))
        return ImageFormat::Hdr;
    return ImageFormat::Unknown;
}

} // namespace

ImageHeader probeImageHeader(const QByteArray& bytes) {
    const ByteReader r(bytes);
    ImageHeader header;
    header.format = sniffFormat(r);
    switch (header.format) {
    case ImageFormat::Jpeg:
        walkJpeg(r, &header);
        break;
    case ImageFormat::Png:
        probePng(r, &header);
        break;
    case ImageFormat::Bmp:
        probeBmp(r, &header);
        break;
    case ImageFormat::Gif:
        header.width = int(r.le16(6));
        header.height = int(r.le16(8));
        break;
    case ImageFormat::WebP:
        probeWebP(r, &header);
        break;
    case ImageFormat::Tiff:
        probeTiff(r, &header);
        break;
    default:
        break; // dimensions are checked after decoding
    }
    return header;
}

bool jpegHasEndMarker(const QByteArray& bytes) {
    const ByteReader r(bytes);
    const qsizetype scan = walkJpeg(r, nullptr);
    if (scan < 0)
        return false;
    // Entropy-coded data stuffs every FF with 00, so FF D9 after SOS can only be a real EOI.
    return bytes.indexOf(QByteArray("\xFF\xD9", 2), scan) > scan;
}

QString imageFormatName(ImageFormat format) {
    switch (format) {
    case ImageFormat::Jpeg:
        return QStringLiteral("JPEG");
    case ImageFormat::Png:
        return QStringLiteral("PNG");
    case ImageFormat::Bmp:
        return QStringLiteral("BMP");
    case ImageFormat::Gif:
        return QStringLiteral("GIF");
    case ImageFormat::Tiff:
        return QStringLiteral("TIFF");
    case ImageFormat::WebP:
        return QStringLiteral("WebP");
    case ImageFormat::Pnm:
        return QStringLiteral("PNM");
    case ImageFormat::Jpeg2000:
        return QStringLiteral("JPEG 2000");
    case ImageFormat::Exr:
        return QStringLiteral("OpenEXR");
    case ImageFormat::Hdr:
        return QStringLiteral("Radiance HDR");
    case ImageFormat::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

} // namespace freesel
