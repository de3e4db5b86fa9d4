// SPDX-License-Identifier: GPL-3.0-or-later
#include "plots/cluster_sizes_plot.h"

#include "plots/cluster_palette.h"
#include "plots/qcustomplot_include.h"

#include <QVBoxLayout>

#include <algorithm>

namespace freesel {

ClusterSizesPlot::ClusterSizesPlot(QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)) {
    plot_->setObjectName(QStringLiteral("clusterSizesPlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->xAxis->setLabel(tr("pseudo-label cluster"));
    plot_->yAxis->setLabel(tr("images"));
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, tr("Pseudo-label clusters")));
}

void ClusterSizesPlot::setLabels(const std::vector<int>& labels) {
    plot_->clearPlottables();
    sizes_.clear();
    if (!labels.empty())
        sizes_.assign(size_t(*std::max_element(labels.begin(), labels.end()) + 1), 0);
    for (int label : labels)
        if (label >= 0)
            ++sizes_[size_t(label)];
    // One QCPBars per cluster: QCustomPlot colours a whole bar set alike.
    for (size_t k = 0; k < sizes_.size(); ++k) {
        auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        bars->setWidth(0.8);
        bars->setPen(Qt::NoPen);
        bars->setBrush(clusterColour(int(k)));
        bars->addData(double(k), double(sizes_[k]));
    }
    plot_->xAxis->setRange(-0.6, std::max<double>(1.0, double(sizes_.size())) - 0.4);
    const int largest = sizes_.empty() ? 1 : *std::max_element(sizes_.begin(), sizes_.end());
    plot_->yAxis->setRange(0.0, largest * 1.1 + 0.5);
    plot_->replot();
}

} // namespace freesel
