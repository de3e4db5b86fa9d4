// SPDX-License-Identifier: GPL-3.0-or-later
#include "plots/comparison_plot.h"

#include "plots/plot_style.h"
#include "plots/qcustomplot_include.h"

#include <QVBoxLayout>

namespace freesel {

namespace {

// The report's palette (core/compare/line_chart.cpp), so the Studio and index.html agree.
const QColor kColours[] = {QColor(0x1f77b4), QColor(0xff7f0e), QColor(0x2ca02c),
                           QColor(0xd62728), QColor(0x9467bd), QColor(0x8c564b)};

} // namespace

ComparisonPlot::ComparisonPlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
    plot_->setObjectName(QStringLiteral("comparisonPlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->xAxis->setLabel(tr("images selected"));
    plot_->yAxis->setLabel(tr("coverage (lower: better)"));
    plot_->legend->setVisible(true);
    placeLegendBelow(plot_);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
}

void ComparisonPlot::setCurves(const std::vector<CoverageSeries>& curves) {
    plot_->clearGraphs();
    for (size_t s = 0; s < curves.size(); ++s) {
        QCPGraph* graph = plot_->addGraph();
        graph->setName(curves[s].strategy);
        graph->setPen(QPen(kColours[s % std::size(kColours)], 2));
        QVector<double> x, y;
        for (size_t i = 0; i < curves[s].curve.size(); ++i) {
            x.append(double(i + 1));
            y.append(curves[s].curve[i]);
        }
        graph->setData(x, y, true);
    }
    plot_->rescaleAxes();
    plot_->yAxis->setRangeLower(0.0);
    plot_->replot();
}

} // namespace freesel
