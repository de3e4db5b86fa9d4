// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/elfs_panel.h"

#include "elfs/coreset_window.h"
#include "plots/cluster_sizes_plot.h"
#include "plots/training_curve_plot.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace freesel {

ScoreHistogram elfsHistogram(const ElfsResult& elfs, const RunParameters& parameters) {
    ScoreHistogram h;
    const ElfsScore kind = parseElfsScore(parameters.elfsScore.toStdString());
    const DynamicsScores& s = elfs.scores;
    h.all = kind == ElfsScore::Aum ? s.aum : kind == ElfsScore::Forgetting ? s.forgetting : s.el2n;
    h.score = kind == ElfsScore::Aum          ? QStringLiteral("AUM")
              : kind == ElfsScore::Forgetting ? QStringLiteral("forgetting")
                                              : QStringLiteral("EL2N");
    for (int image : elfs.selection.images)
        h.kept.push_back(h.all[size_t(image)]);
    const std::vector<int> order = hardnessOrder(h.all, kind);
    const size_t m = size_t(elfs.selection.dropped);
    if (order.empty() || m >= order.size())
        return h;
    if (m > 0) // between the last dropped and the first kept: the cut the reader sees
        h.cut = 0.5 * (h.all[size_t(order[m - 1])] + h.all[size_t(order[m])]);
    if (parameters.elfsMode == QLatin1String("window") && !elfs.selection.images.empty()) {
        h.windowLow = h.all[size_t(order[m])];
        h.windowHigh = h.all[size_t(order[std::min(order.size(), m + h.kept.size()) - 1])];
    }
    return h;
}

ElfsPanel::ElfsPanel(QWidget* parent)
    : QWidget(parent), sizes_(new ClusterSizesPlot(this)), histogram_(new ScoreHistogramPlot(this)),
      curves_(new TrainingCurvePlot(this)), summary_(new QLabel(this)) {
    setObjectName(QStringLiteral("elfsPanel"));
    summary_->setWordWrap(true);
    summary_->setText(tr("Run the elfs strategy to see its pseudo-labels, scores and proxy."));
    auto* plots = new QHBoxLayout;
    plots->addWidget(sizes_, 2);
    plots->addWidget(histogram_, 3);
    plots->addWidget(curves_, 3);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(plots, 1);
    layout->addWidget(summary_);
}

void ElfsPanel::onTrainingEpoch(const QString& stage, int epoch, int epochs, double loss,
                                double accuracy) {
    if (stage != QLatin1String("elfs-proxy"))
        return;
    liveEpochs_ = epoch <= 1 ? 1 : liveEpochs_ + 1;
    curves_->addEpoch(epoch, epochs, loss, accuracy);
}

void ElfsPanel::showNotice(const QString& line) {
    summary_->setText(line);
}

void ElfsPanel::showOutcome(const RunOutcome& outcome) {
    const ElfsResult& elfs = outcome.elfs;
    const bool isElfs = !elfs.scores.aum.empty();
    sizes_->setLabels(isElfs ? elfs.pseudoLabels : std::vector<int>{});
    histogram_->setHistogram(isElfs ? elfsHistogram(elfs, outcome.parameters) : ScoreHistogram{});
    if (!isElfs) {
        curves_->clear();
        summary_->setText(tr("Run the elfs strategy to see its pseudo-labels, scores and proxy."));
        return;
    }
    // The whole curve of the run (a re-run from the cache trains nothing live).
    for (const ProxyEpoch& e : elfs.curve)
        curves_->addEpoch(e.epoch, e.epochs, e.loss, e.accuracy);
    QStringList lines;
    lines << tr("%1 clusters: sizes %2").arg(sizes_->sizes().size()).arg([&] {
        QStringList sizes;
        for (int n : sizes_->sizes())
            sizes << QString::number(n);
        return sizes.join(QStringLiteral(", "));
    }());
    for (const std::string& note : elfs.notes)
        lines << QString::fromStdString(note);
    summary_->setText(lines.join(QLatin1Char('\n')));
}

} // namespace freesel
