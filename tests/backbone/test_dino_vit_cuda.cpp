// SPDX-License-Identifier: GPL-3.0-or-later
// The CUDA path of the DINO ViT against the CPU path, on the same synthetic ViT-S/16 weights
// and images. Built only with -DFREESEL_CUDA_TESTS=ON (scripts/gpu-check sets it): on a
// machine without CUDA it fails instead of skipping, so it is never counted as passed there.
#include "backbone/dino_vit.h"
#include "backbone/vit_config.h"

#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace freesel;

namespace {

constexpr std::uint64_t kSeed = 11;

std::vector<cv::Mat> images(int count) {
    std::vector<cv::Mat> result;
    cv::RNG rng(5);
    for (int i = 0; i < count; ++i) {
        cv::Mat image(224, 224, CV_8UC3);
        rng.fill(image, cv::RNG::UNIFORM, 0, 256);
        cv::GaussianBlur(image, image, cv::Size(0, 0), 3.0 + i); // image-like correlations
        result.push_back(image);
    }
    return result;
}

DinoVit vit(const std::string& device, VitPrecision precision) {
    DinoVitOptions options;
    options.device = device;
    options.precision = precision;
    options.batchSize = 4;
    return DinoVit::withSyntheticWeights(vitConfigByName("dino_vits16"), kSeed, options);
}

/// The smallest cosine between corresponding rows (`width` floats each) of a and b.
double worstRowCosine(const std::vector<float>& a, const std::vector<float>& b, int width) {
    double worst = 1.0;
    for (size_t row = 0; row * width < a.size(); ++row) {
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < width; ++k) {
            const double x = a[row * width + k], y = b[row * width + k];
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        worst = std::min(worst, dot / std::sqrt(na * nb));
    }
    return worst;
}

} // namespace

class TestDinoVitCuda : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cudaIsUsed() {
        const DinoVit gpu = vit("cuda", VitPrecision::Float32);
        QVERIFY2(gpu.usesCuda(), gpu.deviceDescription().c_str());
        qInfo("%s", gpu.deviceDescription().c_str());
    }

    void cudaMatchesTheCpu_data() {
        QTest::addColumn<int>("precision");
        QTest::addColumn<double>("minimumCosine");
        // fp32: cuDNN may use TF32 for the patch embedding; bf16 / fp16 round every product.
        QTest::newRow("float32") << int(VitPrecision::Float32) << 0.9999;
        QTest::newRow("bfloat16") << int(VitPrecision::BFloat16) << 0.99;
        QTest::newRow("float16") << int(VitPrecision::Float16) << 0.995;
    }

    void cudaMatchesTheCpu() {
        QFETCH(int, precision);
        QFETCH(double, minimumCosine);
        const std::vector<cv::Mat> input = images(6);
        const auto cpu = vit("cpu", VitPrecision::Float32).run(input);
        const auto gpu = vit("cuda", static_cast<VitPrecision>(precision)).run(input);
        QCOMPARE(gpu.size(), cpu.size());
        for (size_t i = 0; i < cpu.size(); ++i) {
            QCOMPARE(gpu[i].patchTokens.size(), cpu[i].patchTokens.size());
            const double tokens = worstRowCosine(gpu[i].patchTokens, cpu[i].patchTokens, 384);
            const double cls = worstRowCosine(gpu[i].clsToken, cpu[i].clsToken, 384);
            const double attention = worstRowCosine(gpu[i].clsAttention, cpu[i].clsAttention,
                                                    int(cpu[i].clsAttention.size()));
            QVERIFY2(tokens >= minimumCosine && cls >= minimumCosine && attention >= minimumCosine,
                     qPrintable(QStringLiteral("image %1: cosine tokens %2, cls %3, attention %4")
                                    .arg(i)
                                    .arg(tokens)
                                    .arg(cls)
                                    .arg(attention)));
        }
    }
};

QTEST_GUILESS_MAIN(TestDinoVitCuda)
#include "test_dino_vit_cuda.moc"
