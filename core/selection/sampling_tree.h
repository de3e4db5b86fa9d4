// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/huge_pages.h"

#include <cstddef>
#include <cstdint>
#include <new>
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

/// Partial sums over non-negative integer weights in a tree of fan-out 8: O(log n) update and
/// O(log n) draw of a leaf with probability weight / total. Integer sums are exact, so the
/// total and every draw are independent of the tree's shape. Eight 64-bit sums fill one cache
/// line, so an update at 5M leaves touches 8 lines instead of the 20 a binary tree misses on
/// (each lowered D of a step updates a leaf scattered over the pool's row order).
class SumTree {
public:
    explicit SumTree(int64_t leaves = 0);
    void set(int64_t leaf, uint64_t weight);
    uint64_t weight(int64_t leaf) const { return levels_[0][size_t(leaf)]; }
    /// Updates from several threads at once: setBelowSplit writes the leaf (a thread must own
    /// its leaves) and adds the change atomically to its sums up to the split level, the
    /// lowest with at most kMaxSplitNodes sums; refreshAboveSplit, once every thread is done,
    /// recomputes the few sums above and the total. Integer sums are exact and their additions
    /// commute: the tree ends as set() would leave it, in any order and on any thread count.
    void setBelowSplit(int64_t leaf, uint64_t weight);
    /// Asks for the cache lines setBelowSplit(leaf, ...) updates (a hint: never faults), so a
    /// run of updates scattered over a large tree waits on memory once, not once per level.
    void prefetchBelowSplit(int64_t leaf) const {
        for (int k = 0; k <= splitLevel_; ++k, leaf /= kFanout)
            __builtin_prefetch(&levels_[size_t(k)][size_t(leaf)], 1);
    }
    void refreshAboveSplit();
    uint64_t total() const { return total_; }
    /// The first leaf at which the running sum of weights (in leaf order) exceeds `target`,
    /// for 0 <= target < total(); never a zero-weight leaf.
    int64_t findByMass(uint64_t target) const;
    int64_t memoryBytes() const;

private:
    static constexpr int kFanout = 8;
    // The split level is the lowest with at most this many sums: recomputing everything above
    // it costs a few microseconds a step, while below it (1,221 sums at 5M leaves) two threads
    // seldom add to the same sum at once.
    static constexpr size_t kMaxSplitNodes = 4096;
    /// Allocates on cache-line boundaries, so each node's eight child sums share one line;
    /// large levels on huge pages, mapped at once.
    template <typename T> struct CacheLineAllocator {
        using value_type = T;
        CacheLineAllocator() = default;
        template <typename U> CacheLineAllocator(const CacheLineAllocator<U>&) {}
        T* allocate(size_t n) {
            T* data = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
            if (n * sizeof(T) >= huge_pages_detail::kMinimumBytes) // see huge_pages.h
                huge_pages_detail::prepareRange(data, n * sizeof(T));
            return data;
        }
        void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
        bool operator==(const CacheLineAllocator&) const { return true; }
        bool operator!=(const CacheLineAllocator&) const { return false; }
    };
    using Level = std::vector<uint64_t, CacheLineAllocator<uint64_t>>;
    // levels_[0]: the leaves; levels_[k][i]: the sum of levels_[k - 1][8i, 8i + 8). Each level
    // is padded with zeros to a multiple of 8; the last has at most 8 entries.
    std::vector<Level> levels_;
    uint64_t total_ = 0;
    int splitLevel_ = 0;
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
