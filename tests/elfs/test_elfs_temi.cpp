// SPDX-License-Identifier: GPL-3.0-or-later
// TEMI (docs/ALGORITHM.md section E1): the loss on a fixed batch equals the PyTorch reference
// written from that formula (tests/generate_temi_reference.py), and the heads recover planted
// clusters.
#include "elfs/temi_clustering.h"
#include "elfs/temi_reference.h"
#include "elfs/torch_threads.h"

#include <torch/torch.h>

#include <QtTest>

#include <map>
#include <random>
#include <set>

using namespace freesel;

namespace {

std::vector<torch::Tensor> heads(const float* values) {
    const torch::Tensor all =
        torch::from_blob(const_cast<float*>(values),
                         {temiref::kHeads, temiref::kBatch, temiref::kClasses})
            .to(torch::kFloat64);
    return all.unbind(0);
}

} // namespace

class TestElfsTemi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void lossMatchesThePyTorchReference() {
        std::vector<torch::Tensor> priors;
        const torch::Tensor all = torch::from_blob(const_cast<float*>(temiref::priors),
                                                   {temiref::kHeads, temiref::kClasses})
                                      .to(torch::kFloat64);
        for (int h = 0; h < temiref::kHeads; ++h)
            priors.push_back(all[h].clone());
        std::vector<torch::Tensor> headLosses;
        TemiOptions options; // beta 0.6, temperature 0.1, prior momentum 0.9
        const torch::Tensor loss =
            temiLoss(heads(temiref::studentA), heads(temiref::studentB), heads(temiref::teacherA),
                     heads(temiref::teacherB), priors, options, &headLosses);
        QVERIFY2(std::abs(loss.item<double>() - temiref::loss) < 1e-5,
                 qPrintable(QString::number(loss.item<double>(), 'g', 10)));
        for (int h = 0; h < temiref::kHeads; ++h) {
            QVERIFY(std::abs(headLosses[size_t(h)].item<double>() - temiref::headLosses[h]) < 1e-5);
            for (int k = 0; k < temiref::kClasses; ++k)
                QVERIFY(std::abs(priors[size_t(h)][k].item<double>() -
                                 temiref::newPriors[h * temiref::kClasses + k]) < 1e-6);
        }
    }

    void recoversPlantedClusters() {
        std::mt19937 engine(5);
        std::normal_distribution<float> normal;
        const int clusters = 3, per = 40, dims = 12;
        Eigen::MatrixXf centres(clusters, dims);
        for (int c = 0; c < clusters; ++c)
            for (int d = 0; d < dims; ++d)
                centres(c, d) = 4.0f * normal(engine);
        Eigen::MatrixXf rows(clusters * per, dims);
        for (int i = 0; i < rows.rows(); ++i)
            for (int d = 0; d < dims; ++d)
                rows(i, d) = centres(i / per, d) + 0.5f * normal(engine);
        TemiOptions options;
        options.clusters = clusters;
        options.heads = 4;
        options.epochs = 60;
        options.warmupEpochs = 2;
        options.batchSize = 40;
        options.neighbours = 10;
        options.hidden = 64;
        options.bottleneck = 32;
        options.baseLearningRate = 1e-2;
        options.seed = 3;
        options.threads = 1;
        const TemiResult result = temiClustering(rows, options);
        QCOMPARE(int(result.epochLoss.size()), options.epochs);
        QVERIFY(result.epochLoss.back() < result.epochLoss.front());
        std::map<int, std::set<int>> labelsOf;
        std::set<int> used;
        for (int i = 0; i < rows.rows(); ++i) {
            labelsOf[i / per].insert(result.labels[size_t(i)]);
            used.insert(result.labels[size_t(i)]);
        }
        for (const auto& [cluster, labels] : labelsOf)
            QVERIFY2(labels.size() == 1, qPrintable(QString::number(cluster)));
        QCOMPARE(int(used.size()), clusters);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, temiClustering(rows.topRows(2), options));
    }

    /// Seeded and the same whatever the thread count (LibTorch's and the BLAS pool's): at these
    /// widths the head products, the element-wise ops and the reductions are large enough to be
    /// split between threads.
    void sameLabelsAndLossesForOneTwoAndThreeThreads() {
        std::mt19937 engine(8);
        std::normal_distribution<float> normal;
        Eigen::MatrixXf rows(600, 64);
        for (int i = 0; i < rows.rows(); ++i)
            for (int d = 0; d < rows.cols(); ++d)
                rows(i, d) = float(i % 4 == d % 4) * 2.0f + normal(engine);
        TemiOptions options;
        options.clusters = 20;
        options.heads = 4;
        options.epochs = 3;
        options.warmupEpochs = 1;
        options.batchSize = 256;
        options.neighbours = 10;
        options.hidden = 128;
        options.bottleneck = 64;
        options.seed = 12;
        options.threads = 1;
        // The BLAS pool as a caller may have left it (the ViT backend sets it to 1) or sized it.
        const TemiResult one = [&] {
            BlasThreads callerPool(1);
            return temiClustering(rows, options);
        }();
        for (int threads : {2, 3}) {
            options.threads = threads;
            BlasThreads callerPool(threads);
            const TemiResult more = temiClustering(rows, options);
            QCOMPARE(more.epochLoss, one.epochLoss);
            QCOMPARE(more.labels, one.labels);
            QCOMPARE(more.bestHead, one.bestHead);
        }
        options.seed = 13;
        QVERIFY(temiClustering(rows, options).epochLoss != one.epochLoss);
    }
};

QTEST_APPLESS_MAIN(TestElfsTemi)
#include "test_elfs_temi.moc"
