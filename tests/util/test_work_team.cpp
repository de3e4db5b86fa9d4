// SPDX-License-Identifier: GPL-3.0-or-later
// WorkTeam (core/util/work_team.h): every item runs exactly once per job, on any thread count,
// over many tiny jobs back to back (the selection's pattern: two jobs per pick). How it behaves
// on a busy machine is a speed matter: freesel-bench select_busy_ratio measures it.
#include "util/work_team.h"

#include <QtTest>
#include <atomic>
#include <numeric>
#include <set>
#include <thread>

using namespace freesel;

class TestWorkTeam : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyItemRunsOnce_data();
    void everyItemRunsOnce();
    void manyTinyJobsBackToBack();
    void teamThreadsShareTheWork();
    void sleepingThreadsAreWoken();
};

void TestWorkTeam::everyItemRunsOnce_data() {
    QTest::addColumn<int>("threads");
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("grain");
    QTest::newRow("one thread") << 1 << 1000 << 7;
    QTest::newRow("two threads") << 2 << 1000 << 1;
    QTest::newRow("four threads, uneven grain") << 4 << 1001 << 13;
    QTest::newRow("fewer items than a grain") << 3 << 5 << 16;
    QTest::newRow("nothing") << 2 << 0 << 1;
}

void TestWorkTeam::everyItemRunsOnce() {
    QFETCH(int, threads);
    QFETCH(int, count);
    QFETCH(int, grain);
    WorkTeam team(threads);
    QCOMPARE(team.threads(), std::max(1, threads));
    std::vector<std::atomic<int>> hits(size_t(count) + 1);
    team.forEach(count, grain, [&](int64_t begin, int64_t end) {
        QVERIFY(begin >= 0 && begin < end && end <= count && end - begin <= grain);
        for (int64_t i = begin; i < end; ++i)
            hits[size_t(i)].fetch_add(1);
    });
    for (int i = 0; i < count; ++i)
        QCOMPARE(hits[size_t(i)].load(), 1);
    QCOMPARE(hits[size_t(count)].load(), 0);
}

void TestWorkTeam::manyTinyJobsBackToBack() {
    WorkTeam team(3);
    std::vector<int64_t> sums(20000, 0);
    for (int job = 0; job < 20000; ++job) {
        std::atomic<int64_t> sum{0};
        const int count = 1 + job % 37;
        team.forEach(count, 1 + job % 3, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i)
                sum.fetch_add(i + job);
        });
        sums[size_t(job)] = sum.load();
        const int64_t expected = int64_t(count) * (count - 1) / 2 + int64_t(count) * job;
        if (sums[size_t(job)] != expected)
            QFAIL(qPrintable(
                QStringLiteral("job %1: %2 != %3").arg(job).arg(sums[size_t(job)]).arg(expected)));
    }
}

void TestWorkTeam::teamThreadsShareTheWork() {
    WorkTeam team(2);
    std::mutex mutex;
    std::set<std::thread::id> seen;
    // Slow enough items that the second thread wakes before the caller finishes them all.
    for (int attempt = 0; attempt < 50 && seen.size() < 2; ++attempt)
        team.forEach(64, 1, [&](int64_t, int64_t) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            std::lock_guard<std::mutex> lock(mutex);
            seen.insert(std::this_thread::get_id());
        });
    QCOMPARE(int(seen.size()), 2);
}

// A thread that polled for longer than the team's spin time without a job sleeps; the next
// job must wake it (the caller notifies only sleeping threads; polling ones see the job).
void TestWorkTeam::sleepingThreadsAreWoken() {
    WorkTeam team(2);
    std::mutex mutex;
    std::set<std::thread::id> seen;
    for (int attempt = 0; attempt < 20 && seen.size() < 2; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // far beyond the polling
        team.forEach(64, 1, [&](int64_t, int64_t) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            std::lock_guard<std::mutex> lock(mutex);
            seen.insert(std::this_thread::get_id());
        });
    }
    QCOMPARE(int(seen.size()), 2);
}

QTEST_GUILESS_MAIN(TestWorkTeam)
#include "test_work_team.moc"
