// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/random_selection.h"

#include "util/random_stream.h"

#include <numeric>

namespace freesel {

SelectionResult randomSelection(int imageCount, int64_t budget, uint64_t seed) {
    std::vector<int> images(imageCount);
    std::iota(images.begin(), images.end(), 0);
    RandomStream random(seed);
    const int count = static_cast<int>(std::min<int64_t>(budget, imageCount));
    SelectionResult result;
    result.picks.reserve(count);
    for (int i = 0; i < count; ++i) {
        const auto j = i + static_cast<int>(random.uniformIndex(imageCount - i));
        std::swap(images[i], images[j]);
        result.picks.push_back({images[i], std::numeric_limits<double>::quiet_NaN()});
    }
    return result;
}

} // namespace freesel
