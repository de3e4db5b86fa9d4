// SPDX-License-Identifier: GPL-3.0-or-later
#include "plots/projection_plot.h"

#include "plots/plot_style.h"
#include "plots/qcustomplot_include.h"
#include "pool/pool_delegate.h"

#include <QVBoxLayout>

#include <limits>

namespace freesel {

namespace {

QCPCurve* scatter(QCustomPlot* plot, const QColor& colour, double size, const QString& name) {
    auto* curve = new QCPCurve(plot->xAxis, plot->yAxis);
    curve->setLineStyle(QCPCurve::lsNone);
    curve->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colour, colour, size));
    curve->setName(name);
    return curve;
}

} // namespace

ProjectionPlot::ProjectionPlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
    plot_->setObjectName(QStringLiteral("projectionPlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    scatter(plot_, QColor(120, 150, 190, 150), 5, tr("patterns of unselected images"));
    scatter(plot_, PoolDelegate::selectedColour(), 7, tr("patterns of selected images"));
    // Magenta, not black: the ring stays visible on the dark theme's background too.
    const QColor ring(220, 30, 150);
    auto* current = scatter(plot_, ring, 12, tr("current image"));
    current->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(ring, 2.5), Qt::NoBrush, 13));
    plot_->legend->setVisible(true);
    placeLegendBelow(plot_);
    plot_->xAxis->setLabel(tr("principal axis 1"));
    plot_->yAxis->setLabel(tr("principal axis 2"));
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setToolTip(tr("Click a point to open its image"));
    connect(plot_, &QCustomPlot::mousePress, this, &ProjectionPlot::onMousePress);
}

void ProjectionPlot::setProjection(const PatternProjection& projection,
                                   const std::vector<char>& selected) {
    projection_ = projection;
    QVector<double> xs[2], ys[2];
    for (size_t i = 0; i < projection.x.size(); ++i) {
        const int image = projection.image[i];
        const int set = image >= 0 && image < static_cast<int>(selected.size()) &&
                                selected[static_cast<size_t>(image)]
                            ? 1
                            : 0;
        xs[set].append(projection.x[i]);
        ys[set].append(projection.y[i]);
    }
    for (int set = 0; set < 2; ++set)
        static_cast<QCPCurve*>(plot_->plottable(set))->setData(xs[set], ys[set]);
    plot_->xAxis->setLabel(
        tr("principal axis 1 (%1% of variance)").arg(projection.explained[0] * 100, 0, 'f', 1));
    plot_->yAxis->setLabel(
        tr("principal axis 2 (%1% of variance)").arg(projection.explained[1] * 100, 0, 'f', 1));
    plot_->rescaleAxes();
    plot_->xAxis->scaleRange(1.08);
    plot_->yAxis->scaleRange(1.08);
    plot_->replot();
}

void ProjectionPlot::setCurrentImage(int poolIndex) {
    QVector<double> x, y;
    for (size_t i = 0; i < projection_.x.size(); ++i)
        if (projection_.image[i] == poolIndex) {
            x.append(projection_.x[i]);
            y.append(projection_.y[i]);
        }
    static_cast<QCPCurve*>(plot_->plottable(2))->setData(x, y);
    plot_->replot();
}

int ProjectionPlot::imageAt(const QPoint& position) const {
    double best = 100.0; // squared pixels
    int image = -1;
    for (size_t i = 0; i < projection_.x.size(); ++i) {
        const double dx = plot_->xAxis->coordToPixel(projection_.x[i]) - position.x();
        const double dy = plot_->yAxis->coordToPixel(projection_.y[i]) - position.y();
        if (dx * dx + dy * dy < best) {
            best = dx * dx + dy * dy;
            image = projection_.image[i];
        }
    }
    return image;
}

void ProjectionPlot::onMousePress(QMouseEvent* event) {
    const int image = imageAt(event->pos());
    if (image >= 0)
        Q_EMIT imageClicked(image);
}

} // namespace freesel
