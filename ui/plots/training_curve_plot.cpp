// SPDX-License-Identifier: GPL-3.0-or-later
#include "plots/training_curve_plot.h"

#include "plots/qcustomplot_include.h"
#include "pool/pool_delegate.h"

#include <QVBoxLayout>

#include <algorithm>

namespace freesel {

TrainingCurvePlot::TrainingCurvePlot(QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)) {
    plot_->setObjectName(QStringLiteral("trainingCurvePlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, tr("Proxy training")));
    plot_->addGraph(plot_->xAxis, plot_->yAxis);
    plot_->addGraph(plot_->xAxis, plot_->yAxis2);
    plot_->graph(0)->setPen(QPen(QColor(40, 90, 170), 2));
    plot_->graph(0)->setName(tr("loss"));
    plot_->graph(1)->setPen(QPen(PoolDelegate::selectedColour(), 2));
    plot_->graph(1)->setName(tr("pseudo-label accuracy"));
    plot_->xAxis->setLabel(tr("epoch"));
    plot_->yAxis->setLabel(tr("cross-entropy"));
    plot_->yAxis2->setVisible(true);
    plot_->yAxis2->setLabel(tr("accuracy"));
    plot_->yAxis2->setRange(0.0, 1.0);
    plot_->legend->setVisible(true);
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignVCenter | Qt::AlignRight);
}

void TrainingCurvePlot::clear() {
    plot_->graph(0)->data()->clear();
    plot_->graph(1)->data()->clear();
    plot_->replot();
}

int TrainingCurvePlot::epochCount() const {
    return plot_->graph(0)->dataCount();
}

void TrainingCurvePlot::addEpoch(int epoch, int epochs, double loss, double accuracy) {
    if (epoch <= 1)
        clear();
    plot_->graph(0)->addData(epoch, loss);
    plot_->graph(1)->addData(epoch, accuracy);
    plot_->xAxis->setRange(0.5, std::max(epochs, epoch) + 0.5);
    bool found = false;
    const QCPRange losses = plot_->graph(0)->data()->valueRange(found);
    if (found)
        plot_->yAxis->setRange(0.0, losses.upper * 1.05 + 1e-9);
    plot_->replot(QCustomPlot::rpQueuedReplot); // many epochs a second: at most one per frame
}

} // namespace freesel
