// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

#include <vector>

class QCustomPlot;

namespace freesel {

/// The cumulative [CLS] attention mass of the current image along its patches ranked by
/// attention, with the tau line: the patches left of the crossing are the ones kept.
class AttentionMassPlot : public QWidget {
    Q_OBJECT
public:
    explicit AttentionMassPlot(QWidget* parent = nullptr);
    void setCurve(const std::vector<double>& mass, double tau, int kept);
    QCustomPlot* plot() const { return plot_; }

private:
    QCustomPlot* plot_;
};

} // namespace freesel
