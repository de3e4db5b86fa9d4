// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/store_writer.h"

#include <QElapsedTimer>

namespace freesel {

StoreWriter::StoreWriter(FeatureStore& store, Mode mode) : store_(store) {
    if (mode == OwnThread)
        thread_ = std::thread([this] { writeLoop(); });
}

StoreWriter::~StoreWriter() {
    if (!thread_.joinable())
        return;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void StoreWriter::append(std::vector<StoreKey> keys, std::vector<ImageFeatures> features) {
    if (!keys.empty())
        hand(Job{std::move(keys), std::move(features), QString()});
}

void StoreWriter::appendFailure(StoreKey key, QString reason) {
    hand(Job{{std::move(key)}, {}, std::move(reason)});
}

void StoreWriter::hand(Job job) {
    QElapsedTimer timer;
    timer.start();
    if (!thread_.joinable()) {
        if (outcome_)
            outcome_ = write(job);
        waitSeconds_ += timer.nsecsElapsed() * 1e-9;
        throwIfFailed();
        return;
    }
    const bool batch = job.failure.isEmpty();
    {
        std::unique_lock<std::mutex> lock(mutex_);
        // One batch waiting at most: the caller runs at most one batch ahead of the disk.
        changed_.wait(lock, [&] { return !outcome_.ok() || !batch || waitingBatches_ == 0; });
        if (outcome_) {
            jobs_.push_back(std::move(job));
            waitingBatches_ += batch;
        }
    }
    changed_.notify_all();
    waitSeconds_ += timer.nsecsElapsed() * 1e-9;
    throwIfFailed();
}

void StoreWriter::finish() {
    QElapsedTimer timer;
    timer.start();
    if (thread_.joinable()) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !outcome_.ok() || (jobs_.empty() && !busy_); });
    }
    waitSeconds_ += timer.nsecsElapsed() * 1e-9;
    throwIfFailed();
}

void StoreWriter::throwIfFailed() {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!outcome_)
        throw StoreError(outcome_.error());
}

Status StoreWriter::write(const Job& job) {
    // An exception escaping the writer thread would end the process: it becomes the failure
    // the caller throws instead (an allocation that failed while encoding a record).
    try {
        if (!job.failure.isEmpty())
            return store_.appendFailure(job.keys.front(), job.failure);
        for (size_t i = 0; i < job.keys.size(); ++i)
            if (Status stored = store_.append(job.keys[i], job.features[i]); !stored)
                return stored;
        return {};
    } catch (const std::exception& e) {
        return errorFromException(e);
    }
}

void StoreWriter::writeLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        changed_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty() || !outcome_)
            return; // stopping with nothing left, or stopped by a failure
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        waitingBatches_ -= job.failure.isEmpty();
        busy_ = true;
        lock.unlock();
        changed_.notify_all(); // a batch slot is free
        Status stored = write(job);
        job = Job(); // the records' memory goes back before the next wait
        lock.lock();
        busy_ = false;
        if (!stored)
            outcome_ = std::move(stored);
        changed_.notify_all();
    }
}

} // namespace freesel
