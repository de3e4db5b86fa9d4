// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

#include <vector>

class QCustomPlot;

namespace freesel {

/// How many images each ELFS pseudo-label cluster holds: one bar per cluster, in the colour
/// its thumbnails carry (clusterColour).
class ClusterSizesPlot : public QWidget {
    Q_OBJECT
public:
    explicit ClusterSizesPlot(QWidget* parent = nullptr);
    /// `labels`: one pseudo-label per image (K = max + 1); empty clears the plot.
    void setLabels(const std::vector<int>& labels);
    const std::vector<int>& sizes() const { return sizes_; }
    QCustomPlot* plot() const { return plot_; }

private:
    QCustomPlot* plot_;
    std::vector<int> sizes_;
};

} // namespace freesel
