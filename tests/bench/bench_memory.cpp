// SPDX-License-Identifier: GPL-3.0-or-later
// What this machine's memory delivers to a few threads (issue 18): the exact selection's late
// steps read 8-bit rows (384 bytes) and float rows (1,536 bytes) from scattered places, and the
// projection screen's directions and coordinates in runs of kilobytes. These figures turn the
// sampler's traffic counters into the least time its evaluation can take here (docs/SCALE.md,
// "What the machine allows").
#include "bench_registry.h"
#include "selection/distance_kernels.h"
#include "selection/group_projections.h"
#include "selection/int8_kernels.h"
#include "util/huge_pages.h"

#include <QElapsedTimer>
#include <algorithm>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

using namespace freesel::bench;

namespace {

uint64_t sumOf(const uint64_t* words, size_t count) { // front to back: the hardware prefetches
    uint64_t sum = 0;
    for (size_t i = 0; i < count; ++i)
        sum += words[i];
    return sum;
}

/// Runs `work(thread)` on `threads` threads and returns the wall-clock seconds.
template <typename Work> double timedOnThreads(int threads, Work work) {
    QElapsedTimer timer;
    timer.start();
    std::vector<std::thread> team;
    for (int t = 0; t < threads; ++t)
        team.emplace_back(work, t);
    for (std::thread& thread : team)
        thread.join();
    return timer.nsecsElapsed() * 1e-9;
}

/// GB/s of reading the whole buffer front to back, each thread its own contiguous share.
double sequentialGbps(const uint64_t* buffer, size_t bytes, int threads) {
    constexpr int kPasses = 3;
    std::vector<uint64_t> sums(threads);
    const size_t share = bytes / 8 / threads;
    const double seconds = timedOnThreads(threads, [&](int t) {
        uint64_t sum = 0;
        for (int pass = 0; pass < kPasses; ++pass)
            sum += sumOf(buffer + share * t, share);
        sums[t] = sum;
    });
    return kPasses * double(share * threads * 8) / seconds / 1e9;
}

/// GB/s of `read` over blocks of `block` bytes at random places, four blocks per call, the
/// next blocks' lines prefetched a few blocks ahead (as the sampler prefetches its rows).
template <typename Read>
double scatteredGbps(const uint64_t* buffer, size_t bytes, size_t block, int threads, Read read) {
    const auto* base = reinterpret_cast<const uint8_t*>(buffer);
    const size_t blocks = bytes / block, perThread = (size_t(4) << 30) / block / threads / 4 * 4;
    const size_t ahead = std::max<size_t>(4, 4096 / block);
    std::vector<std::vector<const uint8_t*>> starts(threads,
                                                    std::vector<const uint8_t*>(perThread));
    for (int t = 0; t < threads; ++t) { // drawn before the clock starts
        std::mt19937_64 random(t + 1);
        for (const uint8_t*& start : starts[t])
            start = base + (random() % blocks) * block;
    }
    std::vector<float> sums(threads);
    const double seconds = timedOnThreads(threads, [&](int t) {
        const std::vector<const uint8_t*>& mine = starts[t];
        float sum = 0.0f; // summed here: a shared line written per block would be the bottleneck
        for (size_t i = 0; i < mine.size(); i += 4) {
            for (size_t k = i + ahead; k < std::min(i + ahead + 4, mine.size()); ++k)
                for (size_t line = 0; line < block; line += 64)
                    __builtin_prefetch(mine[k] + line);
            sum += read(&mine[i]);
        }
        sums[t] = sum;
    });
    return double(perThread * threads * block) / seconds / 1e9;
}

void benchMemory() {
    const int threads = std::max(1, option(QStringLiteral("threads"), QStringLiteral("2")).toInt());
    const size_t gib = std::max(1, option(QStringLiteral("gib"), QStringLiteral("8")).toInt());
    const size_t bytes = gib << 30;
    std::vector<uint64_t> words; // mapped and written before anything is timed
    freesel::assignOnHugePages(words, bytes / 8, uint64_t(1));
    const uint64_t* buffer = words.data();
    report(QStringLiteral("memory_sequential_gbps"), sequentialGbps(buffer, bytes, threads),
           QStringLiteral("GB/s"));
    constexpr int kDims = 384;
    std::vector<float> query(kDims, 0.5f);
    const std::vector<int8_t> codes(kDims, 3);
    const int8_t* const compactQueries[4] = {codes.data(), codes.data(), codes.data(),
                                             codes.data()};
    const auto eightBitRows = [&](const uint8_t* const* rows) { // the prefilter's pair kernel
        int32_t raw[4];
        freesel::rawDotsU8S8x4(rows, compactQueries, kDims, raw);
        return float(raw[0] + raw[1] + raw[2] + raw[3]);
    };
    const auto floatRows = [&](const uint8_t* const* rows) { // the exact dots
        float dots[4];
        const float* const queries[4] = {query.data(), query.data(), query.data(), query.data()};
        const float* const floats[4] = {
            reinterpret_cast<const float*>(rows[0]), reinterpret_cast<const float*>(rows[1]),
            reinterpret_cast<const float*>(rows[2]), reinterpret_cast<const float*>(rows[3])};
        freesel::dotProducts4(floats, queries, kDims, dots);
        return dots[0] + dots[1] + dots[2] + dots[3];
    };
    const auto directions = [&](const uint8_t* const* groups) { // projecting a query
        float coordinates[freesel::kProjectionWidth];
        float sum = 0.0f;
        for (int g = 0; g < 4; ++g) {
            freesel::dotsWithRows(query.data(), reinterpret_cast<const float*>(groups[g]),
                                  freesel::kProjectionWidth, kDims, coordinates);
            sum += coordinates[0];
        }
        return sum;
    };
    report(QStringLiteral("memory_scattered_8bit_rows_gbps"),
           scatteredGbps(buffer, bytes, kDims, threads, eightBitRows), QStringLiteral("GB/s"));
    report(QStringLiteral("memory_scattered_float_rows_gbps"),
           scatteredGbps(buffer, bytes, kDims * 4, threads, floatRows), QStringLiteral("GB/s"));
    report(QStringLiteral("memory_scattered_directions_gbps"),
           scatteredGbps(buffer, bytes, freesel::kProjectionWidth * kDims * 4, threads, directions),
           QStringLiteral("GB/s"));
}

const BenchmarkRegistration memoryBench(
    QStringLiteral("memory_gbps"),
    QStringLiteral("memory read throughput, --threads=2 over --gib=8: front to back, and at "
                   "random places through the sampler's kernels: 8-bit rows, float rows, "
                   "projection directions"),
    benchMemory);

} // namespace
