// SPDX-License-Identifier: GPL-3.0-or-later
// freesel-bench [--list|--help] [NAME...] [--key=value...]: runs the named benchmarks (all by
// default).
#include "backbone/openmp_wait.h"
#include "bench_registry.h"
#include "util/heap_tuning.h"

#include <QCoreApplication>
#include <QStringList>
#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    freesel::adoptPreferredOpenMpWait(
        argv); // as the programs do; OMP_WAIT_POLICY=ACTIVE to compare
    // As the programs do; GLIBC_TUNABLES= (set, empty) to compare with glibc's adaptive default.
    freesel::keepLargeBuffersInHeap();
    QCoreApplication app(argc, argv);
    QStringList wanted;
    bool listOnly = false;
    for (const QString& argument : QCoreApplication::arguments().mid(1)) {
        if (argument == QLatin1String("--list") || argument == QLatin1String("--help") ||
            argument == QLatin1String("-h"))
            listOnly = true; // never "run everything" (the 1M benchmark needs 12 GB) by mistake
        else if (!argument.startsWith(QLatin1String("--")))
            wanted << argument;
    }
    int ran = 0;
    for (const auto& benchmark : freesel::bench::registry()) {
        if (listOnly) {
            std::printf("%-28s %s\n", qPrintable(benchmark.name),
                        qPrintable(benchmark.description));
            continue;
        }
        if (!wanted.isEmpty() && !wanted.contains(benchmark.name))
            continue;
        try {
            benchmark.run();
        } catch (const std::exception& e) { // a bad --key=value, a pool it cannot write
            std::fprintf(stderr, "freesel-bench: %s: %s\n", qPrintable(benchmark.name), e.what());
            return 1;
        }
        ++ran;
    }
    if (!listOnly && ran == 0 && !wanted.isEmpty()) {
        std::fprintf(stderr, "freesel-bench: no benchmark named %s (see --list)\n",
                     qPrintable(wanted.join(QLatin1Char(' '))));
        return 2;
    }
    return 0;
}
