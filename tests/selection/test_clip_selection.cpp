// SPDX-License-Identifier: GPL-3.0-or-later
// CLIP-powered selection scores (docs/ALGORITHM.md sections C3-C5) on hand-checkable embeddings,
// the exact top-k, and the replay of the official optimiser against it.
#include "selection/clip_search.h"
#include "selection/clip_selection.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace freesel;

class TestClipSelection : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void scoresByHand();
    void diversityGroupsByLabelNotByIndex();
    void imageAdapterOnTheImageSide();
    void normalisationEdgeCases();
    void topKBreaksTiesByIndex();
    void optimiserKeepsTheTopKSet();
    void optimiserLowRatioException();
    void zeroShotLabelsPickTheNearestClass();
    void badInputsAreNamed();
    void searchRanksByCosine();
};

namespace {

Eigen::MatrixXf rows(std::initializer_list<std::pair<float, float>> values) {
    Eigen::MatrixXf m(Eigen::Index(values.size()), 2);
    Eigen::Index r = 0;
    for (const auto& [x, y] : values)
        m.row(r++) << x, y;
    return m;
}

} // namespace

void TestClipSelection::scoresByHand() {
    // Classes along the axes; image 3 shows class 0 but carries label 1 (label noise).
    const Eigen::MatrixXf texts = rows({{1, 0}, {0, 1}});
    const Eigen::MatrixXf images = rows({{2, 0}, {0, 3}, {1, 1}, {3, 0}, {0, 4}});
    const std::vector<int> labels{0, 1, 0, 1, 1};
    const ClipScores s = clipScores(images, texts, labels, {2, 0.1, {}, {}, false}); // K = 2
    const std::vector<double> sas{1.0, 1.0, std::sqrt(0.5), 0.0, 1.0};
    // Label 0: images 0 and 2 are sqrt(2) apart. Label 1: 1-4 at 1, 1-3 at sqrt(18), 3-4 at 5.
    const std::vector<double> sds{std::sqrt(2.0), 1.0, std::sqrt(2.0), std::sqrt(18.0), 1.0};
    for (size_t i = 0; i < 5; ++i) {
        QVERIFY(std::abs(s.sas[i] - sas[i]) < 1e-6);
        QVERIFY(std::abs(s.sds[i] - sds[i]) < 1e-5);
        QVERIFY(std::abs(s.alignment[i] - sas[i]) < 1e-6); // SAS already spans [0, 1]
        const double dv = (sds[i] - 1.0) / (std::sqrt(18.0) - 1.0);
        QVERIFY(std::abs(s.diversity[i] - dv) < 1e-5);
    }
    double meanS = 0, meanDv = 0;
    for (size_t i = 0; i < 5; ++i) {
        meanS += sas[i] / 5;
        meanDv += (sds[i] - 1.0) / (std::sqrt(18.0) - 1.0) / 5;
    }
    for (size_t i = 0; i < 5; ++i) {
        const double a = sas[i] / meanS + 0.1 * ((sds[i] - 1.0) / (std::sqrt(18.0) - 1.0)) / meanDv;
        QVERIFY(std::abs(s.combined[i] - a) < 1e-5);
    }
    // The mislabelled image ranks last.
    QCOMPARE(topKByScore(s.combined, 5).back(), 3);
}

void TestClipSelection::diversityGroupsByLabelNotByIndex() {
    // With K = 3 each image averages its 2 nearest of the same label. Contiguous blocks of 3
    // (the official code's grouping) would mix labels here; the label groups are {0,2,4} and
    // {1,3,5}, each three points 1 apart on a line.
    const Eigen::MatrixXf texts = rows({{1, 0}, {0, 1}});
    const Eigen::MatrixXf images = rows({{10, 0}, {0, 10}, {11, 0}, {0, 11}, {12, 0}, {0, 12}});
    const ClipScores s = clipScores(images, texts, {0, 1, 0, 1, 0, 1}, {3, 0.1, {}, {}, false});
    const std::vector<double> expected{1.5, 1.5, 1.0, 1.0, 1.5, 1.5};
    for (size_t i = 0; i < 6; ++i)
        QVERIFY2(std::abs(s.sds[i] - expected[i]) < 1e-5, qPrintable(QString::number(s.sds[i])));
    // K larger than a label clamps to the label's size; a lone image has no neighbours.
    const ClipScores big =
        clipScores(images.topRows(3), texts, {0, 1, 0}, {50, 0.1, {}, {}, false});
    QVERIFY(std::abs(big.sds[0] - 1.0) < 1e-5);
    QCOMPARE(big.sds[1], 0.0);
}

void TestClipSelection::imageAdapterOnTheImageSide() {
    // A_I swaps the two coordinates, A_T doubles them: SAS compares A_I f with A_T t.
    const Eigen::MatrixXf texts = rows({{1, 0}, {0, 1}});
    const Eigen::MatrixXf images = rows({{3, 0}, {0, 2}});
    ClipScoreParams params{2, 0.1, {}, {}, false};
    params.imageAdapter.weight = rows({{0, 1}, {1, 0}});
    params.textAdapter.weight = rows({{2, 0}, {0, 2}});
    params.textAdapter.bias = Eigen::VectorXf::Zero(2);
    const ClipScores paper = clipScores(images, texts, {0, 0}, params);
    QVERIFY(std::abs(paper.sas[0] - 0.0) < 1e-6); // swapped: (0, 3) against (2, 0)
    QVERIFY(std::abs(paper.sas[1] - 1.0) < 1e-6); // (2, 0) against (2, 0)
    // The official aliasing puts A_T on the images too: the swap disappears.
    params.officialAdapterAliasing = true;
    const ClipScores official = clipScores(images, texts, {0, 0}, params);
    QVERIFY(std::abs(official.sas[0] - 1.0) < 1e-6);
    QVERIFY(std::abs(official.sas[1] - 0.0) < 1e-6);
    // SDS is measured on the adapted images: A_T doubles the distance sqrt(13).
    QVERIFY(std::abs(official.sds[0] - 2.0 * std::sqrt(13.0)) < 1e-5);
    QVERIFY(std::abs(paper.sds[0] - std::sqrt(13.0)) < 1e-5);
    params.imageAdapter.weight = Eigen::MatrixXf::Identity(3, 3);
    params.officialAdapterAliasing = false;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, clipScores(images, texts, {0, 0}, params));
}

void TestClipSelection::normalisationEdgeCases() {
    QCOMPARE(minMaxNormalise({3, 3, 3}), (std::vector<double>{1, 1, 1}));
    QCOMPARE(minMaxNormalise({1, 3, 2}), (std::vector<double>{0, 1, 0.5}));
    // A term whose mean is 0 contributes nothing (no division by zero).
    QCOMPARE(combinedScores({1, 0}, {0, 0}, 0.1), (std::vector<double>{2, 0}));
}

void TestClipSelection::topKBreaksTiesByIndex() {
    QCOMPARE(topKByScore({1, 2, 2, 0, 2}, 2), (std::vector<int>{1, 2}));
    QCOMPARE(topKByScore({1, 2, 2, 0, 2}, 9), (std::vector<int>{1, 2, 4, 0, 3}));
    QCOMPARE(topKByScore({1, 2}, -1), std::vector<int>{});
}

void TestClipSelection::optimiserKeepsTheTopKSet() {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const size_t n = 2000;
    std::vector<double> s(n), dv(n);
    for (size_t i = 0; i < n; ++i) {
        s[i] = uniform(rng);
        dv[i] = uniform(rng);
    }
    const std::vector<double> a = combinedScores(s, dv, 0.1);
    for (int64_t k : {200, 1000, 1500}) {
        const OptimiserReplay replay = replayOfficialOptimiser(s, dv, k);
        QVERIFY(replay.converged);
        const auto kept = int64_t(replay.kept.size());
        QVERIFY2(std::abs(double(kept - k)) < 0.0005 * n, qPrintable(QString::number(kept)));
        std::vector<int> top = topKByScore(a, kept);
        std::sort(top.begin(), top.end());
        QCOMPARE(replay.kept, top);
    }
}

void TestClipSelection::optimiserLowRatioException() {
    // A sample with a_i >= 2 has a gradient that never lowers its weight while count > k, so
    // the official loop cannot drop it: at a ratio below their share it overshoots k.
    const size_t n = 1000;
    std::vector<double> s(n, 0.1), dv(n, 0.1);
    for (size_t i = 0; i < 100; ++i)
        s[i * 10] = dv[i * 10] = 1.0; // 100 samples with a = 1/0.19 + 0.1/0.19 > 2
    const std::vector<double> a = combinedScores(s, dv, 0.1);
    QVERIFY(a[0] >= 2.0);
    const OptimiserReplay replay = replayOfficialOptimiser(s, dv, 20, 0.1, 3000);
    QVERIFY(!replay.converged);
    QCOMPARE(replay.steps, 3000);
    QCOMPARE(replay.kept.size(), size_t(100));
    // The product's exact top-k keeps 20.
    QCOMPARE(topKByScore(a, 20).size(), size_t(20));
}

void TestClipSelection::zeroShotLabelsPickTheNearestClass() {
    const Eigen::MatrixXf texts = rows({{1, 0}, {0, 1}, {-1, 0}});
    const Eigen::MatrixXf images = rows({{5, 1}, {0.1f, 3}, {-2, 0.5f}, {1, 1}});
    QCOMPARE(zeroShotLabels(images, texts), (std::vector<int>{0, 1, 2, 0}));
}

void TestClipSelection::badInputsAreNamed() {
    const Eigen::MatrixXf texts = rows({{1, 0}, {0, 1}});
    const Eigen::MatrixXf images = rows({{1, 0}, {0, 1}});
    try {
        clipScores(images, texts, {0, 2});
        QFAIL("label 2 of 2 classes accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("0..1")), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, clipScores(images, texts, {0}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             clipScores(images, texts, {0, 1}, {0, 0.1, {}, {}, false}));
}

void TestClipSelection::searchRanksByCosine() {
    // Query along x: cosines 1 (image 2, long), 1/sqrt(2) (0 and 3, a tie), 0 (4, zero), -1.
    const Eigen::MatrixXf images = rows({{1, 1}, {-1, 0}, {5, 0}, {2, 2}, {0, 0}});
    const std::vector<SearchHit> hits = searchByEmbedding(images, Eigen::Vector2f(3, 0), 4);
    QCOMPARE(hits.size(), size_t(4));
    const std::vector<int> order{hits[0].image, hits[1].image, hits[2].image, hits[3].image};
    QCOMPARE(order, (std::vector<int>{2, 0, 3, 4}));
    QVERIFY(std::abs(hits[1].cosine - std::sqrt(0.5)) < 1e-6);
    QCOMPARE(hits[3].cosine, 0.0);
    QCOMPARE(searchByEmbedding(images, Eigen::Vector2f(1, 0), 99).size(), size_t(5));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             searchByEmbedding(images, Eigen::Vector3f(1, 0, 0), 2));
}

QTEST_GUILESS_MAIN(TestClipSelection)
#include "test_clip_selection.moc"
