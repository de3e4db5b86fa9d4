// SPDX-License-Identifier: GPL-3.0-or-later
// The split of a pool into contiguous shares (MPI ranks) and the fixed-point sums that make
// draws independent of the split.
#include "distributed/contiguous_share.h"
#include "selection/sampling_tree.h"

#include <QtTest>
#include <stdexcept>

using namespace freesel;

class TestContiguousShare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sharesTileTheWholeInOrder();
    void sizesDifferByAtMostOne();
    void badSharesAreRefused();
    void fixedPointRoundsToTheQuantum();
    void sumsAndDrawsDoNotDependOnTheSplit();
};

void TestContiguousShare::sharesTileTheWholeInOrder() {
    for (int shares = 1; shares <= 7; ++shares)
        for (int64_t total : {0, 1, 5, 10, 11, 1000}) {
            int64_t next = 0;
            for (int s = 0; s < shares; ++s) {
                const ContiguousShare share = contiguousShare(total, shares, s);
                QCOMPARE(share.first, next);
                next += share.count;
            }
            QCOMPARE(next, total);
        }
}

void TestContiguousShare::sizesDifferByAtMostOne() {
    // 10 over 4: 3, 3, 2, 2 (the first 10 % 4 = 2 shares hold one more)
    const int64_t expected[] = {3, 3, 2, 2};
    for (int s = 0; s < 4; ++s)
        QCOMPARE(contiguousShare(10, 4, s).count, expected[s]);
}

void TestContiguousShare::badSharesAreRefused() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, contiguousShare(10, 0, 0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, contiguousShare(10, 4, 4));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, contiguousShare(10, 4, -1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, contiguousShare(-1, 4, 0));
}

void TestContiguousShare::fixedPointRoundsToTheQuantum() {
    // 4 values up to 8 sum below 2^62: scale = the largest power of two <= 2^62 / 32 = 2^57.
    const FixedPointScale fixed = FixedPointScale::forBound(8.0, 4);
    QCOMPARE(fixed.quantum(), std::ldexp(1.0, -57));
    QCOMPARE(fixed.quantise(1.0), uint64_t(1) << 57);
    QCOMPARE(fixed.quantise(0.0), uint64_t(0));
    QCOMPARE(fixed.quantise(std::ldexp(1.0, -59)), uint64_t(0)); // a quarter quantum: 0
    QCOMPARE(fixed.quantise(std::ldexp(3.0, -58)), uint64_t(2)); // 1.5 quanta: half to even
    QCOMPARE(fixed.value(fixed.quantise(0.75)), 0.75);
}

void TestContiguousShare::sumsAndDrawsDoNotDependOnTheSplit() {
    // Values whose float sums depend on the order (1e16 + 1 - 1e16): in fixed point the total
    // of two halves is the total of the whole, and the drawn leaf for any target is the same.
    const std::vector<double> values = {1e16, 1.0, 3.0, 1e-3, 7.0, 1e16, 2.0, 0.0};
    const FixedPointScale fixed = FixedPointScale::forBound(1e16, int64_t(values.size()));
    SumTree whole(int64_t(values.size())), left(4), right(4);
    for (size_t i = 0; i < values.size(); ++i) {
        whole.set(int64_t(i), fixed.quantise(values[i]));
        (i < 4 ? left : right).set(int64_t(i % 4), fixed.quantise(values[i]));
    }
    QCOMPARE(left.total() + right.total(), whole.total());
    for (uint64_t target : {uint64_t(0), left.total() - 1, left.total(), whole.total() - 1}) {
        const int64_t leaf = whole.findByMass(target);
        const int64_t split = target < left.total() ? left.findByMass(target)
                                                    : 4 + right.findByMass(target - left.total());
        QCOMPARE(split, leaf);
        QVERIFY(whole.weight(leaf) > 0);
    }
}

QTEST_APPLESS_MAIN(TestContiguousShare)
#include "test_contiguous_share.moc"
