// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

#include <limits>

#include <vector>

class QCustomPlot;
class QCPItemRect;
class QCPItemStraightLine;

namespace freesel {

/// What the ELFS histogram shows: every image's score, the kept images' scores, the beta cut
/// (the hardest beta N images lie beyond it) and the double-end window [windowLow, windowHigh].
struct ScoreHistogram {
    QString score = QStringLiteral("AUM");
    std::vector<double> all;
    std::vector<double> kept;
    double cut = std::numeric_limits<double>::quiet_NaN();       ///< NaN: beta 0, nothing dropped
    double windowLow = std::numeric_limits<double>::quiet_NaN(); ///< NaN: no window (CCS mode)
    double windowHigh = std::numeric_limits<double>::quiet_NaN();
};

/// A histogram (40 bins) of the ELFS score of the pool, the kept images in the selection colour
/// over it, the beta cut as a dashed line and the kept window shaded.
class ScoreHistogramPlot : public QWidget {
    Q_OBJECT
public:
    explicit ScoreHistogramPlot(QWidget* parent = nullptr);
    void setHistogram(const ScoreHistogram& histogram);
    /// Images counted in the bars (all, kept): what the plot holds, for tests.
    int countedImages() const;
    int countedKept() const;
    bool cutShown() const;
    bool windowShown() const;
    QCustomPlot* plot() const { return plot_; }

private:
    QCustomPlot* plot_;
    QCPItemStraightLine* cut_;
    QCPItemRect* window_;
};

} // namespace freesel
