// SPDX-License-Identifier: GPL-3.0-or-later
#include "distributed/contiguous_share.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace freesel {

ContiguousShare contiguousShare(int64_t total, int shares, int share) {
    if (shares < 1 || share < 0 || share >= shares || total < 0)
        throw std::invalid_argument("share " + std::to_string(share) + " of " +
                                    std::to_string(shares) + " shares of " + std::to_string(total) +
                                    " items: needs shares >= 1, 0 <= share < shares, items >= 0");
    const int64_t base = total / shares, extra = total % shares;
    return {share * base + std::min<int64_t>(share, extra), base + (share < extra ? 1 : 0)};
}

} // namespace freesel
