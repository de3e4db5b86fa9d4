// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// "Why was this picked" for the image view: core's explainPick() on the session's last
// selection, in pool indices, and its wording. Runs on the worker's thread (the session's).

#include <QMetaType>
#include <QString>

#include <functional>
#include <limits>

namespace freesel {

class PipelineSession;

struct WhyPicked {
    static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
    int poolIndex = -1;
    int rank = 0; ///< 0: not selected
    QString strategy;
    bool explained = false; ///< a distance-sampling strategy: the fields below are filled
    bool uniform = false;   ///< the first pick, drawn uniformly
    bool byHand = false;    ///< included by hand (RunParameters::includedImages), not drawn
    double score = kNone;   ///< the recorded score (D when drawn for FreeSel / FDS / k-center)
    int patternCount = 0;
    int farthestPattern = -1; ///< 0-based pattern of the image, as the legend numbers it minus 1
    double farthestDistance = kNone;
    int nearestPoolIndex = -1; ///< the closest image selected before it
    int nearestRank = 0;       ///< its rank (0: an image marked as labelled)
    double nearestDistance = kNone;
    QString error;
};

/// Explains the pool image `poolIndex` of the session's last selection; a `rank` of 0 when it
/// was not selected, `error` when the session holds no selection.
WhyPicked explainPoolImage(const PipelineSession& session, int poolIndex);

/// The explanation as rich text for the image view; `nameOf` gives a pool image's file name.
QString describeWhyPicked(const WhyPicked& why, const std::function<QString(int)>& nameOf);

/// The score column's meaning for a strategy (grid tooltips, the legend of the view).
QString scoreMeaning(const QString& strategy);

} // namespace freesel

Q_DECLARE_METATYPE(freesel::WhyPicked)
