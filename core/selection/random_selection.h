// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "selection/selection.h"

namespace freesel {

/// `budget` images drawn uniformly without replacement (partial Fisher-Yates), in draw order.
SelectionResult randomSelection(int imageCount, int64_t budget, uint64_t seed);

} // namespace freesel
