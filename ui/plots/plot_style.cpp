// SPDX-License-Identifier: GPL-3.0-or-later
#include "plots/plot_style.h"

#include "plots/qcustomplot_include.h"

#include <QPalette>

namespace freesel {

void placeLegendBelow(QCustomPlot* plot) {
    auto* legendRow = new QCPLayoutGrid;
    plot->plotLayout()->addElement(1, 0, legendRow);
    plot->axisRect()->insetLayout()->take(plot->legend);
    legendRow->addElement(0, 0, plot->legend);
    legendRow->setMargins(QMargins(0, 0, 0, 4));
    plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    plot->legend->setWrap(3);
    plot->plotLayout()->setRowStretchFactor(1, 0.001); // as tall as the legend needs
    plot->plotLayout()->setRowSpacing(0);
}

void applyPlotPalette(QCustomPlot* plot, const QPalette& palette) {
    const QColor background = palette.color(QPalette::Base);
    const QColor text = palette.color(QPalette::WindowText);
    const QColor grid = palette.color(QPalette::Mid);
    plot->setBackground(background);
    plot->axisRect()->setBackground(background);
    for (QCPAxis* axis : plot->axisRect()->axes()) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(grid, 0, Qt::DotLine));
    }
    plot->legend->setBrush(background);
    plot->legend->setTextColor(text);
    plot->legend->setBorderPen(QPen(grid));
    plot->replot();
}

} // namespace freesel
