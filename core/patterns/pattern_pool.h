// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace freesel {

/// All semantic patterns of all images in one row-major float matrix, each row tagged with
/// its image (docs/ALGORITHM.md section 6: "all patterns of all images form one pool"). With one
/// row per image it is also the pool of global features (Core-Set, k-means).
class PatternPool {
public:
    explicit PatternPool(int dims = 0) : dims_(dims) { imageStart_.push_back(0); }

    void reserve(int64_t images, int64_t patterns);

    /// Appends one image with `count` patterns (row-major count x dims). count may be 0: the
    /// image can then only be chosen by the uniform fallback.
    void addImage(const float* patterns, int count);

    int dims() const { return dims_; }
    int imageCount() const { return static_cast<int>(imageStart_.size()) - 1; }
    int64_t patternCount() const { return static_cast<int64_t>(owner_.size()); }

    const float* pattern(int64_t index) const { return data_.data() + index * dims_; }
    float* pattern(int64_t index) { return data_.data() + index * dims_; }
    int imageOf(int64_t pattern) const { return owner_[pattern]; }
    int64_t firstPatternOf(int image) const { return imageStart_[image]; }
    int patternCountOf(int image) const {
        return static_cast<int>(imageStart_[image + 1] - imageStart_[image]);
    }

    /// Bytes held by the pool (for memory reports).
    int64_t memoryBytes() const;

private:
    int dims_;
    std::vector<float> data_;
    std::vector<int> owner_;
    std::vector<int64_t> imageStart_;
};

} // namespace freesel
