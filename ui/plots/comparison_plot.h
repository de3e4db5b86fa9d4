// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "compare/comparison.h"

#include <QWidget>

class QCustomPlot;

namespace freesel {

/// The pattern-coverage curves of every compared strategy in one plot (first seed, largest
/// budget): after each pick, the mean distance of every pool pattern to the selection.
class ComparisonPlot : public QWidget {
    Q_OBJECT

public:
    explicit ComparisonPlot(QWidget* parent = nullptr);
    void setCurves(const std::vector<CoverageSeries>& curves);
    QCustomPlot* plot() const { return plot_; }

private:
    QCustomPlot* plot_;
};

} // namespace freesel
