// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Near-duplicates of the pool for the grid's filter: core's findNearDuplicates() on the
// session's [CLS] features, in pool indices. Runs on the worker's thread (the session's).

#include <QMetaType>
#include <QString>

#include <vector>

namespace freesel {

class PipelineSession;

struct PoolDuplicates {
    double threshold = 0.95;
    std::vector<std::vector<int>> groups; ///< pool indices, ascending, two or more each
    std::vector<int> keep;                ///< per group: the pool index kept (largest file)
    QString error;                        ///< no run yet, or a bad threshold
};

PoolDuplicates findPoolDuplicates(const PipelineSession& session, double threshold);

} // namespace freesel

Q_DECLARE_METATYPE(freesel::PoolDuplicates)
