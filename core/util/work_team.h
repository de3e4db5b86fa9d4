// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A team of threads for the many small parallel steps of selection (two per pick, 100,000
// picks), made to keep going when the machine is busy. An OpenMP parallel region ends in a
// barrier that waits for every thread of the team: when another process holds a core, a
// descheduled thread stalls each region for a scheduler time slice, and selection on a busy
// 2-core machine ran 25 times slower than quiet. Here the caller works too, threads claim
// chunks from a shared counter, and the caller waits only for chunks a thread has claimed:
// a thread that wakes late finds nothing left and sleeps again. Written by hand because
// neither OpenMP nor QThreadPool offers "done when the work is done, not when every thread
// has arrived".

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace freesel {

class WorkTeam {
public:
    /// `threads` in all, the caller included (<= 1: everything runs on the caller).
    explicit WorkTeam(int threads);
    ~WorkTeam();
    WorkTeam(const WorkTeam&) = delete;
    WorkTeam& operator=(const WorkTeam&) = delete;

    int threads() const { return static_cast<int>(workers_.size()) + 1; }

    /// Calls body(begin, end) over [0, count) in chunks of `grain` items, on the caller and
    /// any team thread that is awake, and returns when every chunk is done. Chunks run in no
    /// particular order or thread: bodies must write disjoint data.
    void forEach(int64_t count, int64_t grain,
                 const std::function<void(int64_t begin, int64_t end)>& body);

private:
    // The claim counter holds the job's generation in its top 24 bits and the next item in the
    // low 40, so a thread that read an old job can never claim an item of a newer one.
    static constexpr int kIndexBits = 40;
    static constexpr uint64_t kIndexMask = (uint64_t(1) << kIndexBits) - 1;
    static constexpr uint64_t kGenerationMask = (uint64_t(1) << (64 - kIndexBits)) - 1;

    struct Job {
        uint64_t generation = 0;
        const std::function<void(int64_t, int64_t)>* body = nullptr;
        int64_t count = 0, grain = 1;
    };

    // How long a thread polls for the next job before it sleeps on wake_ (see pollForJob), and
    // after how long it yields between polls instead of pausing.
    static constexpr std::chrono::microseconds kSpinTime{200};
    static constexpr std::chrono::microseconds kPauseTime{20};

    void pollForJob(uint64_t seen) const;
    void workerLoop();
    /// Claims and runs chunks of `job` until none is left or a newer job replaced it.
    void runChunks(const Job& job);

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false; // under mutex_
    int sleeping_ = 0;      // threads waiting on wake_, under mutex_
    Job job_;               // the latest job, under mutex_
    std::atomic<uint64_t> claim_{0};
    std::atomic<int64_t> done_{0};
};

} // namespace freesel
