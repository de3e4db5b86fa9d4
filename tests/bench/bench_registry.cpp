// SPDX-License-Identifier: GPL-3.0-or-later
#include "bench_registry.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <cstdio>
#include <sys/resource.h>
#include <time.h>

namespace freesel::bench {

std::vector<Benchmark>& registry() {
    static std::vector<Benchmark> benchmarks;
    return benchmarks;
}

BenchmarkRegistration::BenchmarkRegistration(const QString& name, const QString& description,
                                             std::function<void()> run) {
    registry().push_back({name, description, std::move(run)});
}

void report(const QString& name, double value, const QString& unit) {
    std::printf("BENCH %s %.6g %s\n", qPrintable(name), value, qPrintable(unit));
    std::fflush(stdout);
}

QString option(const QString& key, const QString& fallback) {
    const QString prefix = QStringLiteral("--") + key + QLatin1Char('=');
    for (const QString& argument : QCoreApplication::arguments()) {
        if (argument.startsWith(prefix))
            return argument.mid(prefix.size());
    }
    return fallback;
}

double timedSeconds(bool threadClock, const std::function<void()>& f) {
    if (threadClock) {
        timespec start{}, end{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
        f();
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
        return double(end.tv_sec - start.tv_sec) + 1e-9 * double(end.tv_nsec - start.tv_nsec);
    }
    QElapsedTimer timer;
    timer.start();
    f();
    return timer.nsecsElapsed() * 1e-9;
}

double peakRssMb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024.0; // kilobytes on Linux
}

} // namespace freesel::bench
