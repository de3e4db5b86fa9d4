// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace freesel {

/// Items [first, first + count) of a whole split into `shares` contiguous runs in share order,
/// sizes differing by at most one (the first `total % shares` runs hold one more).
struct ContiguousShare {
    int64_t first = 0;
    int64_t count = 0;
};

/// Share `share` of `total` items over `shares` shares; throws std::invalid_argument when
/// shares < 1, share is outside [0, shares) or total < 0.
ContiguousShare contiguousShare(int64_t total, int shares, int share);

} // namespace freesel
