// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace freesel {

/// Non-negative values (D or D^2) as integer multiples of a power-of-two quantum, so their sums
/// are exact and associative: the same total, and the same draw, however the rows are split
/// into subtrees or MPI ranks. The scale is chosen so `count` values up to `maxValue` sum below
/// 2^62; a value is rounded to the nearest multiple of the quantum (1 / scale).
class FixedPointScale {
public:
    FixedPointScale() = default;
    static FixedPointScale forBound(double maxValue, int64_t count);
    uint64_t quantise(double value) const;
    double value(uint64_t units) const { return static_cast<double>(units) / scale_; }
    double quantum() const { return 1.0 / scale_; }

private:
    double scale_ = 1.0;
    uint64_t cap_ = 0; // one value never exceeds this, so no sum of `count` can overflow
};

/// A complete binary tree of partial sums over non-negative integer weights: O(log n) update
/// and O(log n) draw of a leaf with probability weight / total. Integer sums are exact, so the
/// total and every draw are independent of the tree's shape.
class SumTree {
public:
    explicit SumTree(int64_t leaves = 0);
    void set(int64_t leaf, uint64_t weight);
    uint64_t weight(int64_t leaf) const { return nodes_[capacity_ + leaf]; }
    uint64_t total() const { return nodes_[1]; }
    /// The first leaf at which the running sum of weights (in leaf order) exceeds `target`,
    /// for 0 <= target < total(); never a zero-weight leaf.
    int64_t findByMass(uint64_t target) const;
    int64_t memoryBytes() const { return static_cast<int64_t>(nodes_.size() * sizeof(uint64_t)); }

private:
    int64_t capacity_ = 1;
    std::vector<uint64_t> nodes_;
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
