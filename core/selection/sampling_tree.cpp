// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/sampling_tree.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace freesel {

namespace {
int64_t powerOfTwoAtLeast(int64_t n) {
    int64_t capacity = 1;
    while (capacity < n)
        capacity *= 2;
    return capacity;
}
} // namespace

FixedPointScale FixedPointScale::forBound(double maxValue, int64_t count) {
    FixedPointScale fixed;
    const double limit = std::ldexp(1.0, 62) / static_cast<double>(std::max<int64_t>(count, 1));
    fixed.cap_ = static_cast<uint64_t>(limit);
    // The largest power of two with maxValue * scale <= limit: every value fits the cap.
    const int exponent = maxValue > 0.0 ? std::ilogb(limit / maxValue) : 0;
    fixed.scale_ = std::ldexp(1.0, std::clamp(exponent, -900, 900));
    return fixed;
}

uint64_t FixedPointScale::quantise(double value) const {
    // value * scale is exact (a power of two); nearbyint rounds half to even, the same on
    // every machine. Values above the bound (only float rounding can get there) are capped.
    const double units = std::nearbyint(value * scale_);
    if (!(units > 0.0))
        return 0;
    return units >= static_cast<double>(cap_) ? cap_ : static_cast<uint64_t>(units);
}

SumTree::SumTree(int64_t leaves) {
    const auto padded = [](int64_t n) { return std::max<int64_t>(kFanout, (n + 7) / 8 * 8); };
    levels_.emplace_back(size_t(padded(leaves)), 0);
    while (levels_.back().size() > size_t(kFanout))
        levels_.emplace_back(size_t(padded(int64_t(levels_.back().size()) / kFanout)), 0);
    while (levels_[size_t(splitLevel_)].size() > kMaxSplitNodes)
        ++splitLevel_;
}

void SumTree::setBelowSplit(int64_t leaf, uint64_t weight) {
    uint64_t& slot = levels_[0][size_t(leaf)];
    const uint64_t delta = weight - slot; // modular, as in set()
    slot = weight;
    for (int k = 1; k <= splitLevel_; ++k) { // another thread may add to the same sum
        leaf /= kFanout;
        __atomic_fetch_add(&levels_[size_t(k)][size_t(leaf)], delta, __ATOMIC_RELAXED);
    }
}

void SumTree::refreshAboveSplit() {
    for (size_t k = size_t(splitLevel_) + 1; k < levels_.size(); ++k) {
        const Level& children = levels_[k - 1];
        Level& sums = levels_[k];
        for (size_t node = 0; node < children.size() / kFanout; ++node) {
            uint64_t sum = 0;
            for (int child = 0; child < kFanout; ++child)
                sum += children[node * kFanout + size_t(child)];
            sums[node] = sum;
        }
    }
    total_ = 0;
    for (uint64_t sum : levels_.back())
        total_ += sum;
}

void SumTree::set(int64_t leaf, uint64_t weight) {
    // Sums move by the difference, in modular arithmetic: exact, since no true sum reaches
    // 2^64 (FixedPointScale keeps them below 2^62).
    uint64_t& slot = levels_[0][size_t(leaf)];
    const uint64_t delta = weight - slot;
    slot = weight;
    for (size_t k = 1; k < levels_.size(); ++k) {
        leaf /= kFanout;
        levels_[k][size_t(leaf)] += delta;
    }
    total_ += delta;
}

int64_t SumTree::findByMass(uint64_t target) const {
    int64_t node = 0; // the top level's eight entries are the children of one root
    for (size_t k = levels_.size(); k-- > 0;) {
        const uint64_t* sums = &levels_[k][size_t(node) * kFanout];
        int child = 0;
        while (child < kFanout - 1 && target >= sums[child])
            target -= sums[child++];
        node = node * kFanout + child;
    }
    return node;
}

int64_t SumTree::memoryBytes() const {
    int64_t bytes = 0;
    for (const Level& level : levels_)
        bytes += static_cast<int64_t>(level.size() * sizeof(uint64_t));
    return bytes;
}

MaxTree::MaxTree(int64_t leaves)
    : capacity_(powerOfTwoAtLeast(leaves)),
      values_(leaves, -std::numeric_limits<float>::infinity()), nodes_(2 * capacity_, -1) {
    for (int64_t leaf = 0; leaf < leaves; ++leaf)
        nodes_[capacity_ + leaf] = leaf;
    for (int64_t node = capacity_ - 1; node >= 1; --node)
        nodes_[node] = better(nodes_[2 * node], nodes_[2 * node + 1]);
}

int64_t MaxTree::better(int64_t a, int64_t b) const {
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return values_[b] > values_[a] ? b : a; // a is the lower leaf: ties stay with it
}

void MaxTree::set(int64_t leaf, float value) {
    values_[leaf] = value;
    for (int64_t node = (capacity_ + leaf) / 2; node >= 1; node /= 2)
        nodes_[node] = better(nodes_[2 * node], nodes_[2 * node + 1]);
}

} // namespace freesel
