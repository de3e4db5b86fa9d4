// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A small line chart for reports written without a GUI (freesel compare): the same chart as
// SVG text and as a PNG drawn with OpenCV. Written by hand because the core must not link
// QtGui (QCustomPlot, QPainter, QSvgGenerator all need it) and a report needs only lines,
// markers, error bars, axes and a legend.

#include "util/error.h"

#include <QString>

#include <vector>

namespace freesel {

struct ChartSeries {
    QString name;
    std::vector<double> x, y;
    std::vector<double> low, high; ///< optional, per point: an error bar from low to high
    bool markers = true;
};

struct LineChart {
    QString title, xLabel, yLabel;
    std::vector<ChartSeries> series;
};

/// Round tick values covering [low, high] (about `count` of them, steps of 1, 2 or 5 x 10^k).
std::vector<double> niceTicks(double low, double high, int count = 5);

/// A standalone SVG document (UTF-8), text escaped.
QString chartSvg(const LineChart& chart, int width = 720, int height = 420);

/// Draws the chart into a PNG file; the error names the path.
Status writeChartPng(const LineChart& chart, const QString& path, int width = 720,
                     int height = 420);

} // namespace freesel
