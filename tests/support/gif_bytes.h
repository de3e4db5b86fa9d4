// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// GIF files for the tests, encoded with giflib (OpenCV cannot write GIF): several frames,
// a transparent colour, interlacing.

#include <QByteArray>

#include <gif_lib.h>
#include <opencv2/core.hpp>

#include <vector>

namespace gifbytes {

struct GifSpec {
    std::vector<cv::Vec3b> palette; ///< RGB, 2, 4, 8, ... 256 entries
    std::vector<cv::Mat> frames;    ///< CV_8UC1 colour indices, all of the screen's size
    int transparentIndex = -1;      ///< -1: none
    bool interlaced = false;
};

inline int appendToByteArray(GifFileType* gif, const GifByteType* data, int length) {
    static_cast<QByteArray*>(gif->UserData)->append(reinterpret_cast<const char*>(data), length);
    return length;
}

inline QByteArray encodeGif(const GifSpec& spec) {
    QByteArray out;
    int error = 0;
    GifFileType* gif = EGifOpen(&out, appendToByteArray, &error);
    if (!gif)
        qFatal("EGifOpen failed: %d", error);
    EGifSetGifVersion(gif, true);
    ColorMapObject* map = GifMakeMapObject(int(spec.palette.size()), nullptr);
    for (size_t i = 0; i < spec.palette.size(); ++i)
        map->Colors[i] = {spec.palette[i][0], spec.palette[i][1], spec.palette[i][2]};
    const cv::Mat& first = spec.frames.front();
    bool ok = EGifPutScreenDesc(gif, first.cols, first.rows, 8, 0, map) == GIF_OK;
    for (const cv::Mat& frame : spec.frames) {
        GraphicsControlBlock control{};
        control.DelayTime = 10;
        control.TransparentColor =
            spec.transparentIndex < 0 ? NO_TRANSPARENT_COLOR : spec.transparentIndex;
        GifByteType extension[4];
        const size_t length = EGifGCBToExtension(&control, extension);
        ok = ok && EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, int(length), extension) == GIF_OK;
        ok = ok && EGifPutImageDesc(gif, 0, 0, frame.cols, frame.rows, spec.interlaced, nullptr) ==
                       GIF_OK;
        // Interlaced frames are written in pass order: rows 0, 8, ..; 4, 12, ..; 2, 6, ..; 1, 3.
        std::vector<int> rows;
        const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
        for (int pass = 0; pass < (spec.interlaced ? 4 : 1); ++pass)
            for (int y = spec.interlaced ? start[pass] : 0; y < frame.rows;
                 y += spec.interlaced ? step[pass] : 1)
                rows.push_back(y);
        for (int y : rows) {
            std::vector<GifPixelType> line(frame.ptr<uchar>(y), frame.ptr<uchar>(y) + frame.cols);
            ok = ok && EGifPutLine(gif, line.data(), frame.cols) == GIF_OK;
        }
    }
    GifFreeMapObject(map);
    if (EGifCloseFile(gif, &error) != GIF_OK || !ok)
        qFatal("GIF encoding failed: %d", error);
    return out;
}

} // namespace gifbytes
