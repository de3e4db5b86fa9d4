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

SumTree::SumTree(int64_t leaves) : capacity_(powerOfTwoAtLeast(leaves)), nodes_(2 * capacity_, 0) {}

void SumTree::set(int64_t leaf, uint64_t weight) {
    int64_t node = capacity_ + leaf;
    nodes_[node] = weight;
    for (node /= 2; node >= 1; node /= 2)
        nodes_[node] = nodes_[2 * node] + nodes_[2 * node + 1];
}

int64_t SumTree::findByMass(uint64_t target) const {
    int64_t node = 1;
    while (node < capacity_) {
        const int64_t left = 2 * node;
        if (target < nodes_[left]) {
            node = left;
        } else {
            target -= nodes_[left];
            node = left + 1;
        }
    }
    return node - capacity_;
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
