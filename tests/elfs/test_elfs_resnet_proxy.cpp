// SPDX-License-Identifier: GPL-3.0-or-later
// The faithful ELFS proxy (docs/ALGORITHM.md section E2, --elfs-proxy resnet18): the CIFAR
// ResNet-18 has the reference network's shape and parameter count, trains on two planted visual
// classes (loss falls, scores finite), repeats itself from a seed on one thread, estimates its
// time, and the images are decoded and standardised at the chosen side.
#include "elfs/cifar_resnet.h"
#include "elfs/pixel_images.h"
#include "elfs/resnet_proxy.h"

#include <opencv2/imgcodecs.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <random>

using namespace freesel;

namespace {

/// `count` 16 x 16 images, half horizontal stripes (class 0), half vertical (class 1), with
/// noise; the labels follow the stripes.
PixelImages stripes(int count, std::vector<int>& labels, unsigned seed) {
    std::mt19937 engine(seed);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    PixelImages images;
    images.side = 16;
    images.images = count;
    labels.assign(size_t(count), 0);
    for (int i = 0; i < count; ++i) {
        labels[size_t(i)] = i % 2;
        for (int c = 0; c < 3; ++c)
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x) {
                    const int phase = (i % 2 == 0 ? y : x) / 2 % 2;
                    images.pixels.push_back(phase ? 1.0f : -1.0f + noise(engine));
                }
    }
    return images;
}

ResNetProxyOptions smallOptions() {
    ResNetProxyOptions options;
    options.epochs = 5;
    options.batchSize = 8;
    options.width = 8;
    options.padding = 2;
    options.learningRate = 0.05;
    options.seed = 11;
    options.threads = 1;
    options.device = "cpu";
    return options;
}

} // namespace

class TestElfsResNetProxy : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void networkHasTheReferenceShape() {
        // kuangliu/pytorch-cifar ResNet18() for 10 classes: 11,173,962 parameters.
        CifarResNet18 net(10);
        int64_t parameters = 0;
        for (const torch::Tensor& p : net->parameters())
            parameters += p.numel();
        QCOMPARE(parameters, int64_t(11173962));
        net->eval();
        torch::NoGradGuard noGrad;
        QCOMPARE(net->forward(torch::zeros({2, 3, 32, 32})).sizes().vec(),
                 (std::vector<int64_t>{2, 10}));
        QCOMPARE(CifarResNet18(3, 8)->forward(torch::zeros({1, 3, 16, 16})).size(1), int64_t(3));
    }

    void trainsOnPlantedClassesReproducibly() {
        std::vector<int> labels;
        const PixelImages images = stripes(32, labels, 4);
        const ResNetProxyOptions options = smallOptions();
        int epochs = 0;
        const ProxyReport report = trainResNetProxy(
            images, labels, 2, options, [&](const ProxyEpoch&) { return ++epochs > 0; });
        QCOMPARE(epochs, 5);
        QCOMPARE(int(report.curve.size()), 5);
        QVERIFY2(report.curve.back().loss < report.curve.front().loss,
                 qPrintable(QStringLiteral("%1 -> %2")
                                .arg(report.curve.front().loss)
                                .arg(report.curve.back().loss)));
        QCOMPARE(int(report.scores.aum.size()), 32);
        for (int i = 0; i < 32; ++i) {
            QVERIFY(std::isfinite(report.scores.aum[size_t(i)]));
            QVERIFY(std::isfinite(report.scores.el2n[size_t(i)]));
            QVERIFY(report.scores.forgetting[size_t(i)] >= 0.0);
        }
        const ProxyReport again = trainResNetProxy(images, labels, 2, options);
        QCOMPARE(again.scores.aum, report.scores.aum);
        QCOMPARE(again.scores.forgetting, report.scores.forgetting);
        ResNetProxyOptions other = options;
        other.seed = 12;
        QVERIFY(trainResNetProxy(images, labels, 2, other).scores.aum != report.scores.aum);
    }

    void cancelStopsBetweenBatches() {
        std::vector<int> labels;
        const PixelImages images = stripes(16, labels, 5);
        std::atomic<bool> cancel{true};
        const ProxyReport report = trainResNetProxy(images, labels, 2, smallOptions(), {}, &cancel);
        QVERIFY(report.cancelled);
        QVERIFY(report.curve.empty());
    }

    void estimateScalesWithTheRun() {
        std::vector<int> labels;
        const PixelImages images = stripes(16, labels, 6);
        ResNetProxyOptions options = smallOptions();
        double step = 0.0;
        const double seconds = estimateResNetProxySeconds(images, 2, options, &step);
        QVERIFY(step > 0.0);
        // 16 images in batches of 8 for 5 epochs: 10 steps of the timed one.
        QVERIFY(std::abs(seconds - 10.0 * step) < 1e-9 * seconds + 1e-12);
        QCOMPARE(describeDuration(40.2), std::string("about 40 s"));
        QCOMPARE(describeDuration(12 * 60 + 10), std::string("about 12 min"));
        QCOMPARE(describeDuration(3 * 3600 + 20 * 60), std::string("about 3 h 20 min"));
    }

    void imagesAreDecodedAndStandardised() {
        QTemporaryDir dir;
        std::vector<QString> paths;
        for (int i = 0; i < 3; ++i) {
            cv::Mat image(20, 30, CV_8UC3, cv::Scalar(40 * i, 100, 250 - 60 * i)); // B, G, R
            paths.push_back(dir.filePath(QStringLiteral("%1.png").arg(i)));
            QVERIFY(cv::imwrite(paths.back().toStdString(), image));
        }
        const PixelImages images = loadPixelImages(paths, 8);
        QCOMPARE(images.images, 3);
        QCOMPARE(int(images.pixels.size()), 3 * 3 * 64);
        // Red plane (channel 0): 250, 190, 130 -> standardised -1.2247.., 0, +1.2247.. (the
        // population deviation of three equally spaced values is spacing * sqrt(2/3)).
        const float expected = float(std::sqrt(1.5));
        QVERIFY(std::abs(images.pixels[0] - expected) < 1e-3f);
        QVERIFY(std::abs(images.pixels[3 * 64] - 0.0f) < 1e-3f);
        QVERIFY(std::abs(images.pixels[6 * 64] + expected) < 1e-3f);
        // Green is constant: 0 after standardisation (the epsilon keeps it finite).
        QVERIFY(std::abs(images.pixels[64]) < 1e-3f);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, loadPixelImages(paths, 4));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 loadPixelImages({dir.filePath(QStringLiteral("none.png"))}, 8));
    }
};

QTEST_APPLESS_MAIN(TestElfsResNetProxy)
#include "test_elfs_resnet_proxy.moc"
