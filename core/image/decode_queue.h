// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "image/image_decoder.h"
#include "image/image_preprocessing.h"

#include <QString>
#include <QStringList>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace freesel {

/// One delivered image: its position in the input list, its path and the decode result
/// (already resized when the job resizes; originalWidth/Height keep the decoded size).
struct DecodeQueueItem {
    int index = -1;
    QString path;
    DecodedImage image;
};

/// Decodes a list of paths on worker threads ahead of a single consumer (the network), so
/// decoding overlaps inference. Items come out strictly in input order. At most `capacity` images
/// are decoded ahead of the consumer, which bounds memory. Failed files are delivered too, with
/// their status, so the consumer can log and skip them.
///
///     DecodeQueue queue(paths, DecodeQueue::decodeAndResize({}, ResizeSpec::fixed(224, 224)));
///     DecodeQueueItem item;
///     while (queue.next(&item)) { ... }
///
/// cancel() may be called from any thread; a worker finishes the file it is decoding (OpenCV
/// cannot be interrupted) and then stops. The destructor cancels and joins.
class DecodeQueue {
public:
    /// Turns a path into a result. Must be thread-safe; exceptions are caught and reported.
    using Job = std::function<DecodedImage(const QString& path)>;

    /// No decode threads of its own: the consumer's helpers decode through helpDecode(), and
    /// next() decodes inline what no helper has (the network's threads decoding between their
    /// tasks, issue 19: no thread of ours preempts one of theirs).
    static constexpr int kHelpersOnly = -1;

    /// threads == 0: QThread::idealThreadCount(); kHelpersOnly: none. capacity <= 0:
    /// 2 * threads (2 with helpers only).
    /// workerNice > 0: each decode thread lowers its own priority by that much (Linux nice,
    /// per thread; capped at 19), so next to a network that uses every core the decoder takes
    /// the gaps between its parallel regions rather than preempting one of its threads (which
    /// holds the other at the next barrier). 0 leaves the priority alone.
    DecodeQueue(QStringList paths, Job job, int threads = 0, int capacity = 0, int workerNice = 0);
    ~DecodeQueue();

    DecodeQueue(const DecodeQueue&) = delete;
    DecodeQueue& operator=(const DecodeQueue&) = delete;

    /// Blocks until the next image in input order is ready; with helpers only, decodes it on
    /// the calling thread when no helper has started it. Returns false once every item has been
    /// delivered or after cancel().
    bool next(DecodeQueueItem* item);

    /// Decodes the next undecoded path of the window on the calling thread (any thread, while
    /// the consumer computes): returns false, at once, when the window is full, every path is
    /// taken, or after cancel().
    bool helpDecode();

    void cancel();
    bool isCancelled() const;
    int size() const { return int(paths_.size()); }
    int threadCount() const { return int(workers_.size()); }
    int capacity() const { return capacity_; }

    /// The usual job: decodeImageFile with JPEG shrink-on-load for `resize`
    /// (DecodeOptions::shrinkFor), then resizeForModel to the full image's target size.
    static Job decodeAndResize(DecodeOptions options, ResizeSpec resize);

private:
    void workerLoop();
    bool claim(int* index); // false when the worker should exit
    bool claimWithoutWaiting(int* index);
    void decodeClaimed(int index);

    const QStringList paths_;
    const Job job_;
    int capacity_ = 1;
    int workerNice_ = 0;

    mutable std::mutex mutex_;
    std::condition_variable spaceAvailable_; // workers wait for room in the window
    std::condition_variable itemReady_;      // the consumer waits for the next index
    std::map<int, DecodedImage> ready_;
    int nextToClaim_ = 0;
    int nextToDeliver_ = 0;
    bool cancelled_ = false;

    std::vector<std::thread> workers_; // last: started after every other member exists
};

} // namespace freesel
