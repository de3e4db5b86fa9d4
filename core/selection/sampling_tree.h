// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace freesel {

/// A complete binary tree of partial sums over non-negative weights: O(log n) update and
/// O(log n) draw of a leaf with probability weight / total. Internal nodes are recomputed from
/// their children on every update, so the total never drifts as repeated += would.
class SumTree {
public:
    explicit SumTree(int64_t leaves = 0);
    void set(int64_t leaf, double weight);
    double weight(int64_t leaf) const { return nodes_[capacity_ + leaf]; }
    double total() const { return nodes_[1]; }
    /// The first leaf at which the running sum of weights (in leaf order) exceeds `target`,
    /// for 0 <= target < total(); never returns a zero-weight leaf.
    int64_t findByMass(double target) const;
    int64_t memoryBytes() const { return static_cast<int64_t>(nodes_.size() * sizeof(double)); }

private:
    int64_t capacity_ = 1;
    std::vector<double> nodes_;
};

/// A complete binary tree of maxima: O(log n) update, O(1) argmax. Ties go to the lowest leaf.
class MaxTree {
public:
    explicit MaxTree(int64_t leaves = 0);
    void set(int64_t leaf, float value);
    int64_t argmax() const { return nodes_[1]; }
    float value(int64_t leaf) const { return values_[leaf]; }
    int64_t memoryBytes() const {
        return static_cast<int64_t>(nodes_.size() * sizeof(int64_t) + values_.size() * 4);
    }

private:
    int64_t better(int64_t a, int64_t b) const;
    int64_t capacity_ = 1;
    std::vector<float> values_;
    std::vector<int64_t> nodes_; // leaf index of the maximum below each node, -1 when empty
};

} // namespace freesel
