// SPDX-License-Identifier: GPL-3.0-or-later
// vit_gpu: the DINO ViT-S/16 network on a CUDA device (synthetic weights, 224 x 224 inputs),
// float32, bfloat16 and float16, for scripts/gpu-check:
//   freesel-bench vit_gpu [--batch=64] [--images=512] [--repeat=3]
// Without a CUDA device it says so and reports nothing.
#include "bench_registry.h"

#include "backbone/dino_vit.h"
#include "backbone/vit_config.h"

#include <QElapsedTimer>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>

namespace freesel::bench {

namespace {

std::vector<cv::Mat> randomImages(int count) {
    std::vector<cv::Mat> images;
    cv::RNG rng(3);
    for (int i = 0; i < count; ++i) {
        cv::Mat image(224, 224, CV_8UC3);
        rng.fill(image, cv::RNG::UNIFORM, 0, 256);
        images.push_back(image);
    }
    return images;
}

/// Images per second of the network alone, best of --repeat passes after a warm-up batch
/// (cuDNN / cuBLAS pick their kernels on the first calls). run() returns host features, so
/// the device work is finished when it returns.
double gpuRate(VitPrecision precision, const std::vector<cv::Mat>& images, int batch) {
    DinoVitOptions options;
    options.device = "cuda";
    options.precision = precision;
    options.batchSize = batch;
    const DinoVit vit = DinoVit::withSyntheticWeights(vitConfigByName("dino_vits16"), 1, options);
    std::printf("# %s, batch %d\n", vit.deviceDescription().c_str(), batch);
    vit.run({images.begin(), images.begin() + std::min<size_t>(size_t(batch), images.size())});
    double best = 0.0;
    const int repeats = std::max(1, option("repeat", "3").toInt());
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer timer;
        timer.start();
        vit.run(images);
        best = std::max(best, double(images.size()) / (timer.nsecsElapsed() * 1e-9));
    }
    return best;
}

void runVitGpu() {
    const int batch = option("batch", "64").toInt();
    const std::vector<cv::Mat> images = randomImages(option("images", "512").toInt());
    const std::pair<VitPrecision, const char*> runs[] = {
        {VitPrecision::Float32, "vit_s16_gpu_img_per_s"},
        {VitPrecision::BFloat16, "vit_s16_gpu_bf16_img_per_s"},
        {VitPrecision::Float16, "vit_s16_gpu_fp16_img_per_s"}};
    for (const auto& [precision, name] : runs) {
        try {
            report(QString::fromLatin1(name), gpuRate(precision, images, batch),
                   QStringLiteral("img/s"));
        } catch (const std::exception& e) {
            std::printf("# %s: no figure: %s\n", name, e.what());
        }
    }
}

const BenchmarkRegistration
    vitGpu(QStringLiteral("vit_gpu"),
           QStringLiteral("DINO ViT-S/16 network on CUDA, float32 / bfloat16 / float16 (synthetic "
                          "weights; --batch=64 --images=512 --repeat=3)"),
           runVitGpu);

} // namespace

} // namespace freesel::bench
