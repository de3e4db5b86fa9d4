// SPDX-License-Identifier: GPL-3.0-or-later
// Neighbourhood attention storage and the affinity of Eq. 3 (docs/ALGORITHM.md section 3).
#include "patterns/neighbourhood_affinity.h"
#include "util/random_stream.h"

#include <QtTest>

using namespace freesel;

namespace {

std::vector<float> randomAttention(int n, uint64_t seed) {
    RandomStream random(seed);
    std::vector<float> dense(static_cast<size_t>(n) * n);
    for (float& value : dense)
        value = static_cast<float>(random.uniform01());
    return dense;
}

} // namespace

class TestNeighbourhoodAffinity : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bandKeepsExactlyTheNeighbourhood();
    void affinityIsZeroBeyondEpsAndSymmetric();
    void affinityFollowsTheKeptOrderAndKeepsTheDiagonal();
    void refusesEpsOutsideTheStoredRadius();
};

void TestNeighbourhoodAffinity::bandKeepsExactlyTheNeighbourhood() {
    const PatchGrid grid{5, 6};
    const std::vector<float> dense = randomAttention(grid.size(), 1);
    const auto band = NeighbourhoodAttention::fromDense(dense.data(), grid, 2);
    for (int i = 0; i < grid.size(); ++i) {
        for (int j = 0; j < grid.size(); ++j) {
            const float expected = grid.chebyshev(i, j) <= 2 ? dense[i * grid.size() + j] : 0.0f;
            QCOMPARE(band.at(i, j), expected);
        }
    }
    QCOMPARE(band.values().size(), size_t(grid.size() * 25));
}

void TestNeighbourhoodAffinity::affinityIsZeroBeyondEpsAndSymmetric() {
    const PatchGrid grid{6, 6};
    const std::vector<float> dense = randomAttention(grid.size(), 2);
    const auto band = NeighbourhoodAttention::fromDense(dense.data(), grid, 3);
    std::vector<int> kept;
    for (int i = 0; i < grid.size(); i += 2) // every other patch
        kept.push_back(i);
    for (int eps = 1; eps <= 3; ++eps) {
        const Eigen::MatrixXd w = neighbourhoodAffinity(band, kept, eps);
        QCOMPARE(w.rows(), Eigen::Index(kept.size()));
        QVERIFY((w - w.transpose()).cwiseAbs().maxCoeff() == 0.0);
        for (size_t a = 0; a < kept.size(); ++a) {
            for (size_t b = 0; b < kept.size(); ++b) {
                const int i = kept[a], j = kept[b];
                if (grid.chebyshev(i, j) > eps) {
                    QCOMPARE(w(a, b), 0.0);
                } else {
                    const double expected =
                        0.5 * (double(dense[i * grid.size() + j]) + dense[j * grid.size() + i]);
                    QVERIFY(std::abs(w(a, b) - expected) < 1e-12);
                }
            }
        }
    }
}

void TestNeighbourhoodAffinity::affinityFollowsTheKeptOrderAndKeepsTheDiagonal() {
    // 2 x 2 grid, hand-checkable: Ap = [[1,2,3,4],[5,6,7,8],[9,10,11,12],[13,14,15,16]].
    const PatchGrid grid{2, 2};
    std::vector<float> dense(16);
    for (int k = 0; k < 16; ++k)
        dense[k] = float(k + 1);
    const auto band = NeighbourhoodAttention::fromDense(dense.data(), grid, 1);
    const Eigen::MatrixXd w = neighbourhoodAffinity(band, {0, 3}, 1);
    QCOMPARE(w(0, 0), 1.0);  // diagonal Ap_00
    QCOMPARE(w(1, 1), 16.0); // diagonal Ap_33
    QCOMPARE(w(0, 1), 8.5);  // (Ap_03 + Ap_30) / 2 = (4 + 13) / 2
    QCOMPARE(w(1, 0), 8.5);
}

void TestNeighbourhoodAffinity::refusesEpsOutsideTheStoredRadius() {
    const PatchGrid grid{3, 3};
    const std::vector<float> dense = randomAttention(grid.size(), 3);
    const auto band = NeighbourhoodAttention::fromDense(dense.data(), grid, 2);
    try {
        neighbourhoodAffinity(band, {0, 1}, 3);
        QFAIL("eps beyond the stored radius accepted");
    } catch (const std::invalid_argument& error) {
        QCOMPARE(QString::fromUtf8(error.what()), QStringLiteral("eps must be in [1, 2], got 3"));
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, neighbourhoodAffinity(band, {0}, 0));
}

QTEST_APPLESS_MAIN(TestNeighbourhoodAffinity)
#include "test_neighbourhood_affinity.moc"
