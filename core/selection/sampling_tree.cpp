// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/sampling_tree.h"

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

SumTree::SumTree(int64_t leaves)
    : capacity_(powerOfTwoAtLeast(leaves)), nodes_(2 * capacity_, 0.0) {}

void SumTree::set(int64_t leaf, double weight) {
    int64_t node = capacity_ + leaf;
    nodes_[node] = weight;
    for (node /= 2; node >= 1; node /= 2)
        nodes_[node] = nodes_[2 * node] + nodes_[2 * node + 1];
}

int64_t SumTree::findByMass(double target) const {
    int64_t node = 1;
    while (node < capacity_) {
        const int64_t left = 2 * node;
        // Rounding can leave target a hair above a subtree's sum: never walk into an empty one.
        if ((target < nodes_[left] && nodes_[left] > 0.0) || nodes_[left + 1] <= 0.0) {
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
