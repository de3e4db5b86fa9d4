// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/pattern_pool.h"

namespace freesel {

void PatternPool::reserve(int64_t images, int64_t patterns) {
    imageStart_.reserve(images + 1);
    owner_.reserve(patterns);
    data_.reserve(patterns * dims_);
}

void PatternPool::addImage(const float* patterns, int count) {
    const int image = imageCount();
    data_.insert(data_.end(), patterns, patterns + static_cast<int64_t>(count) * dims_);
    owner_.insert(owner_.end(), count, image);
    imageStart_.push_back(imageStart_.back() + count);
}

int64_t PatternPool::memoryBytes() const {
    return static_cast<int64_t>(data_.capacity() * sizeof(float) + owner_.capacity() * sizeof(int) +
                                imageStart_.capacity() * sizeof(int64_t));
}

} // namespace freesel
