// SPDX-License-Identifier: GPL-3.0-or-later
#include "plots/score_histogram_plot.h"

#include "plots/qcustomplot_include.h"
#include "pool/pool_delegate.h"

#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace freesel {

namespace {

constexpr int kBins = 40;

/// Counts of `values` in kBins equal bins over [low, high].
QVector<double> binCounts(const std::vector<double>& values, double low, double width) {
    QVector<double> counts(kBins, 0.0);
    for (double v : values) {
        const int bin = std::clamp(int((v - low) / width), 0, kBins - 1);
        counts[bin] += 1.0;
    }
    return counts;
}

QCPBars* bars(QCustomPlot* plot, const QColor& colour, const QString& name) {
    auto* result = new QCPBars(plot->xAxis, plot->yAxis);
    result->setPen(Qt::NoPen);
    result->setBrush(colour);
    result->setName(name);
    return result;
}

double sumOf(const QCPBars* set) {
    double total = 0.0;
    for (auto it = set->data()->constBegin(); it != set->data()->constEnd(); ++it)
        total += it->value;
    return total;
}

} // namespace

ScoreHistogramPlot::ScoreHistogramPlot(QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)) {
    plot_->setObjectName(QStringLiteral("scoreHistogramPlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, tr("Difficulty and window")));
    bars(plot_, QColor(150, 155, 165), tr("all images"));
    bars(plot_, PoolDelegate::selectedColour(), tr("kept"));
    window_ = new QCPItemRect(plot_);
    window_->setPen(QPen(PoolDelegate::selectedColour(), 1));
    window_->setBrush(QColor(230, 120, 20, 40));
    cut_ = new QCPItemStraightLine(plot_);
    cut_->setPen(QPen(QColor(200, 30, 30), 2, Qt::DashLine));
    plot_->yAxis->setLabel(tr("images"));
    plot_->legend->setVisible(true);
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    setHistogram({});
}

void ScoreHistogramPlot::setHistogram(const ScoreHistogram& h) {
    auto* all = qobject_cast<QCPBars*>(plot_->plottable(0));
    auto* kept = qobject_cast<QCPBars*>(plot_->plottable(1));
    all->data()->clear();
    kept->data()->clear();
    plot_->xAxis->setLabel(tr("%1 (the hardest images lie beyond the red cut)").arg(h.score));
    const auto [lowIt, highIt] = std::minmax_element(h.all.begin(), h.all.end());
    const double low = h.all.empty() ? 0.0 : *lowIt;
    const double high = h.all.empty() ? 1.0 : *highIt;
    const double width = std::max(high - low, 1e-9) / kBins;
    QVector<double> keys(kBins);
    for (int b = 0; b < kBins; ++b)
        keys[b] = low + (b + 0.5) * width;
    const QVector<double> allCounts = binCounts(h.all, low, width);
    all->setWidth(width);
    kept->setWidth(width);
    all->setData(keys, allCounts, true);
    kept->setData(keys, binCounts(h.kept, low, width), true);
    const double top = std::max(1.0, *std::max_element(allCounts.begin(), allCounts.end())) * 1.1;
    plot_->xAxis->setRange(low - width, high + width);
    plot_->yAxis->setRange(0.0, top);
    cut_->setVisible(!std::isnan(h.cut));
    cut_->point1->setCoords(h.cut, 0.0);
    cut_->point2->setCoords(h.cut, 1.0);
    window_->setVisible(!std::isnan(h.windowLow) && !std::isnan(h.windowHigh));
    window_->topLeft->setCoords(std::min(h.windowLow, h.windowHigh), top);
    window_->bottomRight->setCoords(std::max(h.windowLow, h.windowHigh), 0.0);
    plot_->replot();
}

int ScoreHistogramPlot::countedImages() const {
    return int(sumOf(qobject_cast<QCPBars*>(plot_->plottable(0))));
}

int ScoreHistogramPlot::countedKept() const {
    return int(sumOf(qobject_cast<QCPBars*>(plot_->plottable(1))));
}

bool ScoreHistogramPlot::cutShown() const {
    return cut_->visible();
}

bool ScoreHistogramPlot::windowShown() const {
    return window_->visible();
}

} // namespace freesel
