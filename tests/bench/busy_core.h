// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// One core kept busy by a spinning thread for as long as a BusyCore lives, as another program
// (or the Studio's own thumbnail decoding) would: the busy-machine ratios start and stop it.

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <thread>

namespace freesel::bench {

class BusyCore {
public:
    BusyCore()
        : thread_([this] {
              volatile uint64_t spin = 0;
              while (!stop_.load(std::memory_order_relaxed))
                  spin = spin + 1;
          }) {}
    ~BusyCore() {
        stop_.store(true);
        thread_.join();
    }
    BusyCore(const BusyCore&) = delete;
    BusyCore& operator=(const BusyCore&) = delete;

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

/// The OpenMP wait policy this process runs with, for the printed notes.
inline const char* openMpWaitPolicyInEffect() {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    return policy ? policy : spin ? "GOMP_SPINCOUNT set" : "libgomp default (spin 300000)";
}

/// `rate` measured quiet, then with one core busy: {quiet, busy}. Each is the best of
/// `repeats` runs, after one untimed warm-up run (first-touch page faults, allocator growth).
inline std::pair<double, double> quietAndBusy(const std::function<double()>& rate, int repeats) {
    auto best = [&] {
        double b = 0.0;
        for (int r = 0; r < repeats; ++r)
            b = std::max(b, rate());
        return b;
    };
    rate();
    const double quiet = best();
    BusyCore busy;
    return {quiet, best()};
}

} // namespace freesel::bench
