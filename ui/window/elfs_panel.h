// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "plots/score_histogram_plot.h"
#include "worker/pipeline_worker.h"

#include <QWidget>

class QLabel;

namespace freesel {

class ClusterSizesPlot;
class TrainingCurvePlot;

/// What the ELFS strategy found (docs/GUI.md, "ELFS"): the pseudo-label clusters' sizes, the
/// histogram of the ranking score with the beta cut and the kept window, and the proxy's
/// training curves, which grow live while the proxy trains.
class ElfsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ElfsPanel(QWidget* parent = nullptr);
    /// Shows a finished run (clears the plots when it is not an elfs run).
    void showOutcome(const RunOutcome& outcome);

    ClusterSizesPlot* clusterSizes() const { return sizes_; }
    ScoreHistogramPlot* histogram() const { return histogram_; }
    TrainingCurvePlot* curves() const { return curves_; }
    /// Epochs the curves received live (from trainingEpoch) since the last run started.
    int liveEpochs() const { return liveEpochs_; }

public Q_SLOTS:
    /// PipelineWorker::notice: shown above the plots until the run ends (the estimate).
    void showNotice(const QString& line);
    /// PipelineWorker::trainingEpoch: the proxy's epochs extend the curves.
    void onTrainingEpoch(const QString& stage, int epoch, int epochs, double loss, double accuracy);

private:
    ClusterSizesPlot* sizes_;
    ScoreHistogramPlot* histogram_;
    TrainingCurvePlot* curves_;
    QLabel* summary_;
    int liveEpochs_ = 0;
};

/// The histogram of an elfs run: the chosen score, the kept images, the cut between the
/// dropped m hardest and the rest, and (window mode) the score range of order[m, m + c).
ScoreHistogram elfsHistogram(const ElfsResult& elfs, const RunParameters& parameters);

} // namespace freesel
