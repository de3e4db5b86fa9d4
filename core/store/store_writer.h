// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/image_features.h"
#include "store/feature_store.h"

#include <QString>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace freesel {

/// Appends extraction's records to a FeatureStore in the order they are handed over, either on
/// the caller's thread or on a thread of its own. With its own thread, encoding, checksumming
/// and writing one batch (0.25 ms a ViT-S/16 record: 16 ms a batch of 64, as long as an H200
/// runs the network on it in bfloat16) overlap the next batch's network instead of following it.
///
///     StoreWriter writer(store, StoreWriter::OwnThread);
///     writer.append(std::move(keys), std::move(features)); // returns once handed over
///     writer.finish(); // everything written; throws StoreError on a failed append
///
/// At most one batch waits while another is written, which bounds memory to two batches of
/// records. The first failed append stops the writer: the records after it are not written
/// (the caller stops too), and the next call on this thread throws its StoreError. The store
/// must not be touched by anyone else until finish() returns.
class StoreWriter {
public:
    enum Mode { CallerThread, OwnThread };

    StoreWriter(FeatureStore& store, Mode mode);
    /// Writes what was handed over (errors are dropped: call finish() to see them), then joins.
    ~StoreWriter();
    StoreWriter(const StoreWriter&) = delete;
    StoreWriter& operator=(const StoreWriter&) = delete;

    /// Hands a batch over (keys[i] for features[i]); blocks while an earlier batch still waits.
    void append(std::vector<StoreKey> keys, std::vector<ImageFeatures> features);
    /// Hands over the record of an image that could not be used, and why.
    void appendFailure(StoreKey key, QString reason);
    /// Returns once everything handed over is in the store; throws StoreError on a failure.
    void finish();
    /// Seconds the caller spent blocked in append() and finish(), waiting on the writes (with
    /// the caller's thread: all the time spent writing).
    double waitSeconds() const { return waitSeconds_; }

private:
    struct Job {
        std::vector<StoreKey> keys;
        std::vector<ImageFeatures> features;
        QString failure; // one failure record: keys[0] and this reason
    };
    void hand(Job job);
    Status write(const Job& job);
    void writeLoop();
    void throwIfFailed();

    FeatureStore& store_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Job> jobs_;
    int waitingBatches_ = 0; // batches in jobs_, not yet taken by the writer
    bool busy_ = false;      // the writer holds a job
    bool stopping_ = false;
    Status outcome_; // ok until an append fails, then its error
    double waitSeconds_ = 0.0;
    std::thread thread_; // last: starts after the state it reads
};

} // namespace freesel
