// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QCustomPlot;

namespace freesel {

/// The ELFS proxy's training curves, one point per epoch: mean cross-entropy (left axis) and
/// the fraction of training forward passes agreeing with the pseudo-label (right axis, 0-1).
/// Fed live while the proxy trains, or whole from a finished run.
class TrainingCurvePlot : public QWidget {
    Q_OBJECT
public:
    explicit TrainingCurvePlot(QWidget* parent = nullptr);
    void clear();
    /// Appends epoch `epoch` (1-based) of `epochs`; epoch 1 starts a new curve.
    void addEpoch(int epoch, int epochs, double loss, double accuracy);
    int epochCount() const;
    QCustomPlot* plot() const { return plot_; }

private:
    QCustomPlot* plot_;
};

} // namespace freesel
