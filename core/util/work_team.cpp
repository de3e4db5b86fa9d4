// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/work_team.h"

#include <algorithm>

namespace freesel {

WorkTeam::WorkTeam(int threads) {
    for (int i = 1; i < threads; ++i)
        workers_.emplace_back([this] { workerLoop(); });
}

WorkTeam::~WorkTeam() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_)
        worker.join();
}

void WorkTeam::runChunks(const Job& job) {
    const uint64_t tag = job.generation << kIndexBits;
    uint64_t claim = claim_.load(std::memory_order_acquire);
    for (;;) {
        if ((claim & ~kIndexMask) != tag)
            return; // a newer job: this one is finished
        const auto begin = static_cast<int64_t>(claim & kIndexMask);
        if (begin >= job.count)
            return;
        const int64_t end = std::min(job.count, begin + job.grain);
        if (!claim_.compare_exchange_weak(claim, tag | static_cast<uint64_t>(end),
                                          std::memory_order_acq_rel))
            continue;            // another thread claimed first: `claim` holds the new value
        (*job.body)(begin, end); // alive: a chunk of its job was unclaimed until now
        done_.fetch_add(end - begin, std::memory_order_acq_rel);
        claim = claim_.load(std::memory_order_acquire);
    }
}

/// Polls claim_ for a job newer than `seen` (its generation bits) for up to kSpinTime, without
/// the mutex, before the thread sleeps on wake_. The steps of a pick follow each other within
/// tens of microseconds, and a thread woken through its condition variable took about as long
/// to run again (futex calls were 3-4% of select_voc's profile, and the caller did most steps
/// alone): polling took select_voc from 2.7-2.9 s to 2.1-2.5 s. After kPauseTime it yields
/// between polls, so on a busy machine the other threads get the core (with one core kept busy
/// select_voc took 3.4-4.0 s, as before: 3.1-4.0 s); a descheduled thread costs nothing, as the
/// caller never waits for work nobody claimed. On shutdown a polling thread finds stopping_
/// once its poll ends.
void WorkTeam::pollForJob(uint64_t seen) const {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        for (int i = 0; i < 32; ++i) {
            if ((claim_.load(std::memory_order_acquire) >> kIndexBits) != seen)
                return;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        const auto waited = std::chrono::steady_clock::now() - start;
        if (waited >= kSpinTime)
            return;
        if (waited >= kPauseTime)
            std::this_thread::yield(); // a busy machine's other threads get the core meanwhile
    }
}

void WorkTeam::workerLoop() {
    uint64_t seen = 0;
    for (;;) {
        pollForJob(seen);
        Job job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            if (!stopping_ && job_.generation == seen) {
                ++sleeping_;
                wake_.wait(lock, [&] { return stopping_ || job_.generation != seen; });
                --sleeping_;
            }
            if (stopping_)
                return;
            job = job_; // a consistent copy: the caller publishes jobs under the mutex
            seen = job.generation;
        }
        runChunks(job);
    }
}

void WorkTeam::forEach(int64_t count, int64_t grain,
                       const std::function<void(int64_t, int64_t)>& body) {
    if (count <= 0)
        return;
    grain = std::max<int64_t>(1, grain);
    if (workers_.empty() || count <= grain) {
        for (int64_t begin = 0; begin < count; begin += grain)
            body(begin, std::min(count, begin + grain));
        return;
    }
    Job job;
    int sleepers = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job.generation = (job_.generation + 1) & kGenerationMask;
        if (job.generation == 0) // 0 is the idle tag; skip it on wrap-around
            job.generation = 1;
        job.body = &body;
        job.count = count;
        job.grain = grain;
        job_ = job;
        done_.store(0, std::memory_order_relaxed);
        claim_.store(job.generation << kIndexBits, std::memory_order_release);
        sleepers = sleeping_;
    }
    if (sleepers > 0) // a polling thread sees the new generation in claim_ without a system call
        wake_.notify_all();
    runChunks(job);
    // Only chunks another thread is running remain: it is awake, so a short spin suffices.
    while (done_.load(std::memory_order_acquire) < count)
        std::this_thread::yield();
}

} // namespace freesel
