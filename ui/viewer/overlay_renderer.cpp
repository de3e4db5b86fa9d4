// SPDX-License-Identifier: GPL-3.0-or-later
#include "viewer/overlay_renderer.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace freesel {

QColor patternColour(int k) {
    // 20 colours of high mutual contrast (tab10 without its grey, then Kelly's list without
    // white, black and grey): K up to 20 never repeats a colour or uses the grey of the mask.
    static const QColor base[] = {{31, 119, 180},  {255, 127, 14},  {44, 160, 44},   {214, 39, 40},
                                  {148, 103, 189}, {140, 86, 75},   {227, 119, 194}, {188, 189, 34},
                                  {23, 190, 207},  {243, 195, 0},   {0, 0, 128},     {190, 0, 50},
                                  {141, 182, 0},   {96, 78, 151},   {249, 147, 121}, {0, 136, 86},
                                  {226, 88, 34},   {161, 202, 241}, {179, 68, 108},  {101, 69, 34}};
    constexpr int kBase = static_cast<int>(sizeof(base) / sizeof(base[0]));
    if (k >= 0 && k < kBase)
        return base[k];
    return QColor::fromHsv((k * 137) % 360, 210, 235); // golden-angle hues beyond 20
}

QColor heatColour(double t) {
    // A short inferno-like ramp: black -> purple -> red -> orange -> pale yellow.
    static const double stops[][3] = {
        {0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}};
    t = std::clamp(t, 0.0, 1.0) * 4.0;
    const int i = std::min(3, static_cast<int>(t));
    const double f = t - i;
    auto mix = [&](int c) {
        return static_cast<int>(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]));
    };
    return {mix(0), mix(1), mix(2)};
}

std::vector<int> patchesPerPattern(const ImageDetail& detail) {
    std::vector<int> counts(static_cast<size_t>(std::max(0, detail.patternCount)), 0);
    for (int label : detail.labels)
        if (label >= 0 && label < static_cast<int>(counts.size()))
            ++counts[static_cast<size_t>(label)];
    return counts;
}

QImage renderOverlays(const ImageDetail& detail, const OverlayOptions& options) {
    QImage out = detail.image.isNull() ? QImage() : detail.image.copy();
    if (out.isNull() || !detail.hasFeatures || detail.grid.size() == 0)
        return out;
    const PatchGrid grid = detail.grid;
    // The grid covers `area`: the whole image when the network saw it stretched to its input
    // square, the centre square when it saw CLIP's centre crop. Patch (r, c) covers the same
    // fraction of that area.
    const QRectF area = detail.gridArea.isValid() ? detail.gridArea : QRectF(out.rect());
    const double cw = area.width() / grid.cols;
    const double ch = area.height() / grid.rows;
    auto cellRect = [&](int patch) {
        const int r = grid.rowOf(patch), c = grid.colOf(patch);
        const int x0 = static_cast<int>(std::floor(area.x() + c * cw)),
                  y0 = static_cast<int>(std::floor(area.y() + r * ch));
        const int x1 = static_cast<int>(std::floor(area.x() + (c + 1) * cw)),
                  y1 = static_cast<int>(std::floor(area.y() + (r + 1) * ch));
        return QRect(x0, y0, x1 - x0, y1 - y0);
    };
    QPainter painter(&out);
    const double opacity = std::clamp(options.opacity, 0.0, 1.0);
    if (options.heatmap && !detail.attention.empty()) {
        const float peak = *std::max_element(detail.attention.begin(), detail.attention.end());
        QImage heat(grid.cols, grid.rows, QImage::Format_ARGB32);
        for (int p = 0; p < grid.size(); ++p) {
            const double t = peak > 0 ? detail.attention[static_cast<size_t>(p)] / peak : 0.0;
            // Unattended patches are transparent, not black: with the mask on as well the
            // image stayed almost black.
            QColor colour = heatColour(std::sqrt(t));
            colour.setAlphaF(static_cast<float>(std::clamp(std::sqrt(t) * 1.2, 0.0, 1.0)));
            heat.setPixelColor(grid.colOf(p), grid.rowOf(p), colour);
        }
        painter.setOpacity(opacity);
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.drawImage(area, heat);
        painter.setOpacity(1.0);
    }
    std::vector<char> kept(static_cast<size_t>(grid.size()), 0);
    for (int p : detail.kept)
        kept[static_cast<size_t>(p)] = 1;
    if (options.mask) {
        // What the network never saw (outside CLIP's centre crop) is darkened like what the
        // filter drops.
        QPainterPath outside;
        outside.addRect(QRectF(out.rect()));
        QPainterPath seen;
        seen.addRect(area);
        painter.setOpacity(0.65);
        painter.fillPath(outside.subtracted(seen), QColor(20, 20, 28));
        // What the filter drops is greyed out; the kept region gets a white outline.
        painter.setOpacity(options.heatmap ? 0.45 : 0.65);
        for (int p = 0; p < grid.size(); ++p)
            if (!kept[static_cast<size_t>(p)])
                painter.fillRect(cellRect(p), QColor(20, 20, 28));
        painter.setOpacity(1.0);
        painter.setPen(QPen(Qt::white, std::max(1.0, out.width() / 400.0)));
        for (int p = 0; p < grid.size(); ++p) {
            if (!kept[static_cast<size_t>(p)])
                continue;
            const QRect cell = cellRect(p);
            const int r = grid.rowOf(p), c = grid.colOf(p);
            auto isKept = [&](int rr, int cc) {
                return grid.contains(rr, cc) && kept[static_cast<size_t>(grid.indexOf(rr, cc))];
            };
            if (!isKept(r - 1, c))
                painter.drawLine(cell.topLeft(), cell.topRight());
            if (!isKept(r + 1, c))
                painter.drawLine(cell.bottomLeft(), cell.bottomRight());
            if (!isKept(r, c - 1))
                painter.drawLine(cell.topLeft(), cell.bottomLeft());
            if (!isKept(r, c + 1))
                painter.drawLine(cell.topRight(), cell.bottomRight());
        }
    }
    if (options.clusters) {
        painter.setOpacity(opacity);
        for (size_t i = 0; i < detail.kept.size() && i < detail.labels.size(); ++i)
            painter.fillRect(cellRect(detail.kept[i]), patternColour(detail.labels[i]));
        painter.setOpacity(1.0);
    }
    return out;
}

} // namespace freesel
