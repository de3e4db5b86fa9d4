// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

#include <vector>

class QCustomPlot;

namespace freesel {

/// Coverage curve: mean min cosine distance from every pool pattern to the selected set vs
/// the number of images selected, for this selection and for a random one (lower is better).
class CoveragePlot : public QWidget {
    Q_OBJECT
public:
    explicit CoveragePlot(QWidget* parent = nullptr);
    void setCurves(const std::vector<double>& selection, const std::vector<double>& random,
                   const QString& strategy);
    QCustomPlot* plot() const { return plot_; }
    int pointCount() const;

private:
    QCustomPlot* plot_;
};

} // namespace freesel
