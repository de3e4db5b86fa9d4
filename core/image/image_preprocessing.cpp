// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/image_preprocessing.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace freesel {

namespace {

// Largest sensible network input side; beyond this a ViT's attention is out of memory anyway.
constexpr int kMaxSide = 16384;

int roundToPatches(double side, int patch) {
    const long patches = std::lround(side / patch);
    return int(std::max(1L, patches)) * patch;
}

cv::Size keepAspectSize(int width, int height, const ResizeSpec& spec) {
    const int patch = spec.patchSize;
    double scale = double(spec.shortSide) / double(std::min(width, height));
    const int longSide = std::max(width, height);
    const bool capped = spec.maxLongSide > 0 && longSide * scale > spec.maxLongSide;
    if (capped)
        scale = double(spec.maxLongSide) / double(longSide);
    int w = roundToPatches(width * scale, patch);
    int h = roundToPatches(height * scale, patch);
    if (capped) { // rounding to the nearest patch may have gone past the cap
        const int capSide = std::max(patch, spec.maxLongSide / patch * patch);
        w = std::min(w, capSide);
        h = std::min(h, capSide);
    }
    return {w, h};
}

} // namespace

ResizeSpec ResizeSpec::none() {
    ResizeSpec spec;
    spec.mode = Mode::None;
    return spec;
}

ResizeSpec ResizeSpec::fixed(int width, int height) {
    ResizeSpec spec;
    spec.mode = Mode::Fixed;
    spec.width = width;
    spec.height = height;
    return spec;
}

ResizeSpec ResizeSpec::keepAspect(int shortSide, int patchSize, int maxLongSide) {
    ResizeSpec spec;
    spec.mode = Mode::ShortSide;
    spec.shortSide = shortSide;
    spec.patchSize = patchSize;
    spec.maxLongSide = maxLongSide;
    return spec;
}

QString ResizeSpec::validate() const {
    auto outOfRange = [](const char* name, int value) {
        return QStringLiteral("%1 = %2 is out of range (valid: 1 to %3)")
            .arg(QString::fromLatin1(name))
            .arg(value)
            .arg(kMaxSide);
    };
    auto bad = [](int v) { return v < 1 || v > kMaxSide; };
    switch (mode) {
    case Mode::None:
        return {};
    case Mode::Fixed:
        if (bad(width))
            return outOfRange("width", width);
        if (bad(height))
            return outOfRange("height", height);
        return {};
    case Mode::ShortSide:
        if (bad(shortSide))
            return outOfRange("shortSide", shortSide);
        if (patchSize < 1 || patchSize > 64)
            return QStringLiteral("patchSize = %1 is out of range (valid: 1 to 64)").arg(patchSize);
        if (maxLongSide < 0 || maxLongSide > kMaxSide)
            return QStringLiteral("maxLongSide = %1 is out of range (valid: 0 = no cap, or 1 to "
                                  "%2)")
                .arg(maxLongSide)
                .arg(kMaxSide);
        return {};
    }
    return QStringLiteral("unknown resize mode");
}

cv::Size targetSize(int width, int height, const ResizeSpec& spec) {
    if (width <= 0 || height <= 0)
        return {0, 0};
    switch (spec.mode) {
    case ResizeSpec::Mode::None:
        return {width, height};
    case ResizeSpec::Mode::Fixed:
        return {spec.width, spec.height};
    case ResizeSpec::Mode::ShortSide:
        return keepAspectSize(width, height, spec);
    }
    return {width, height};
}

cv::Mat resizeForModel(const cv::Mat& rgb, const ResizeSpec& spec) {
    const cv::Size target = targetSize(rgb.cols, rgb.rows, spec);
    if (rgb.empty() || target == rgb.size())
        return rgb;
    const bool shrinking = target.width <= rgb.cols && target.height <= rgb.rows;
    cv::Mat out;
    cv::resize(rgb, out, target, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
    return out;
}

void toNormalizedChw(const cv::Mat& rgb, float* out, const Normalization& norm) {
    CV_Assert(rgb.type() == CV_8UC3);
    const size_t plane = size_t(rgb.rows) * size_t(rgb.cols);
    // Each channel's 256 possible values, computed with the same float operations as the
    // tensor expression the ViT runs on a GPU ((v / 255 - mean) / std), so CPU and GPU inputs
    // agree bit for bit; then one load per value (a percent of the bfloat16 ViT, where the
    // tensor expression took four passes and a permuted copy).
    float value[3][256];
    for (int c = 0; c < 3; ++c)
        for (int v = 0; v < 256; ++v)
            value[c][v] = (float(v) / 255.0f - norm.mean[c]) / norm.std[c];
    for (int y = 0; y < rgb.rows; ++y) {
        const uchar* pixel = rgb.ptr<uchar>(y);
        float* r = out + size_t(y) * size_t(rgb.cols);
        float* g = r + plane;
        float* b = g + plane;
        for (int x = 0; x < rgb.cols; ++x, pixel += 3) {
            r[x] = value[0][pixel[0]];
            g[x] = value[1][pixel[1]];
            b[x] = value[2][pixel[2]];
        }
    }
}

std::vector<float> toNormalizedChw(const cv::Mat& rgb, const Normalization& norm) {
    std::vector<float> out(size_t(rgb.rows) * size_t(rgb.cols) * 3);
    toNormalizedChw(rgb, out.data(), norm);
    return out;
}

} // namespace freesel
