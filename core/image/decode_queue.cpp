// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/decode_queue.h"

#include <QThread>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <exception>
#include <utility>

namespace freesel {

namespace {

DecodedImage runJob(const DecodeQueue::Job& job, const QString& path) {
    // A throwing job must not take the worker thread (and std::terminate the app) with it.
    try {
        return job(path);
    } catch (const std::exception& e) {
        DecodedImage failed;
        failed.status = DecodeStatus::Unreadable;
        failed.error = QStringLiteral("%1: internal error while decoding: %2")
                           .arg(path, QString::fromLocal8Bit(e.what()));
        return failed;
    } catch (...) {
        DecodedImage failed;
        failed.status = DecodeStatus::Unreadable;
        failed.error = QStringLiteral("%1: internal error while decoding").arg(path);
        return failed;
    }
}

/// Raises the calling thread's nice value by `increment` (Linux: setpriority on a thread id
/// changes that thread only). Best effort: a refusal leaves the priority as it was.
void lowerThisThreadPriority(int increment) {
#if defined(__linux__)
    if (increment <= 0)
        return;
    const auto tid = static_cast<id_t>(syscall(SYS_gettid));
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, tid);
    if (errno == 0)
        setpriority(PRIO_PROCESS, tid, std::min(19, current + increment));
#else
    (void)increment;
#endif
}

} // namespace

DecodeQueue::DecodeQueue(QStringList paths, Job job, int threads, int capacity, int workerNice)
    : paths_(std::move(paths)), job_(std::move(job)), workerNice_(workerNice) {
    if (threads == 0)
        threads = std::max(1, QThread::idealThreadCount());
    threads = std::clamp(threads, 0, int(paths_.size()));
    capacity_ = capacity > 0 ? capacity : std::max(2, 2 * threads);
    workers_.reserve(size_t(threads));
    for (int i = 0; i < threads; ++i)
        workers_.emplace_back([this] { workerLoop(); });
}

DecodeQueue::~DecodeQueue() {
    cancel();
    for (std::thread& worker : workers_)
        worker.join();
}

bool DecodeQueue::claim(int* index) {
    std::unique_lock<std::mutex> lock(mutex_);
    // The window [nextToDeliver_, nextToDeliver_ + capacity_) bounds how far ahead we decode.
    spaceAvailable_.wait(lock, [this] {
        return cancelled_ || nextToClaim_ >= size() || nextToClaim_ < nextToDeliver_ + capacity_;
    });
    if (cancelled_ || nextToClaim_ >= size())
        return false;
    *index = nextToClaim_++;
    return true;
}

bool DecodeQueue::claimWithoutWaiting(int* index) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled_ || nextToClaim_ >= size() || nextToClaim_ >= nextToDeliver_ + capacity_)
        return false;
    *index = nextToClaim_++;
    return true;
}

void DecodeQueue::decodeClaimed(int index) {
    DecodedImage image = runJob(job_, paths_[index]);
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (!cancelled_) // cancel() freed the window; nobody will take this one
            ready_.emplace(index, std::move(image));
    }
    itemReady_.notify_all();
}

void DecodeQueue::workerLoop() {
    lowerThisThreadPriority(workerNice_);
    int index = 0;
    while (claim(&index))
        decodeClaimed(index);
}

bool DecodeQueue::helpDecode() {
    int index = 0;
    if (!claimWithoutWaiting(&index))
        return false;
    decodeClaimed(index);
    return true;
}

bool DecodeQueue::next(DecodeQueueItem* item) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (workers_.empty() && !cancelled_ && nextToClaim_ == nextToDeliver_ &&
        nextToClaim_ < size()) {
        // Helpers only, and none has started it: decode it here. Claims go in input order, so
        // this is the only unclaimed one the consumer needs.
        const int index = nextToClaim_++;
        lock.unlock();
        decodeClaimed(index);
        lock.lock();
    }
    itemReady_.wait(lock, [this] {
        return cancelled_ || nextToDeliver_ >= size() || ready_.count(nextToDeliver_) > 0;
    });
    if (cancelled_ || nextToDeliver_ >= size())
        return false;
    auto it = ready_.find(nextToDeliver_);
    item->index = nextToDeliver_;
    item->path = paths_[nextToDeliver_];
    item->image = std::move(it->second);
    ready_.erase(it);
    ++nextToDeliver_;
    lock.unlock();
    spaceAvailable_.notify_all();
    return true;
}

void DecodeQueue::cancel() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        cancelled_ = true;
        ready_.clear(); // nobody will consume them; free the memory now
    }
    spaceAvailable_.notify_all();
    itemReady_.notify_all();
}

bool DecodeQueue::isCancelled() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return cancelled_;
}

DecodeQueue::Job DecodeQueue::decodeAndResize(DecodeOptions options, ResizeSpec resize) {
    options.shrinkFor = resize;
    return [options, resize](const QString& path) {
        DecodedImage image = decodeImageFile(path, options);
        if (image.ok()) { // the target of the full image: a reduced decode rounds its sides up
            const cv::Size target = targetSize(image.originalWidth, image.originalHeight, resize);
            image.rgb = resizeForModel(image.rgb, ResizeSpec::fixed(target.width, target.height));
        }
        return image;
    };
}

} // namespace freesel
