// SPDX-License-Identifier: GPL-3.0-or-later
// The selection's 8-bit prefilter (int8_kernels.h): raw sums are exact integers on every code
// path, and a quantised dot never strays from the true dot by more than the bound the sampler
// builds its margins from, |x - x^| |q| + |x^| |q - q^|, even on rows made to quantise badly.
#include "selection/int8_kernels.h"
#include "support/synthetic_pool.h"

#include <QtTest>
#include <cmath>
#include <vector>

using namespace freesel;
using namespace freesel::testing;

namespace {

std::vector<float> unitGaussian(Gaussian& gaussian, int dims) {
    std::vector<float> values(dims);
    double norm2 = 0.0;
    for (float& v : values) {
        v = float(gaussian.next());
        norm2 += double(v) * v;
    }
    for (float& v : values)
        v = float(v / std::sqrt(norm2));
    return values;
}

/// Rows that quantise badly or oddly: one huge component (the scale is set by it and every
/// other component rounds to a few codes), a constant row, a sparse row, a zero row.
std::vector<std::vector<float>> awkwardRows(Gaussian& gaussian, int dims) {
    std::vector<std::vector<float>> rows;
    std::vector<float> spike = unitGaussian(gaussian, dims);
    spike[size_t(dims / 2)] = 30.0f;
    rows.push_back(spike);
    rows.emplace_back(dims, 1.0f);
    std::vector<float> sparse(dims, 0.0f);
    sparse[0] = 0.6f;
    sparse[size_t(dims - 1)] = -0.8f;
    rows.push_back(sparse);
    rows.emplace_back(dims, 0.0f);
    for (auto& row : rows) { // unit length, as the sampler's rows are (the zero row stays 0)
        double norm2 = 0.0;
        for (float v : row)
            norm2 += double(v) * v;
        if (norm2 > 0.0)
            for (float& v : row)
                v = float(v / std::sqrt(norm2));
    }
    return rows;
}

} // namespace

class TestInt8Kernels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rawSumsAreExactOnEveryPath();
    void quantisingKeepsTheScaleAndMeasuresItsError();
    void quantisedDotStaysWithinTheBound();
};

void TestInt8Kernels::rawSumsAreExactOnEveryPath() {
    Gaussian gaussian(8);
    for (int dims : {1, 7, 63, 64, 65, 100, 384, 1000}) {
        std::vector<uint8_t> rows(size_t(4) * dims);
        std::vector<int8_t> queries(size_t(4) * dims);
        for (uint8_t& v : rows) // the extremes included: codes span [1, 255]
            v = uint8_t(1 + gaussian.random().uniformIndex(255));
        for (int8_t& v : queries)
            v = int8_t(int(gaussian.random().uniformIndex(255)) - 127);
        rows[0] = 255;
        queries[0] = -127;
        const uint8_t* a[4];
        const int8_t* b[4];
        for (int k = 0; k < 4; ++k) {
            a[k] = &rows[size_t(k) * dims];
            b[k] = &queries[size_t((k + 1) % 4) * dims];
        }
        int32_t fast[4], portable[4];
        rawDotsU8S8x4(a, b, dims, fast);
        rawDotsU8S8x4Portable(a, b, dims, portable);
        for (int k = 0; k < 4; ++k) {
            int64_t exact = 0;
            for (int i = 0; i < dims; ++i)
                exact += int64_t(a[k][i]) * int64_t(b[k][i]);
            QCOMPARE(int64_t(fast[k]), exact);
            QCOMPARE(int64_t(portable[k]), exact);
        }
    }
}

void TestInt8Kernels::quantisingKeepsTheScaleAndMeasuresItsError() {
    Gaussian gaussian(9);
    const int dims = 384;
    std::vector<float> row = unitGaussian(gaussian, dims);
    std::vector<uint8_t> codes(dims);
    const QuantisedRow q = quantiseRow(row.data(), dims, codes.data());
    double largest = 0.0, error2 = 0.0, norm2 = 0.0;
    for (int i = 0; i < dims; ++i)
        largest = std::max(largest, std::abs(double(row[size_t(i)])));
    QVERIFY(std::abs(q.scale - largest / 127.0) <= 1e-6 * largest);
    for (int i = 0; i < dims; ++i) {
        QVERIFY(codes[size_t(i)] >= 1); // offset binary: 128 + [-127, 127]
        const double restored = double(q.scale) * (int(codes[size_t(i)]) - 128);
        // each code is the nearest: the restored value is within half a step
        QVERIFY(std::abs(restored - row[size_t(i)]) <= 0.5001 * q.scale);
        error2 += (row[size_t(i)] - restored) * (row[size_t(i)] - restored);
        norm2 += restored * restored;
    }
    QVERIFY(std::abs(q.error - std::sqrt(error2)) <= 1e-4 * std::sqrt(error2) + 1e-9);
    QVERIFY(std::abs(q.norm - std::sqrt(norm2)) <= 1e-5);
    // The query side: signed codes whose sum is reported.
    std::vector<int8_t> queryCodes(dims);
    const QuantisedQuery query = quantiseQuery(row.data(), dims, queryCodes.data());
    int32_t sum = 0;
    for (int i = 0; i < dims; ++i) {
        sum += queryCodes[size_t(i)];
        QCOMPARE(int(queryCodes[size_t(i)]), int(codes[size_t(i)]) - 128);
    }
    QCOMPARE(query.codeSum, sum);
    QVERIFY(std::abs(query.error - q.error) <= 1e-6);
}

void TestInt8Kernels::quantisedDotStaysWithinTheBound() {
    Gaussian gaussian(10);
    for (int dims : {3, 64, 384, 768}) {
        std::vector<std::vector<float>> rows = awkwardRows(gaussian, dims);
        for (int r = 0; r < 40; ++r)
            rows.push_back(unitGaussian(gaussian, dims));
        // Near-duplicates: the pairs whose dots the prefilter must get right matter most.
        std::vector<float> near = rows.back();
        for (float& v : near)
            v += float(1e-3 * gaussian.next());
        rows.push_back(near);
        double worstUse = 0.0;
        for (const auto& x : rows) {
            std::vector<uint8_t> rowCodes(dims);
            const QuantisedRow qx = quantiseRow(x.data(), dims, rowCodes.data());
            for (const auto& y : rows) {
                std::vector<int8_t> queryCodes(dims);
                const QuantisedQuery qy = quantiseQuery(y.data(), dims, queryCodes.data());
                const uint8_t* a[4] = {rowCodes.data(), rowCodes.data(), rowCodes.data(),
                                       rowCodes.data()};
                const int8_t* b[4] = {queryCodes.data(), queryCodes.data(), queryCodes.data(),
                                      queryCodes.data()};
                int32_t raw[4];
                rawDotsU8S8x4(a, b, dims, raw);
                const double rough = quantisedDot(raw[0], qx.scale, qy);
                double exact = 0.0, normY = 0.0;
                for (int i = 0; i < dims; ++i) {
                    exact += double(x[size_t(i)]) * y[size_t(i)];
                    normY += double(y[size_t(i)]) * y[size_t(i)];
                }
                const double bound =
                    double(qx.error) * std::sqrt(normY) + double(qx.norm) * qy.error + 1e-6;
                QVERIFY2(std::abs(exact - rough) <= bound,
                         qPrintable(QStringLiteral("dims %1: |%2 - %3| > %4")
                                        .arg(dims)
                                        .arg(exact)
                                        .arg(rough)
                                        .arg(bound)));
                worstUse = std::max(worstUse, std::abs(exact - rough) / bound);
            }
        }
        // The bound is worth having: on these rows it is tight to within a factor of ~100,
        // not a blanket that would pass every pair to the exact path.
        QVERIFY2(worstUse > 0.01, qPrintable(QString::number(worstUse)));
    }
}

QTEST_GUILESS_MAIN(TestInt8Kernels)
#include "test_int8_kernels.moc"
