// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <functional>
#include <vector>

namespace freesel::bench {

/// A named benchmark. Each prints its figures as "BENCH <name> <value> <unit>" lines.
struct Benchmark {
    QString name;
    QString description;
    std::function<void()> run;
};

/// Benchmarks register themselves from their own .cpp with a static BenchmarkRegistration.
std::vector<Benchmark>& registry();

struct BenchmarkRegistration {
    BenchmarkRegistration(const QString& name, const QString& description,
                          std::function<void()> run);
};

/// Prints one "BENCH <name> <value> <unit>" line and flushes, so partial runs still report.
void report(const QString& name, double value, const QString& unit);

/// The value of a --key=value option given to freesel-bench, or fallback.
QString option(const QString& key, const QString& fallback);

/// Seconds `f` takes: the wall clock, or with `threadClock` the calling thread's CPU time (on
/// a shared machine one thread's CPU time measures the code, not the neighbours; only
/// meaningful when everything runs on that thread, torch::set_num_threads(1)).
double timedSeconds(bool threadClock, const std::function<void()>& f);

/// The process's peak resident memory so far, in MiB (getrusage).
double peakRssMb();

} // namespace freesel::bench
