// SPDX-License-Identifier: GPL-3.0-or-later
// keepLargeBuffersInHeap (core/util/heap_tuning.h): a freed buffer of some MB comes back from
// the heap without page faults once the thresholds are set; without them glibc maps it afresh
// (the faults the tuning removes); a user's own malloc settings are left alone. Each case runs
// in a forked child, so that it starts from the malloc state of a fresh process and the tuning
// does not leak into the other cases.
#include "util/heap_tuning.h"

#include <QtTest>
#include <cstdlib>
#include <cstring>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace freesel;

namespace {

constexpr size_t kBufferBytes = 20u << 20; // above glibc's start threshold, below ours
constexpr long kPages = long(kBufferBytes / 4096);

long minorFaults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

/// Page faults taken by writing a freshly allocated buffer of kBufferBytes, after one such
/// buffer was allocated, written and freed.
long faultsOfSecondBuffer() {
    for (int round = 0;; ++round) {
        auto* buffer = static_cast<volatile char*>(std::malloc(kBufferBytes));
        const long before = minorFaults();
        for (size_t i = 0; i < kBufferBytes; i += 4096)
            buffer[i] = char(i);
        const long faults = minorFaults() - before;
        std::free(const_cast<char*>(buffer));
        if (round == 1)
            return faults;
    }
}

struct ChildResult {
    bool tuned = false;
    long faults = -1;
};

/// Runs keepLargeBuffersInHeap (when `tune`) and the two buffers in a forked child, with
/// `environment` ("NAME=value" or empty) set first.
ChildResult inChild(bool tune, const char* environment) {
    int fds[2];
    if (pipe(fds) != 0)
        return {};
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (environment && *environment)
            putenv(const_cast<char*>(environment));
        ChildResult result;
        result.tuned = tune && keepLargeBuffersInHeap();
        result.faults = faultsOfSecondBuffer();
        const bool written = write(fds[1], &result, sizeof result) == sizeof result;
        _exit(written ? 0 : 1);
    }
    close(fds[1]);
    ChildResult result;
    const bool read = ::read(fds[0], &result, sizeof result) == sizeof result;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return read && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? result : ChildResult{};
}

} // namespace

class TestHeapTuning : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void freedBuffersComeBackWithoutFaults();
    void withoutTuningGlibcMapsThemAfresh();
    void usersOwnSettingsAreKept();
};

void TestHeapTuning::freedBuffersComeBackWithoutFaults() {
#if !defined(__GLIBC__)
    QSKIP("glibc's malloc only");
#endif
    const ChildResult child = inChild(true, nullptr);
    QVERIFY(child.tuned);
    QVERIFY2(child.faults >= 0 && child.faults < kPages / 10,
             qPrintable(QStringLiteral("%1 faults for %2 pages").arg(child.faults).arg(kPages)));
}

void TestHeapTuning::withoutTuningGlibcMapsThemAfresh() {
#if !defined(__GLIBC__)
    QSKIP("glibc's malloc only");
#endif
    // What the tuning is for: glibc's adaptive thresholds hand the second buffer fresh pages.
    const ChildResult child = inChild(false, nullptr);
    QVERIFY(!child.tuned);
    QVERIFY2(child.faults > kPages / 2,
             qPrintable(QStringLiteral("%1 faults for %2 pages").arg(child.faults).arg(kPages)));
}

void TestHeapTuning::usersOwnSettingsAreKept() {
#if !defined(__GLIBC__)
    QSKIP("glibc's malloc only");
#endif
    for (const char* environment :
         {"MALLOC_MMAP_THRESHOLD_=131072", "MALLOC_TRIM_THRESHOLD_=131072", "GLIBC_TUNABLES="}) {
        const ChildResult child = inChild(true, environment);
        QVERIFY2(!child.tuned, environment);
        QVERIFY2(child.faults >= 0, environment);
    }
}

QTEST_GUILESS_MAIN(TestHeapTuning)
#include "test_heap_tuning.moc"
