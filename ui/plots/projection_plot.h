// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "patterns/pca_projection.h"

#include <QWidget>

#include <vector>

class QCustomPlot;
class QMouseEvent;

namespace freesel {

/// The semantic patterns of the pool in 2-D (PCA), patterns of selected images against the
/// rest; the current image's patterns ringed. Clicking a point opens its image.
class ProjectionPlot : public QWidget {
    Q_OBJECT
public:
    explicit ProjectionPlot(QWidget* parent = nullptr);
    /// `selected`: per pool image, whether it is selected.
    void setProjection(const PatternProjection& projection, const std::vector<char>& selected);
    void setCurrentImage(int poolIndex);
    QCustomPlot* plot() const { return plot_; }
    /// The pool image of the point nearest to pixel `position` (within 10 px), or -1.
    int imageAt(const QPoint& position) const;

Q_SIGNALS:
    void imageClicked(int poolIndex);

private:
    void onMousePress(QMouseEvent* event);
    QCustomPlot* plot_;
    PatternProjection projection_;
};

} // namespace freesel
