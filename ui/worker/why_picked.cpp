// SPDX-License-Identifier: GPL-3.0-or-later
#include "worker/why_picked.h"

#include "pipeline_session.h"
#include "selection/pick_explanation.h"

#include <QCoreApplication>
#include <QHash>

#include <cmath>

namespace freesel {

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("WhyPicked", text);
}

bool usesDistanceSampling(const QString& strategy) {
    return strategy == QLatin1String("freesel") || strategy == QLatin1String("fds") ||
           strategy == QLatin1String("kcenter");
}

} // namespace

WhyPicked explainPoolImage(const PipelineSession& session, int poolIndex) {
    WhyPicked why;
    why.poolIndex = poolIndex;
    if (!session.hasSelection()) {
        why.error = tr("run a selection first");
        return why;
    }
    why.strategy = session.parameters().strategy;
    const std::vector<Pick>& picks = session.selection().picks;
    for (size_t r = 0; r < picks.size(); ++r)
        if (picks[r].image == poolIndex) {
            why.rank = static_cast<int>(r) + 1;
            why.score = picks[r].score;
        }
    const QStringList& included = session.parameters().includedImages;
    why.byHand = why.rank > 0 && !included.isEmpty() &&
                 included.contains((*session.pool())[size_t(poolIndex)].path);
    if (why.rank == 0 || why.byHand || !usesDistanceSampling(why.strategy))
        return why;
    const PoolPatterns& patterns = session.patterns();
    QHash<int, int> usableOf; // pool index -> pattern-pool image
    for (size_t k = 0; k < patterns.poolIndex.size(); ++k)
        usableOf.insert(patterns.poolIndex[k], static_cast<int>(k));
    std::vector<int> order;
    for (const Pick& pick : picks)
        order.push_back(usableOf.value(pick.image, -1));
    // Images marked as labelled seed the selected set (continued rounds).
    std::vector<int> seeded;
    const std::vector<PoolEntry>& pool = *session.pool();
    const QStringList& labelled = session.parameters().labeledImages;
    for (size_t i = 0; i < pool.size() && !labelled.isEmpty(); ++i)
        if (labelled.contains(pool[i].path) && usableOf.contains(static_cast<int>(i)))
            seeded.push_back(usableOf.value(static_cast<int>(i)));
    const bool kcenter = why.strategy == QLatin1String("kcenter");
    const PickExplanation e =
        explainPick(kcenter ? patterns.global : patterns.patterns, order, why.rank,
                    kcenter ? DistanceMetric::Euclidean : DistanceMetric::Cosine, seeded);
    why.explained = true;
    why.uniform = e.uniform;
    why.patternCount = static_cast<int>(e.patternDistances.size());
    why.farthestPattern = e.farthestPattern;
    why.farthestDistance = e.farthestDistance;
    why.nearestRank = e.nearestRank;
    why.nearestDistance = e.nearestDistance;
    if (e.nearestImage >= 0)
        why.nearestPoolIndex = patterns.poolIndex[static_cast<size_t>(e.nearestImage)];
    return why;
}

QString scoreMeaning(const QString& strategy) {
    if (strategy == QLatin1String("freesel"))
        return tr("D when drawn: the distance (1 - cosine) of the drawn semantic pattern to the "
                  "nearest pattern of an image already selected; FreeSel draws with probability "
                  "D^2, so large D means new content");
    if (strategy == QLatin1String("fds"))
        return tr("D when taken: the largest distance (1 - cosine) of any pattern to the "
                  "selected set");
    if (strategy == QLatin1String("kcenter"))
        return tr("D when taken: the Euclidean distance of the image's global feature to the "
                  "nearest selected one");
    if (strategy == QLatin1String("kmeans"))
        return tr("distance of the image's global feature to its k-means centre (small: typical)");
    if (strategy == QLatin1String("random"))
        return tr("none: random selection draws uniformly");
    if (strategy == QLatin1String("elfs"))
        return tr("the ELFS difficulty score of the image's pseudo-label training dynamics");
    if (strategy == QLatin1String("clip"))
        return tr("the CLIP selection score (SAS + SDS)");
    return QString();
}

QString describeWhyPicked(const WhyPicked& why, const std::function<QString(int)>& nameOf) {
    if (!why.error.isEmpty() || why.rank == 0)
        return QString();
    QString text = tr("<b>Why picked</b> (rank %1, %2): ").arg(why.rank).arg(why.strategy);
    if (why.byHand)
        return text + tr("included by hand: always selected and counted in the budget; the "
                         "strategy drew the other images around it.");
    if (why.uniform)
        return text + tr("first pick, drawn uniformly (nothing was selected yet, so it has no "
                         "D score).");
    if (!why.explained) {
        const QString meaning = scoreMeaning(why.strategy);
        if (std::isnan(why.score))
            return text + tr("no score (%1).").arg(meaning.toHtmlEscaped());
        return text + tr("score %1 = %2.").arg(why.score, 0, 'g', 4).arg(meaning.toHtmlEscaped());
    }
    text += tr("D = %1 when it was drawn").arg(why.score, 0, 'f', 4);
    if (why.farthestPattern >= 0)
        text += tr("; its pattern %1 of %2 was the farthest from the selected set (D %3)")
                    .arg(why.farthestPattern + 1)
                    .arg(why.patternCount)
                    .arg(why.farthestDistance, 0, 'f', 4);
    if (why.nearestPoolIndex >= 0)
        text += tr("; nearest already-selected image: %1 (%2, distance %3)")
                    .arg(nameOf(why.nearestPoolIndex).toHtmlEscaped(),
                         why.nearestRank > 0 ? tr("rank %1").arg(why.nearestRank) : tr("labelled"))
                    .arg(why.nearestDistance, 0, 'f', 4);
    return text + QLatin1Char('.');
}

} // namespace freesel
