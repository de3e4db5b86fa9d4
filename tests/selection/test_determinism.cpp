// SPDX-License-Identifier: GPL-3.0-or-later
// A seed gives the same result whatever the thread count (docs/ALGORITHM.md section 6), and the
// whole `freesel select` run gives the same selection across runs, thread counts and batch
// sizes, with the offline backend and with a (small, generated) DINO ViT.
#include "patterns/pool_patterns.h"
#include "selection/distance_sampling.h"
#include "selection/selection.h"
#include "support/cli_test_support.h"
#include "support/scene_pool.h"
#include "support/synthetic_pool.h"

#include <QJsonArray>
#include <QtTest>

#include <random>

using namespace freesel;
using namespace freesel::testing;

namespace {

/// A 2-block ViT (patch 16, width 64, one head, 4 x 4 position grid) with seeded random weights,
/// in safetensors layout, DINO's key names: small enough to run in a test, real enough that
/// batching and threading go through the same kernels as ViT-S/16.
QByteArray smallVitSafetensors(unsigned seed) {
    constexpr int d = 64, hidden = 128, patch = 16, positions = 17, depth = 2;
    std::vector<std::pair<QString, QVector<int>>> tensors = {
        {QStringLiteral("cls_token"), {1, 1, d}},
        {QStringLiteral("pos_embed"), {1, positions, d}},
        {QStringLiteral("patch_embed.proj.weight"), {d, 3, patch, patch}},
        {QStringLiteral("patch_embed.proj.bias"), {d}},
        {QStringLiteral("norm.weight"), {d}},
        {QStringLiteral("norm.bias"), {d}}};
    for (int b = 0; b < depth; ++b) {
        const QString p = QStringLiteral("blocks.%1.").arg(b);
        for (const auto& [name, shape] : std::vector<std::pair<QString, QVector<int>>>{
                 {QStringLiteral("norm1.weight"), {d}},
                 {QStringLiteral("norm1.bias"), {d}},
                 {QStringLiteral("attn.qkv.weight"), {3 * d, d}},
                 {QStringLiteral("attn.qkv.bias"), {3 * d}},
                 {QStringLiteral("attn.proj.weight"), {d, d}},
                 {QStringLiteral("attn.proj.bias"), {d}},
                 {QStringLiteral("norm2.weight"), {d}},
                 {QStringLiteral("norm2.bias"), {d}},
                 {QStringLiteral("mlp.fc1.weight"), {hidden, d}},
                 {QStringLiteral("mlp.fc1.bias"), {hidden}},
                 {QStringLiteral("mlp.fc2.weight"), {d, hidden}},
                 {QStringLiteral("mlp.fc2.bias"), {d}}})
            tensors.push_back({p + name, shape});
    }
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.08f);
    QJsonObject header;
    QByteArray data;
    for (const auto& [name, shape] : tensors) {
        qint64 count = 1;
        QJsonArray dims;
        for (int extent : shape) {
            count *= extent;
            dims.append(extent);
        }
        const bool isNormScale = name.endsWith(QLatin1String("norm1.weight")) ||
                                 name.endsWith(QLatin1String("norm2.weight")) ||
                                 name == QLatin1String("norm.weight");
        const qint64 begin = data.size();
        for (qint64 i = 0; i < count; ++i) {
            const float value = isNormScale ? 1.0f + normal(rng) : normal(rng);
            data.append(reinterpret_cast<const char*>(&value), sizeof value);
        }
        header.insert(name, QJsonObject{{QStringLiteral("dtype"), QStringLiteral("F32")},
                                        {QStringLiteral("shape"), dims},
                                        {QStringLiteral("data_offsets"),
                                         QJsonArray{double(begin), double(data.size())}}});
    }
    const QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    QByteArray length(8, '\0');
    qToLittleEndian(quint64(json.size()), length.data());
    return length + json + data;
}

} // namespace

class TestDeterminism : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void patternStageIsThreadCountIndependent();
    void everyStrategyIsThreadCountIndependent_data();
    void everyStrategyIsThreadCountIndependent();
    void groupCountChangesNothing();
    void treeUpdatedOnThreadsDrawsAsOnOne();
    void wholeRunIsReproducible_data();
    void wholeRunIsReproducible();
};

void TestDeterminism::patternStageIsThreadCountIndependent() {
    PatternParameters params;
    params.tau = 0.6;
    params.clusters = 4;
    auto fetch = [](int i) { return randomFeatureImage(i, 16); };
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

/// The evaluating threads update the D^2 sum tree for the rows they lowered, all at once
/// (DistanceSampler::settleGroup, SumTree::setBelowSplit): over 24,000 rows, of which the
/// early lowerings move most on both threads, 2 and 3 threads must draw exactly what one
/// thread draws, and what the float64 reference draws.
void TestDeterminism::treeUpdatedOnThreadsDrawsAsOnOne() {
    const PatternPool pool = makeClusteredPool(6000, 16, 12, 4, 0.5, 29, true);
    std::vector<SelectionResult> results;
    for (int threads : {1, 2, 3}) {
        DistanceSamplingOptions options;
        options.threads = threads;
        results.push_back(distanceSampling(pool, 120, 11, options));
    }
    const auto reference = referenceDistanceSampling(pool, 120, 11, false, true);
    QCOMPARE(results[0].picks.size(), reference.size());
    for (size_t k = 0; k < reference.size(); ++k)
        QCOMPARE(results[0].picks[k].image, reference[k].image);
    for (size_t r = 1; r < results.size(); ++r) {
        QCOMPARE(imagesOf(results[r]), imagesOf(results[0]));
        for (size_t k = 1; k < results[0].picks.size(); ++k) // the first pick's score is NaN
            QCOMPARE(results[r].picks[k].score, results[0].picks[k].score);
        QCOMPARE(results[r].coverage, results[0].coverage);
    }
}

void TestDeterminism::wholeRunIsReproducible_data() {
    QTest::addColumn<QString>("backend");
    QTest::newRow("offline") << QStringLiteral("offline");
    QTest::newRow("dino (generated ViT)") << QStringLiteral("dino");
}

void TestDeterminism::wholeRunIsReproducible() {
    QFETCH(QString, backend);
    QTemporaryDir dir;
    const QString pool = scenepool::writePool(dir, 20, 128, 96, true);
    const QString weights = dir.filePath(QStringLiteral("vit.safetensors"));
    QVERIFY(clitest::writeFile(weights, smallVitSafetensors(21)));
    // (batch size, threads), the first twice: runs, batch sizes and thread counts all vary.
    const std::vector<std::pair<int, int>> runs = {{1, 1}, {4, 2}, {7, 1}, {1, 1}, {20, 2}};
    QStringList reference;
    for (size_t r = 0; r < runs.size(); ++r) {
        const QString out = dir.filePath(QStringLiteral("run%1.csv").arg(r));
        QStringList arguments = {
            QStringLiteral("select"),       pool,
            QStringLiteral("--store"),      dir.filePath(QStringLiteral("store%1").arg(r)),
            QStringLiteral("--backend"),    backend,
            QStringLiteral("--input-size"), QStringLiteral("64"),
            QStringLiteral("--batch-size"), QString::number(runs[r].first),
            QStringLiteral("--threads"),    QString::number(runs[r].second),
            QStringLiteral("--budget"),     QStringLiteral("8"),
            QStringLiteral("--seed"),       QStringLiteral("17"),
            QStringLiteral("--format"),     QStringLiteral("csv"),
            QStringLiteral("--out"),        out};
        if (backend == QLatin1String("dino"))
            arguments << QStringLiteral("--weights") << weights << QStringLiteral("--device")
                      << QStringLiteral("cpu");
        const clitest::Run run = clitest::runFreesel(arguments);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QStringList rows = clitest::readLines(out); // ranks, scores to the last digit
        QCOMPARE(rows.size(), 21);
        if (r == 0)
            reference = rows;
        else
            QVERIFY2(rows == reference,
                     qPrintable(QStringLiteral("batch %1, threads %2 differs from batch 1, threads "
                                               "1")
                                    .arg(runs[r].first)
                                    .arg(runs[r].second)));
    }
}

QTEST_GUILESS_MAIN(TestDeterminism)
#include "test_determinism.moc"
