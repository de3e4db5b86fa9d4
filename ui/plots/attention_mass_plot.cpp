// SPDX-License-Identifier: GPL-3.0-or-later
#include "plots/attention_mass_plot.h"

#include "plots/plot_style.h"
#include "plots/qcustomplot_include.h"

#include <QVBoxLayout>

namespace freesel {

AttentionMassPlot::AttentionMassPlot(QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)) {
    plot_->setObjectName(QStringLiteral("attentionMassPlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->addGraph();
    plot_->graph(0)->setPen(QPen(QColor(87, 16, 110), 2.5));
    plot_->graph(0)->setName(tr("attention mass of the k most attended patches"));
    plot_->addGraph();
    plot_->graph(1)->setPen(QPen(QColor(200, 40, 40), 2, Qt::DashLine));
    plot_->graph(1)->setName(tr("tau"));
    plot_->addGraph();
    plot_->graph(2)->setPen(QPen(QColor(40, 140, 60), 2, Qt::DotLine));
    plot_->graph(2)->setName(tr("patches kept"));
    plot_->xAxis->setLabel(tr("patches, most attended first"));
    plot_->yAxis->setLabel(tr("cumulative attention"));
    plot_->yAxis->setRange(0, 1.02);
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    plot_->xAxis->setTicker(ticker);
    plot_->legend->setVisible(true);
    placeLegendBelow(plot_);
}

void AttentionMassPlot::setCurve(const std::vector<double>& mass, double tau, int kept) {
    QVector<double> x, y;
    for (size_t i = 0; i < mass.size(); ++i) {
        x.append(double(i + 1));
        y.append(mass[i]);
    }
    plot_->graph(0)->setData(x, y, true);
    const double n = std::max<double>(1.0, double(mass.size()));
    plot_->graph(1)->setData(QVector<double>{0.0, n}, QVector<double>{tau, tau}, true);
    plot_->graph(2)->setData(QVector<double>{double(kept), double(kept)}, QVector<double>{0.0, 1.0},
                             true);
    plot_->graph(1)->setName(tr("tau = %1").arg(tau, 0, 'f', 2));
    plot_->graph(2)->setName(tr("%1 patches kept").arg(kept));
    plot_->xAxis->setRange(0, n);
    plot_->replot();
}

} // namespace freesel
