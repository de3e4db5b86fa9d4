// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/pattern_pool.h"

#include "util/huge_pages.h"

#include <QDir>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <stdexcept>
#include <sys/mman.h>
#include <unistd.h>

namespace freesel {

/// The open, already unlinked file of a file-backed pool: the kernel frees its blocks when the
/// last copy of the pool closes it, however the process ends.
struct PatternPool::RowFile {
    int fd = -1;
    int64_t rows = 0; // rows written so far
    std::string directory;
    // Read-only mappings for pattern(), one per size the file had when a row past the last
    // mapping was asked for. Older ones stay mapped, so pointers handed out stay valid; the
    // newest is published as one atomic pointer, so a reader sees a base and its extent
    // together.
    struct Mapping {
        const float* base;
        int64_t rows;
        size_t bytes;
    };
    std::mutex mappingMutex;
    std::vector<std::unique_ptr<Mapping>> mappings;
    std::atomic<const Mapping*> latest{nullptr};

    const Mapping& mapThrough(int64_t row, int dims);
    ~RowFile() {
        for (const auto& mapping : mappings)
            ::munmap(const_cast<float*>(mapping->base), mapping->bytes);
        if (fd >= 0)
            ::close(fd);
    }
};

const PatternPool::RowFile::Mapping& PatternPool::RowFile::mapThrough(int64_t row, int dims) {
    const std::lock_guard<std::mutex> lock(mappingMutex);
    const Mapping* current = latest.load(std::memory_order_acquire);
    if (current && row < current->rows)
        return *current;
    if (row < 0 || row >= rows)
        throw std::out_of_range("pattern row " + std::to_string(row) + " of " +
                                std::to_string(rows) + " in the temporary pattern file");
    const size_t bytes = static_cast<size_t>(rows) * dims * sizeof(float);
    void* address = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (address == MAP_FAILED)
        throw std::runtime_error("cannot map the temporary pattern file in " + directory + ": " +
                                 std::strerror(errno));
    mappings.push_back(
        std::make_unique<Mapping>(Mapping{static_cast<const float*>(address), rows, bytes}));
    latest.store(mappings.back().get(), std::memory_order_release);
    return *mappings.back();
}

PatternPool PatternPool::withRowsInFile(int dims, const std::string& directory) {
    PatternPool pool(dims);
    auto file = std::make_shared<RowFile>();
    file->directory = directory.empty() ? QDir::tempPath().toStdString() : directory;
    std::string path = file->directory + "/freesel-patterns-XXXXXX";
    file->fd = ::mkstemp(path.data());
    if (file->fd < 0)
        throw std::runtime_error("cannot create a temporary pattern file in " + file->directory +
                                 ": " + std::strerror(errno));
    ::unlink(path.c_str());
    pool.file_ = std::move(file);
    return pool;
}

const float* PatternPool::mappedPattern(int64_t index) const {
    const RowFile::Mapping* mapping = file_->latest.load(std::memory_order_acquire);
    if (!mapping || index >= mapping->rows)
        mapping = &file_->mapThrough(index, dims_);
    return mapping->base + index * dims_;
}

std::string PatternPool::rowFileDirectory() const {
    return file_ ? file_->directory : std::string();
}

void PatternPool::reserve(int64_t images, int64_t patterns) {
    imageStart_.reserve(images + 1);
    owner_.reserve(patterns);
    if (!file_)
        reserveOnHugePages(data_, size_t(patterns) * dims_);
}

void PatternPool::addImage(const float* patterns, int count) {
    const int image = imageCount();
    if (file_) {
        if (file_->rows != patternCount())
            throw std::logic_error("a copy of a file-backed pattern pool cannot add images");
        const auto* bytes = reinterpret_cast<const char*>(patterns);
        size_t left = static_cast<size_t>(count) * dims_ * sizeof(float);
        while (left > 0) {
            const ssize_t written = ::write(file_->fd, bytes, left);
            if (written < 0 && errno == EINTR)
                continue;
            if (written <= 0)
                throw std::runtime_error("cannot write patterns to the temporary file in " +
                                         file_->directory + ": " + std::strerror(errno));
            bytes += written;
            left -= static_cast<size_t>(written);
        }
        file_->rows += count;
    } else {
        data_.insert(data_.end(), patterns, patterns + static_cast<int64_t>(count) * dims_);
    }
    owner_.insert(owner_.end(), count, image);
    imageStart_.push_back(imageStart_.back() + count);
}

void PatternPool::readRows(int64_t first, int64_t count, float* out) const {
    if (!file_) {
        std::copy_n(pattern(first), count * dims_, out);
        return;
    }
    auto* bytes = reinterpret_cast<char*>(out);
    size_t left = static_cast<size_t>(count) * dims_ * sizeof(float);
    auto offset = static_cast<off_t>(first * dims_ * int64_t(sizeof(float)));
    while (left > 0) {
        const ssize_t got = ::pread(file_->fd, bytes, left, offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            throw std::runtime_error(
                "cannot read patterns from the temporary file in " + file_->directory + ": " +
                (got == 0 ? std::string("file too short") : std::string(std::strerror(errno))));
        bytes += got;
        offset += got;
        left -= static_cast<size_t>(got);
    }
}

int64_t PatternPool::memoryBytes() const {
    return static_cast<int64_t>(data_.capacity() * sizeof(float) + owner_.capacity() * sizeof(int) +
                                imageStart_.capacity() * sizeof(int64_t));
}

} // namespace freesel
