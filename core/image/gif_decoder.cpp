// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/gif_decoder.h"

#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace freesel {

namespace {

struct ByteSource {
    const QByteArray* bytes;
    qsizetype position = 0;
};

int readFromBytes(GifFileType* gif, GifByteType* out, int wanted) {
    auto* source = static_cast<ByteSource*>(gif->UserData);
    const qsizetype available = source->bytes->size() - source->position;
    const int n = int(std::min<qsizetype>(wanted, std::max<qsizetype>(available, 0)));
    std::memcpy(out, source->bytes->constData() + source->position, size_t(n));
    source->position += n;
    return n;
}

struct GifCloser {
    void operator()(GifFileType* gif) const { DGifCloseFile(gif, nullptr); }
};
using GifHandle = std::unique_ptr<GifFileType, GifCloser>;

QString gifError(int code) {
    const char* text = GifErrorString(code);
    return QStringLiteral("GIF data is damaged (%1)")
        .arg(text ? QString::fromLatin1(text) : QStringLiteral("giflib error %1").arg(code));
}

/// Reads one extension; a graphic control extension sets the transparent colour index (-1:
/// none) of the frame that follows.
int readExtension(GifFileType* gif, int* transparent) {
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif, &code, &block) == GIF_ERROR)
        return GIF_ERROR;
    if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4)
        *transparent = (block[1] & 0x01) ? int(block[4]) : -1;
    while (block)
        if (DGifGetExtensionNext(gif, &block) == GIF_ERROR)
            return GIF_ERROR;
    return GIF_OK;
}

/// Rows in file order: interlaced frames store rows 0, 8, ...; 4, 12, ...; 2, 6, ...; 1, 3, ...
std::vector<int> rowOrder(int height, bool interlaced) {
    std::vector<int> rows;
    rows.reserve(size_t(height));
    if (!interlaced) {
        for (int y = 0; y < height; ++y)
            rows.push_back(y);
        return rows;
    }
    const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; ++pass)
        for (int y = start[pass]; y < height; y += step[pass])
            rows.push_back(y);
    return rows;
}

/// Reads the frame whose descriptor was just read and paints it onto `canvas`.
bool paintFrame(GifFileType* gif, int transparent, cv::Mat* canvas) {
    const GifImageDesc& frame = gif->Image;
    const ColorMapObject* colours = frame.ColorMap ? frame.ColorMap : gif->SColorMap;
    std::vector<GifPixelType> line(size_t(std::max(frame.Width, 1)));
    for (int y : rowOrder(frame.Height, frame.Interlace)) {
        if (DGifGetLine(gif, line.data(), frame.Width) == GIF_ERROR)
            return false;
        const int row = frame.Top + y;
        if (!colours || row < 0 || row >= canvas->rows)
            continue;
        auto* out = canvas->ptr<cv::Vec4b>(row);
        for (int x = 0; x < frame.Width; ++x) {
            const int column = frame.Left + x, index = line[size_t(x)];
            if (column < 0 || column >= canvas->cols || index == transparent ||
                index >= colours->ColorCount)
                continue;
            const GifColorType& c = colours->Colors[index];
            out[column] = cv::Vec4b(c.Blue, c.Green, c.Red, 255);
        }
    }
    return true;
}

} // namespace

Result<cv::Mat> decodeGifFirstFrame(const QByteArray& bytes, qint64 maxPixels) {
    ByteSource source{&bytes};
    int code = 0;
    GifHandle gif(DGifOpen(&source, readFromBytes, &code));
    if (!gif)
        return Error::userInput(gifError(code));
    int transparent = -1;
    GifRecordType record = UNDEFINED_RECORD_TYPE;
    while (record != TERMINATE_RECORD_TYPE) {
        if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR)
            break;
        if (record == EXTENSION_RECORD_TYPE) {
            if (readExtension(gif.get(), &transparent) == GIF_ERROR)
                break;
        } else if (record == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif.get()) == GIF_ERROR)
                break;
            const GifImageDesc& frame = gif->Image;
            const int width = gif->SWidth > 0 ? gif->SWidth : frame.Width;
            const int height = gif->SHeight > 0 ? gif->SHeight : frame.Height;
            if (qint64(frame.Width) * frame.Height > maxPixels ||
                qint64(width) * height > maxPixels) {
                return Error::userInput(QStringLiteral("GIF frame of %1 x %2 pixels is over the "
                                                       "limit of %3 pixels")
                                            .arg(frame.Width)
                                            .arg(frame.Height)
                                            .arg(maxPixels));
            }
            cv::Mat canvas(height, width, CV_8UC4, cv::Scalar::all(0));
            if (!paintFrame(gif.get(), transparent, &canvas))
                break;
            return canvas; // the first frame is all we use
        }
    }
    return Error::userInput(record == TERMINATE_RECORD_TYPE
                                ? QStringLiteral("GIF has no image in it")
                                : gifError(gif->Error));
}

} // namespace freesel
