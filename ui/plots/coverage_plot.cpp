// SPDX-License-Identifier: GPL-3.0-or-later
#include "plots/coverage_plot.h"

#include "plots/plot_style.h"
#include "plots/qcustomplot_include.h"
#include "pool/pool_delegate.h"

#include <QVBoxLayout>

namespace freesel {

CoveragePlot::CoveragePlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
    plot_->setObjectName(QStringLiteral("coveragePlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->addGraph();
    plot_->addGraph();
    plot_->graph(0)->setPen(QPen(PoolDelegate::selectedColour(), 2.5));
    plot_->graph(1)->setPen(QPen(QColor(110, 110, 120), 2, Qt::DashLine));
    plot_->graph(1)->setName(tr("random selection"));
    plot_->xAxis->setLabel(tr("images selected"));
    // Short enough not to be cut in a small window; the tooltip says it in full.
    plot_->yAxis->setLabel(tr("mean distance"));
    plot_->setToolTip(tr("Coverage: the mean distance from every pool pattern to the nearest "
                         "selected one, after each pick (lower = the pool is better covered); "
                         "the dashed line is a seeded random selection"));
    plot_->legend->setVisible(true);
    placeLegendBelow(plot_);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples); // whole images only
    plot_->xAxis->setTicker(ticker);
    setCurves({}, {}, QStringLiteral("freesel"));
}

int CoveragePlot::pointCount() const {
    return plot_->graph(0)->dataCount();
}

void CoveragePlot::setCurves(const std::vector<double>& selection,
                             const std::vector<double>& random, const QString& strategy) {
    auto fill = [](QCPGraph* graph, const std::vector<double>& values) {
        QVector<double> x, y;
        for (size_t i = 0; i < values.size(); ++i) {
            x.append(double(i + 1));
            y.append(values[i]);
        }
        graph->setData(x, y, true);
    };
    fill(plot_->graph(0), selection);
    fill(plot_->graph(1), random);
    plot_->graph(0)->setName(tr("%1 selection (lower = patterns better covered)").arg(strategy));
    // A random strategy's own curve is the random one: one legend entry, not two.
    const bool randomStrategy = strategy == QLatin1String("random");
    plot_->graph(1)->setVisible(!randomStrategy);
    if (randomStrategy)
        plot_->graph(1)->removeFromLegend();
    else
        plot_->graph(1)->addToLegend();
    plot_->rescaleAxes(true);
    if (!selection.empty()) {
        plot_->xAxis->setRange(0.5, selection.size() + 0.5);
        // Head room above the first (highest) point, so it is not drawn on the frame.
        plot_->yAxis->setRange(0.0, plot_->yAxis->range().upper * 1.08);
    }
    plot_->replot();
}

} // namespace freesel
