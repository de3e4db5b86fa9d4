// SPDX-License-Identifier: GPL-3.0-or-later
#include "compare/line_chart.h"

#include "util/save_file.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace freesel {

namespace {

// Matplotlib's "tab10": distinct, and readable by most colour-blind readers.
constexpr unsigned kPalette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

unsigned colourOf(size_t series) {
    return kPalette[series % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

struct Range {
    double low = std::numeric_limits<double>::infinity();
    double high = -std::numeric_limits<double>::infinity();
    void add(double v) {
        if (std::isfinite(v)) {
            low = std::min(low, v);
            high = std::max(high, v);
        }
    }
    /// Never empty: a single value gets room around it.
    void settle() {
        if (!std::isfinite(low)) {
            low = 0;
            high = 1;
        } else if (high - low < 1e-12) {
            const double pad = std::max(std::abs(low) * 0.5, 0.5);
            low -= pad;
            high += pad;
        }
    }
};

/// Where the plot area lies in the picture and how data maps into it.
struct Frame {
    int width, height;
    double left = 72, right, top = 52, bottom;
    Range x, y;
    std::vector<double> xTicks, yTicks;

    Frame(const LineChart& chart, int w, int h) : width(w), height(h) {
        right = w - 170.0; // room for the legend
        bottom = h - 56.0;
        for (const ChartSeries& s : chart.series) {
            for (double v : s.x)
                x.add(v);
            for (double v : s.y)
                y.add(v);
            for (double v : s.low)
                y.add(v);
            for (double v : s.high)
                y.add(v);
        }
        x.settle();
        y.settle();
        xTicks = niceTicks(x.low, x.high);
        yTicks = niceTicks(y.low, y.high);
        y.low = std::min(y.low, yTicks.front());
        y.high = std::max(y.high, yTicks.back());
    }
    double px(double v) const { return left + (v - x.low) / (x.high - x.low) * (right - left); }
    double py(double v) const { return bottom - (v - y.low) / (y.high - y.low) * (bottom - top); }
};

QString tickText(double v) {
    return QString::number(v, 'g', 4);
}

QString escaped(const QString& text) {
    return text.toHtmlEscaped();
}

QString hex(unsigned rgb) {
    return QStringLiteral("#%1").arg(rgb, 6, 16, QLatin1Char('0'));
}

cv::Scalar bgr(unsigned rgb) {
    return cv::Scalar(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff);
}

void svgAxes(const LineChart& chart, const Frame& f, QString& svg) {
    for (double t : f.yTicks) {
        svg += QStringLiteral("<line x1='%1' y1='%2' x2='%3' y2='%2' stroke='#e5e5e5'/>"
                              "<text x='%4' y='%5' text-anchor='end' font-size='11'>%6</text>\n")
                   .arg(f.left)
                   .arg(f.py(t))
                   .arg(f.right)
                   .arg(f.left - 6)
                   .arg(f.py(t) + 4)
                   .arg(tickText(t));
    }
    for (double t : f.xTicks) {
        if (t < f.x.low - 1e-9 || t > f.x.high + 1e-9)
            continue;
        svg += QStringLiteral("<text x='%1' y='%2' text-anchor='middle' font-size='11'>%3</text>\n")
                   .arg(f.px(t))
                   .arg(f.bottom + 16)
                   .arg(tickText(t));
    }
    svg += QStringLiteral("<rect x='%1' y='%2' width='%3' height='%4' fill='none' "
                          "stroke='#333'/>\n")
               .arg(f.left)
               .arg(f.top)
               .arg(f.right - f.left)
               .arg(f.bottom - f.top);
    svg += QStringLiteral("<text x='%1' y='24' text-anchor='middle' font-size='15'>%2</text>\n"
                          "<text x='%1' y='%3' text-anchor='middle' font-size='12'>%4</text>\n"
                          "<text x='16' y='%5' text-anchor='middle' font-size='12' "
                          "transform='rotate(-90 16 %5)'>%6</text>\n")
               .arg((f.left + f.right) / 2)
               .arg(escaped(chart.title))
               .arg(f.height - 14)
               .arg(escaped(chart.xLabel))
               .arg((f.top + f.bottom) / 2)
               .arg(escaped(chart.yLabel));
}

void svgSeries(const ChartSeries& s, size_t index, const Frame& f, QString& svg) {
    const QString colour = hex(colourOf(index));
    QString points;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
        points +=
            QStringLiteral("%1,%2 ").arg(f.px(s.x[i]), 0, 'f', 1).arg(f.py(s.y[i]), 0, 'f', 1);
    svg += QStringLiteral("<polyline fill='none' stroke='%1' stroke-width='2' points='%2'/>\n")
               .arg(colour, points.trimmed());
    for (size_t i = 0; i < s.x.size() && i < s.low.size() && i < s.high.size(); ++i)
        svg += QStringLiteral("<line x1='%1' y1='%2' x2='%1' y2='%3' stroke='%4'/>\n")
                   .arg(f.px(s.x[i]), 0, 'f', 1)
                   .arg(f.py(s.low[i]), 0, 'f', 1)
                   .arg(f.py(s.high[i]), 0, 'f', 1)
                   .arg(colour);
    if (s.markers)
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
            svg += QStringLiteral("<circle cx='%1' cy='%2' r='3.5' fill='%3'/>\n")
                       .arg(f.px(s.x[i]), 0, 'f', 1)
                       .arg(f.py(s.y[i]), 0, 'f', 1)
                       .arg(colour);
    const double y = f.top + 14 + 18 * double(index);
    svg += QStringLiteral("<line x1='%1' y1='%2' x2='%3' y2='%2' stroke='%4' stroke-width='3'/>"
                          "<text x='%5' y='%6' font-size='12'>%7</text>\n")
               .arg(f.right + 14)
               .arg(y)
               .arg(f.right + 36)
               .arg(colour)
               .arg(f.right + 42)
               .arg(y + 4)
               .arg(escaped(s.name));
}

void pngText(cv::Mat& image, const QString& text, cv::Point at, double scale, bool centred) {
    const std::string utf8 = text.toStdString();
    int baseline = 0;
    const cv::Size size = cv::getTextSize(utf8, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
    if (centred)
        at.x -= size.width / 2;
    cv::putText(image, utf8, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(40, 40, 40), 1,
                cv::LINE_AA);
}

void pngAxes(const LineChart& chart, const Frame& f, cv::Mat& image) {
    for (double t : f.yTicks) {
        const int y = int(std::lround(f.py(t)));
        cv::line(image, {int(f.left), y}, {int(f.right), y}, cv::Scalar(229, 229, 229), 1);
        const std::string label = tickText(t).toStdString();
        int baseline = 0;
        const cv::Size size = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, 0.38, 1, &baseline);
        pngText(image, tickText(t), {int(f.left) - 6 - size.width, y + 4}, 0.38, false);
    }
    for (double t : f.xTicks)
        if (t >= f.x.low - 1e-9 && t <= f.x.high + 1e-9)
            pngText(image, tickText(t), {int(f.px(t)), int(f.bottom) + 16}, 0.38, true);
    cv::rectangle(image, cv::Point(int(f.left), int(f.top)), cv::Point(int(f.right), int(f.bottom)),
                  cv::Scalar(51, 51, 51), 1);
    pngText(image, chart.title, {int((f.left + f.right) / 2), 24}, 0.55, true);
    pngText(image, chart.xLabel, {int((f.left + f.right) / 2), f.height - 12}, 0.45, true);
    // OpenCV draws no rotated text: the y label sits above the axis instead.
    pngText(image, chart.yLabel, {8, int(f.top) - 10}, 0.42, false);
}

void pngSeries(const ChartSeries& s, size_t index, const Frame& f, cv::Mat& image) {
    const cv::Scalar colour = bgr(colourOf(index));
    std::vector<cv::Point> points;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
        points.emplace_back(int(std::lround(f.px(s.x[i]))), int(std::lround(f.py(s.y[i]))));
    if (points.size() > 1)
        cv::polylines(image, points, false, colour, 2, cv::LINE_AA);
    for (size_t i = 0; i < s.x.size() && i < s.low.size() && i < s.high.size(); ++i)
        cv::line(image, {points[i].x, int(f.py(s.low[i]))}, {points[i].x, int(f.py(s.high[i]))},
                 colour, 1, cv::LINE_AA);
    if (s.markers)
        for (const cv::Point& p : points)
            cv::circle(image, p, 3, colour, cv::FILLED, cv::LINE_AA);
    const int y = int(f.top) + 14 + 18 * int(index);
    cv::line(image, {int(f.right) + 14, y}, {int(f.right) + 36, y}, colour, 3);
    pngText(image, s.name, {int(f.right) + 42, y + 4}, 0.42, false);
}

} // namespace

std::vector<double> niceTicks(double low, double high, int count) {
    if (!(high > low) || count < 1)
        return {low};
    const double raw = (high - low) / count;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (double factor : {1.0, 2.0, 5.0, 10.0})
        if (raw <= factor * magnitude) {
            step = factor * magnitude;
            break;
        }
    // Whole multiples of the step, so no error accumulates along the axis.
    std::vector<double> ticks;
    const double first = std::floor(low / step);
    for (double k = first; k * step <= high + step * 0.5; k += 1.0)
        ticks.push_back(k * step);
    return ticks;
}

QString chartSvg(const LineChart& chart, int width, int height) {
    const Frame frame(chart, width, height);
    QString svg = QStringLiteral("<svg xmlns='http://www.w3.org/2000/svg' width='%1' height='%2' "
                                 "viewBox='0 0 %1 %2' font-family='sans-serif'>\n"
                                 "<rect width='100%' height='100%' fill='white'/>\n")
                      .arg(width)
                      .arg(height);
    svgAxes(chart, frame, svg);
    for (size_t i = 0; i < chart.series.size(); ++i)
        svgSeries(chart.series[i], i, frame, svg);
    return svg + QStringLiteral("</svg>\n");
}

Status writeChartPng(const LineChart& chart, const QString& path, int width, int height) {
    const Frame frame(chart, width, height);
    cv::Mat image(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
    pngAxes(chart, frame, image);
    for (size_t i = 0; i < chart.series.size(); ++i)
        pngSeries(chart.series[i], i, frame, image);
    std::vector<uchar> bytes;
    if (!cv::imencode(".png", image, bytes))
        return Error::internal(QStringLiteral("%1: PNG encoding failed").arg(path));
    return saveFileAtomically(
        path, QByteArray(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size())));
}

} // namespace freesel
