// SPDX-License-Identifier: GPL-3.0-or-later
// Bounds of pruned D^2 sampling (docs/ALGORITHM.md section 6): projection bounds
// (core/selection/group_projections.h) have orthonormal directions, never fall below a true
// dot, and select bit for bit what selection without them selects, with less work; a group's
// loose rows are still reached by queries that only their own bounds admit.
#include "selection/distance_sampling.h"
#include "selection/group_projections.h"
#include "support/synthetic_pool.h"

#include <QtTest>
#include <cmath>

using namespace freesel;
using namespace freesel::testing;

namespace {

/// `count` unit rows of `dims` floats near a random direction, varying in a `rank`-dimensional
/// subspace plus isotropic noise of size `noise` (Gaussian, seeded).
std::vector<float> unitRows(int count, int dims, int rank, double noise, uint64_t seed) {
    Gaussian gaussian(seed);
    std::vector<double> centre(dims), basis(size_t(rank) * dims);
    for (double& v : centre)
        v = gaussian.next();
    for (double& v : basis)
        v = gaussian.next() * 0.5;
    std::vector<float> rows(size_t(count) * dims);
    for (int i = 0; i < count; ++i) {
        std::vector<double> row = centre;
        for (int r = 0; r < rank; ++r) {
            const double z = gaussian.next();
            for (int k = 0; k < dims; ++k)
                row[k] += z * basis[size_t(r) * dims + k];
        }
        double norm = 0.0;
        for (int k = 0; k < dims; ++k) {
            row[k] += noise * gaussian.next();
            norm += row[k] * row[k];
        }
        for (int k = 0; k < dims; ++k)
            rows[size_t(i) * dims + k] = static_cast<float>(row[k] / std::sqrt(norm));
    }
    return rows;
}

std::vector<float> meanDirection(const std::vector<float>& rows, int dims) {
    std::vector<double> sum(dims, 0.0);
    for (size_t i = 0; i < rows.size(); ++i)
        sum[i % dims] += rows[i];
    double norm = 0.0;
    for (double v : sum)
        norm += v * v;
    std::vector<float> centre(dims);
    for (int k = 0; k < dims; ++k)
        centre[k] = static_cast<float>(sum[k] / std::sqrt(norm));
    return centre;
}

/// The group directions of `count` unit rows around their mean direction.
std::vector<float> directionsOf(const std::vector<float>& rows, int count, int dims) {
    const std::vector<float> centre = meanDirection(rows, dims);
    std::vector<float> u(size_t(kProjectionWidth) * dims);
    groupDirections(GroupingRows{rows.data(), nullptr, nullptr, dims}, 0, count, centre.data(),
                    kProjectionWidth, u.data());
    return u;
}

} // namespace

class TestProjectionBounds : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void directionsAreOrthonormalAndStartAtTheCentre();
    void boundNeverFallsBelowTheTrueDot();
    void lowRankRowsLeaveNothingOver();
    void manyRowsProjectAsOne();
    void selectionIsUnchangedAndCheaper_data();
    void selectionIsUnchangedAndCheaper();
    void looseRowsAreReachedFromAfar();
};

void TestProjectionBounds::directionsAreOrthonormalAndStartAtTheCentre() {
    const int dims = 48, count = 200;
    const std::vector<float> rows = unitRows(count, dims, 6, 0.2, 3);
    const std::vector<float> centre = meanDirection(rows, dims);
    std::vector<float> u(size_t(kProjectionWidth) * dims);
    groupDirections(GroupingRows{rows.data(), nullptr, nullptr, dims}, 0, count, centre.data(),
                    kProjectionWidth, u.data());
    for (int k = 0; k < dims; ++k)
        QVERIFY(std::abs(u[k] - centre[k]) < 1e-6);
    for (int i = 0; i < kProjectionWidth; ++i)
        for (int j = 0; j < kProjectionWidth; ++j) {
            const double expected = i == j ? 1.0 : 0.0;
            QVERIFY2(std::abs(dotInDouble(&u[size_t(i) * dims], &u[size_t(j) * dims], dims) -
                              expected) < 1e-6,
                     qPrintable(QStringLiteral("directions %1, %2").arg(i).arg(j)));
        }
}

void TestProjectionBounds::boundNeverFallsBelowTheTrueDot() {
    // Rows of one group, queries from the same and from another spread: the bound
    // (Uq).(Ur) + |q_perp||r_perp| must hold in double for every pair, and the left-over norms
    // must be upper bounds of the true ones (1 - |Ur|^2 in double, U orthonormal).
    const int dims = 64, count = 300;
    const std::vector<float> rows = unitRows(count, dims, 20, 0.3, 7);
    const std::vector<float> others = unitRows(100, dims, 20, 0.3, 8);
    const std::vector<float> u = directionsOf(rows, count, dims);
    std::vector<float> a(size_t(count) * kProjectionWidth);
    std::vector<float> left(count);
    for (int i = 0; i < count; ++i) {
        left[i] = projectUnit(&rows[size_t(i) * dims], u.data(), kProjectionWidth, dims,
                              &a[size_t(i) * kProjectionWidth]);
        double captured = 0.0;
        for (int d = 0; d < kProjectionWidth; ++d) {
            const double c = dotInDouble(&rows[size_t(i) * dims], &u[size_t(d) * dims], dims);
            captured += c * c;
        }
        QVERIFY(left[i] >= std::sqrt(std::max(0.0, 1.0 - captured)));
    }
    int tight = 0;
    for (const std::vector<float>* queries : {&rows, &others})
        for (size_t q = 0; q < queries->size() / dims; q += 3) {
            float b[kProjectionWidth];
            const float* query = &(*queries)[q * dims];
            const float qLeft = projectUnit(query, u.data(), kProjectionWidth, dims, b);
            for (int i = 0; i < count; ++i) {
                const double bound =
                    dotInDouble(b, &a[size_t(i) * kProjectionWidth], kProjectionWidth) +
                    double(qLeft) * left[i];
                const double truth = dotInDouble(query, &rows[size_t(i) * dims], dims);
                QVERIFY2(bound >= truth - 1e-6,
                         qPrintable(QStringLiteral("bound %1 < dot %2").arg(bound).arg(truth)));
                tight += bound - truth < 0.1;
            }
        }
    QVERIFY(tight > 0); // and it is not trivially loose
}

void TestProjectionBounds::lowRankRowsLeaveNothingOver() {
    // Rows in a 5-dimensional subspace plus the centre: 16 directions hold them entirely.
    const int dims = 40, count = 100;
    const std::vector<float> rows = unitRows(count, dims, 5, 0.0, 11);
    const std::vector<float> centre = meanDirection(rows, dims);
    std::vector<float> u(size_t(kProjectionWidth) * dims), a(kProjectionWidth);
    groupDirections(GroupingRows{rows.data(), nullptr, nullptr, dims}, 0, count, centre.data(),
                    kProjectionWidth, u.data());
    for (int i = 0; i < count; ++i)
        QVERIFY(projectUnit(&rows[size_t(i) * dims], u.data(), kProjectionWidth, dims, a.data()) <
                0.05f); // only the rounding allowance: sqrt(5e-4) = 0.022
    // The directions past the span stay zero.
    for (int d = 7; d < kProjectionWidth; ++d)
        QCOMPARE(dotInDouble(&u[size_t(d) * dims], &u[size_t(d) * dims], dims), 0.0);
}

void TestProjectionBounds::manyRowsProjectAsOne() {
    // projectUnitRows (4 x 4 tiles, for a group's rows and an item's queries) gives each row the
    // coordinates and left-over bound that projectUnit gives it alone, up to float rounding:
    // 7 rows, so a full tile and a partial one.
    const int dims = 56, count = 7;
    const std::vector<float> rows = unitRows(count, dims, 9, 0.3, 13);
    const std::vector<float> u = directionsOf(rows, count, dims);
    std::vector<float> together(size_t(count) * kProjectionWidth), leftOvers(count);
    projectUnitRows(rows.data(), count, u.data(), kProjectionWidth, dims, together.data(),
                    leftOvers.data());
    for (int i = 0; i < count; ++i) {
        float alone[kProjectionWidth];
        const float left =
            projectUnit(&rows[size_t(i) * dims], u.data(), kProjectionWidth, dims, alone);
        QVERIFY(std::abs(leftOvers[i] - left) < 1e-5f);
        for (int d = 0; d < kProjectionWidth; ++d)
            QVERIFY2(std::abs(together[size_t(i) * kProjectionWidth + d] - alone[d]) < 1e-5f,
                     qPrintable(QStringLiteral("row %1, direction %2").arg(i).arg(d)));
    }
}

void TestProjectionBounds::selectionIsUnchangedAndCheaper_data() {
    QTest::addColumn<int>("rank");
    QTest::addColumn<double>("noise");
    QTest::addColumn<bool>("farthest");
    QTest::newRow("rank 8, little noise, D^2") << 8 << 0.05 << false;
    QTest::newRow("rank 8, little noise, FDS") << 8 << 0.05 << true;
    QTest::newRow("rank 12, no noise, D^2") << 12 << 0.0 << false; // bounds nearly exact
    QTest::newRow("isotropic, D^2") << 0 << 0.5 << false;
}

void TestProjectionBounds::selectionIsUnchangedAndCheaper() {
    QFETCH(int, rank);
    QFETCH(double, noise);
    QFETCH(bool, farthest);
    ConceptSpread spread;
    spread.rank = rank;
    spread.noise = noise;
    spread.along = rank > 0 ? 0.6 : 0.0;
    const PatternPool pool = makeClusteredPool(2500, 96, 12, 5, spread, 29);
    DistanceSamplingOptions without;
    without.rule = farthest ? SamplingRule::Farthest : SamplingRule::DSquared;
    without.projections = false;
    without.threads = 2;
    without.groups = 40; // groups of ~300 rows: the screen runs (it skips small groups)
    without.denseScan = DenseScan::Never; // the screen serves the pair-by-pair scan only
    DistanceSamplingOptions with = without;
    with.projections = true;
    DistanceSamplingStats withoutStats, withStats;
    const auto a = distanceSampling(pool, 600, 5, without, &withoutStats);
    const auto b = distanceSampling(pool, 600, 5, with, &withStats);
    QCOMPARE(b.picks.size(), a.picks.size());
    for (size_t k = 0; k < a.picks.size(); ++k) {
        QCOMPARE(b.picks[k].image, a.picks[k].image);
        if (k > 0)
            QCOMPARE(b.picks[k].score, a.picks[k].score); // bit for bit
    }
    QCOMPARE(b.coverage, a.coverage);
    QCOMPARE(withStats.loweredDistances, withoutStats.loweredDistances);
    if (rank > 0) // low-rank spread: the projections must rule out most remaining pairs
        QVERIFY2(withStats.distanceEvaluations * 3 < withoutStats.distanceEvaluations,
                 qPrintable(QStringLiteral("%1 evaluations with projections, %2 without")
                                .arg(withStats.distanceEvaluations)
                                .arg(withoutStats.distanceEvaluations)));
}

void TestProjectionBounds::looseRowsAreReachedFromAfar() {
    // One group (groups = 1): 200 images around e1 (about 8 degrees off), an outlier r at 50
    // degrees towards e2 and an image Q at 55 degrees, 5 degrees from r. Image 0 is labelled; FDS
    // takes Q (the largest D), whose angle to the group centre (~55 degrees) the bounds of the
    // 200 near rows exclude: only r's own (loose) bounds admit it, and they must, since Q
    // lowers r's D from 1 - cos 50 to 1 - cos 5. The next pick is then a near row, not r.
    const int dims = 8, near = 200;
    Gaussian gaussian(41);
    std::vector<std::vector<std::vector<float>>> images;
    for (int i = 0; i < near; ++i) {
        std::vector<float> row(dims, 0.0f);
        row[0] = 1.0f;
        for (int k = 1; k < dims && i > 0; ++k) // image 0 (labelled) is e1 itself
            row[k] = static_cast<float>(0.05 * gaussian.next());
        images.push_back({row});
    }
    const auto at = [&](double degrees) {
        std::vector<float> row(dims, 0.0f);
        row[0] = static_cast<float>(std::cos(degrees * M_PI / 180.0));
        row[1] = static_cast<float>(std::sin(degrees * M_PI / 180.0));
        return std::vector<std::vector<float>>{row};
    };
    const int outlier = near, far = near + 1;
    images.push_back(at(50.0));
    images.push_back(at(55.0));
    const PatternPool pool = poolOfVectors(images);
    DistanceSamplingOptions naive;
    naive.rule = SamplingRule::Farthest;
    naive.pruning = false;
    naive.seedImages = {0};
    DistanceSamplingOptions pruned = naive;
    pruned.pruning = true;
    pruned.groups = 1;
    const auto a = distanceSampling(pool, 3, 1, naive);
    const auto b = distanceSampling(pool, 3, 1, pruned);
    QCOMPARE(a.picks.front().image, far);
    QVERIFY(a.picks[1].image != outlier); // Q covered r
    QVERIFY(std::abs(a.picks[0].score - (1.0 - std::cos(55.0 * M_PI / 180.0))) < 1e-3);
    for (size_t k = 0; k < a.picks.size(); ++k) {
        QCOMPARE(b.picks[k].image, a.picks[k].image);
        QCOMPARE(b.picks[k].score, a.picks[k].score);
    }
    QCOMPARE(b.coverage, a.coverage);
}

QTEST_GUILESS_MAIN(TestProjectionBounds)
#include "test_projection_bounds.moc"
