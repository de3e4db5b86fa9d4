// SPDX-License-Identifier: GPL-3.0-or-later
#include "worker/pool_duplicates.h"

#include "pipeline_session.h"
#include "selection/near_duplicates.h"

#include <QCoreApplication>

#include <stdexcept>

namespace freesel {

PoolDuplicates findPoolDuplicates(const PipelineSession& session, double threshold) {
    PoolDuplicates out;
    out.threshold = threshold;
    if (!session.hasSelection() || !session.pool()) {
        out.error = QCoreApplication::translate("PoolDuplicates",
                                                "Near-duplicates: run a selection first (they "
                                                "come from the stored features)");
        return out;
    }
    const PoolPatterns& patterns = session.patterns();
    const std::vector<PoolEntry>& pool = *session.pool();
    std::vector<double> sizes; // the largest file of a group is kept, as freesel duplicates
    for (int i : patterns.poolIndex)
        sizes.push_back(double(pool[static_cast<size_t>(i)].size));
    try {
        for (const DuplicateGroup& group : findNearDuplicates(patterns.global, threshold, sizes)) {
            std::vector<int> members;
            for (int member : group.members)
                members.push_back(patterns.poolIndex[static_cast<size_t>(member)]);
            out.groups.push_back(members);
            out.keep.push_back(patterns.poolIndex[static_cast<size_t>(group.keep)]);
        }
    } catch (const std::exception& error) {
        out.error = QString::fromUtf8(error.what());
    }
    return out;
}

} // namespace freesel
