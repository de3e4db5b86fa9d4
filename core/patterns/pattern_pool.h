// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace freesel {

/// All semantic patterns of all images in one row-major float matrix, each row tagged with
/// its image (docs/ALGORITHM.md section 6: "all patterns of all images form one pool"). With one
/// row per image it is also the pool of global features (Core-Set, k-means).
class PatternPool {
public:
    explicit PatternPool(int dims = 0) : dims_(dims) { imageStart_.push_back(0); }

    /// A pool whose rows live in an unlinked temporary file in `directory` (the system's
    /// temporary folder when empty) instead of memory, for pools larger than memory should
    /// hold (1M images x 5 x 384 floats are 7.7 GB). Rows are appended with write() and read
    /// back with readRows(), so they count in no process's resident memory (the page cache
    /// keeps them while memory allows). pattern() reads them through a read-only mapping of
    /// the file: only the pages it touches are loaded, and the kernel may drop them again.
    /// Distance sampling reads them with readRows() and keeps only a bfloat16 copy resident
    /// (docs/SCALE.md). Copies share the file; only the pool that wrote the last row may add
    /// images.
    static PatternPool withRowsInFile(int dims, const std::string& directory = {});

    void reserve(int64_t images, int64_t patterns);

    /// Appends one image with `count` patterns (row-major count x dims). count may be 0: the
    /// image can then only be chosen by the uniform fallback.
    void addImage(const float* patterns, int count);

    int dims() const { return dims_; }
    int imageCount() const { return static_cast<int>(imageStart_.size()) - 1; }
    int64_t patternCount() const { return static_cast<int64_t>(owner_.size()); }

    /// Row `index`; for a pool with rows in a file, from its read-only mapping (pointers stay
    /// valid while any copy of the pool lives).
    const float* pattern(int64_t index) const {
        return file_ ? mappedPattern(index) : data_.data() + index * dims_;
    }
    /// Rows may be written through this only when they are in memory: a file's mapping is
    /// read-only (reading through it is fine, as code holding a pool by value does).
    float* pattern(int64_t index) {
        return file_ ? const_cast<float*>(mappedPattern(index)) : data_.data() + index * dims_;
    }
    int imageOf(int64_t pattern) const { return owner_[pattern]; }
    int64_t firstPatternOf(int image) const { return imageStart_[image]; }
    int patternCountOf(int image) const {
        return static_cast<int>(imageStart_[image + 1] - imageStart_[image]);
    }

    bool rowsInFile() const { return file_ != nullptr; }
    /// The folder holding the row file ("" for rows in memory).
    std::string rowFileDirectory() const;
    /// Copies rows [first, first + count) into `out` (count x dims floats), from memory or
    /// from the file (thread safe: positioned reads).
    void readRows(int64_t first, int64_t count, float* out) const;

    /// Bytes held by the pool in memory (for memory reports).
    int64_t memoryBytes() const;

private:
    struct RowFile;
    const float* mappedPattern(int64_t index) const;
    int dims_;
    std::vector<float> data_;
    std::vector<int> owner_;
    std::vector<int64_t> imageStart_;
    std::shared_ptr<RowFile> file_;
};

} // namespace freesel
