// SPDX-License-Identifier: GPL-3.0-or-later
// The two-level grouping behind pruned D^2 sampling (core/selection/pattern_groups.h): on the
// 8-bit rows it assigns every row to a centre within the rounding error of its nearest, and
// the same pool gives the same groups and centres on any number of threads.
#include "selection/int8_kernels.h"
#include "selection/packed_query_dots.h"
#include "selection/pattern_groups.h"
#include "support/synthetic_pool.h"

#include <QtTest>
#include <cmath>

using namespace freesel;
using namespace freesel::testing;

namespace {

/// Unit rows of a clustered pool and their offset-binary codes with scales, in row order.
struct CodedRows {
    int dims = 0;
    int64_t count = 0;
    std::vector<float> values, scales;
    std::vector<uint8_t> codes;
    GroupingRows floatsOnly() const { return {values.data(), nullptr, nullptr, dims}; }
    GroupingRows withCodes() const { return {values.data(), codes.data(), scales.data(), dims}; }
    GroupingRows codesOnly() const { return {nullptr, codes.data(), scales.data(), dims}; }
};

CodedRows codedRows(int images, int dims, uint64_t seed) {
    ConceptSpread spread;
    spread.rank = 6;
    spread.noise = 0.3;
    spread.along = 0.6;
    const PatternPool pool = makeClusteredPool(images, dims, 9, 4, spread, seed);
    CodedRows rows;
    rows.dims = dims;
    rows.count = pool.patternCount();
    rows.values.resize(size_t(rows.count) * dims);
    rows.codes.resize(size_t(rows.count) * dims);
    rows.scales.resize(rows.count);
    for (int64_t r = 0; r < rows.count; ++r) {
        const float* source = pool.pattern(r);
        double norm = 0.0;
        for (int k = 0; k < dims; ++k)
            norm += double(source[k]) * source[k];
        float* row = &rows.values[size_t(r) * dims];
        for (int k = 0; k < dims; ++k)
            row[k] = static_cast<float>(source[k] / std::sqrt(norm));
        rows.scales[r] = quantiseRow(row, dims, &rows.codes[size_t(r) * dims]).scale;
    }
    return rows;
}

} // namespace

class TestPatternGroups : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void codesAssignEachRowNearItsNearestCentre();
    void groupsDoNotDependOnThreads_data();
    void groupsDoNotDependOnThreads();
};

void TestPatternGroups::codesAssignEachRowNearItsNearestCentre() {
    if (!packedQueryDotsAreFast())
        QSKIP("this CPU has no AVX512-VNNI: grouping assigns rows on the float rows");
    const CodedRows rows = codedRows(1500, 64, 41);
    const PatternGroups groups =
        groupPatterns(rows.withCodes(), rows.count, DistanceMetric::Cosine, 48, 2);
    QVERIFY(groups.topCount > 1);
    // Within its top, each row's group centre is the nearest but for rounding: 8-bit rows and
    // centres err by at most ~1% of their norm each at 64 dimensions, so the dots by ~0.02.
    int exactlyNearest = 0;
    for (int64_t r = 0; r < rows.count; ++r) {
        const float* row = &rows.values[size_t(r) * rows.dims];
        const int g = groups.groupOf[size_t(r)];
        const int top = static_cast<int>(
            std::upper_bound(groups.topGroupStart.begin(), groups.topGroupStart.end(), g) -
            groups.topGroupStart.begin() - 1);
        double best = -2.0;
        for (int other = groups.topGroupStart[top]; other < groups.topGroupStart[top + 1]; ++other)
            best = std::max(
                best, dotInDouble(row, &groups.centres[size_t(other) * rows.dims], rows.dims));
        const double mine = dotInDouble(row, &groups.centres[size_t(g) * rows.dims], rows.dims);
        QVERIFY2(mine >= best - 0.03,
                 qPrintable(QStringLiteral("row %1: %2 against %3").arg(r).arg(mine).arg(best)));
        exactlyNearest += mine == best;
    }
    QVERIFY(exactlyNearest > rows.count * 9 / 10); // rounding decides only near-ties
}

void TestPatternGroups::groupsDoNotDependOnThreads_data() {
    QTest::addColumn<int>("source"); // 0 floats, 1 floats and codes, 2 codes only
    QTest::newRow("float rows") << 0;
    QTest::newRow("float rows and codes") << 1;
    QTest::newRow("codes only (rows on file)") << 2;
}

void TestPatternGroups::groupsDoNotDependOnThreads() {
    QFETCH(int, source);
    // 20,000 rows x 64: enough that the centre sums and the assignment run on the threads.
    const CodedRows rows = codedRows(8000, 64, 43);
    const GroupingRows input = source == 0   ? rows.floatsOnly()
                               : source == 1 ? rows.withCodes()
                                             : rows.codesOnly();
    const PatternGroups one = groupPatterns(input, rows.count, DistanceMetric::Cosine, 40, 1);
    for (int threads : {2, 3}) {
        const PatternGroups many =
            groupPatterns(input, rows.count, DistanceMetric::Cosine, 40, threads);
        QCOMPARE(many.groupOf, one.groupOf);
        QCOMPARE(many.centres, one.centres); // bit for bit: sums in member order
        QCOMPARE(many.topCentres, one.topCentres);
        QCOMPARE(many.topGroupStart, one.topGroupStart);
    }
}

QTEST_GUILESS_MAIN(TestPatternGroups)
#include "test_pattern_groups.moc"
