// A seed gives the same result whatever the thread count (ALGORITHM.md section 6).
#include "distance_sampling.h"
#include "pool_patterns.h"
#include "selection.h"
#include "synthetic_pool.h"

#include <QtTest>

using namespace freesel;
using namespace freesel::testing;

namespace {

/// A random image: attention peaked on a few blobs, tokens clustered by blob.
ImageFeatures randomImage(int index, int dims) {
    Gaussian gaussian(1000 + index);
    ImageFeatures image;
    image.grid = {8, 8};
    image.dims = dims;
    const int n = image.grid.size();
    image.clsAttention.resize(n);
    for (float& a : image.clsAttention)
        a = static_cast<float>(std::exp(2.0 * gaussian.next()));
    image.patchTokens.resize(static_cast<size_t>(n) * dims);
    for (float& t : image.patchTokens)
        t = static_cast<float>(gaussian.next());
    std::vector<float> dense(static_cast<size_t>(n) * n);
    for (float& a : dense)
        a = static_cast<float>(gaussian.random().uniform01());
    image.neighbourhood = NeighbourhoodAttention::fromDense(dense.data(), image.grid, 3);
    return image;
}

} // namespace

class TestDeterminism : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void patternStageIsThreadCountIndependent();
    void everyStrategyIsThreadCountIndependent_data();
    void everyStrategyIsThreadCountIndependent();
    void groupCountChangesNothing();
};

void TestDeterminism::patternStageIsThreadCountIndependent() {
    PatternParameters params;
    params.tau = 0.6;
    params.clusters = 4;
    auto fetch = [](int i) { return randomImage(i, 16); };
    const PatternPool one = computePoolPatterns(300, fetch, params, 77, 1);
    const PatternPool two = computePoolPatterns(300, fetch, params, 77, 2);
    QCOMPARE(one.imageCount(), 300);
    QCOMPARE(two.patternCount(), one.patternCount());
    QVERIFY(one.patternCount() > 600); // most images really have several patterns
    for (int64_t r = 0; r < one.patternCount(); ++r)
        for (int k = 0; k < one.dims(); ++k)
            QCOMPARE(two.pattern(r)[k], one.pattern(r)[k]);
}

void TestDeterminism::everyStrategyIsThreadCountIndependent_data() {
    QTest::addColumn<int>("strategy");
    for (auto kind : {StrategyKind::FreeSel, StrategyKind::Fds, StrategyKind::Random,
                      StrategyKind::KCenter, StrategyKind::KMeans})
        QTest::newRow(strategyName(kind).c_str()) << int(kind);
}

void TestDeterminism::everyStrategyIsThreadCountIndependent() {
    QFETCH(int, strategy);
    const auto strategyObject = makeSelectionStrategy(StrategyKind(strategy));
    const PatternPool pool =
        makeClusteredPool(2000, 32, 20, strategyObject->usesPatterns() ? 5 : 1, 0.5, 8);
    SelectionRequest request;
    request.budget = 300;
    request.seed = 123;
    request.threads = 1;
    const SelectionResult one = strategyObject->select(pool, request);
    request.threads = 2;
    const SelectionResult two = strategyObject->select(pool, request);
    QCOMPARE(imagesOf(two), imagesOf(one));
    for (size_t k = 0; k < one.picks.size(); ++k)
        QVERIFY(one.picks[k].score == two.picks[k].score ||
                (std::isnan(one.picks[k].score) && std::isnan(two.picks[k].score)));
    QCOMPARE(two.coverage, one.coverage);
}

void TestDeterminism::groupCountChangesNothing() {
    const PatternPool pool = makeClusteredPool(1500, 32, 15, 5, 0.5, 9);
    DistanceSamplingOptions options;
    options.groups = 4;
    const auto few = distanceSampling(pool, 400, 5, options);
    options.groups = 200;
    const auto many = distanceSampling(pool, 400, 5, options);
    QCOMPARE(imagesOf(many), imagesOf(few));
    QCOMPARE(many.coverage, few.coverage);
}

QTEST_APPLESS_MAIN(TestDeterminism)
#include "test_determinism.moc"
