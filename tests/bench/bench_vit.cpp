// ViT-S/16 throughput at 224 x 224 on the CPU, float32 and bfloat16, and what bfloat16 costs in
// accuracy. Weights are the deterministic synthetic ones (no download); speed does not depend
// on their values.
//   freesel-bench vit [--pool=DIR] [--images=N] [--batch=B] [--threads=T]
#include "bench_registry.h"

#include "dino_vit.h"
#include "image_decoder.h"
#include "image_preprocessing.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace freesel::bench {

namespace {

constexpr int kSide = 224;

/// Seeded noise images: the network's cost does not depend on the pixels.
std::vector<cv::Mat> noiseImages(int count) {
    std::vector<cv::Mat> images;
    for (int i = 0; i < count; ++i) {
        cv::Mat image(kSide, kSide, CV_8UC3);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
        images.push_back(image);
    }
    return images;
}

QStringList poolFiles(const QString& dir, int limit) {
    QStringList files;
    QDirIterator it(dir, {"*.jpg", "*.jpeg", "*.JPG"}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext() && files.size() < limit)
        files << it.next();
    files.sort();
    return files;
}

DinoVit makeVit(VitPrecision precision) {
    DinoVitOptions options;
    options.device = "cpu";
    options.precision = precision;
    options.batchSize = option("batch", "8").toInt();
    options.threads = option("threads", "0").toInt();
    return DinoVit::withSyntheticWeights(vitConfigByName("dino_vits16"), 1, options);
}

/// Images per second of the network alone, after one warm-up batch.
double networkRate(const DinoVit& vit, const std::vector<cv::Mat>& images) {
    const int batch = vit.options().batchSize;
    for (int warm = 0; warm < 2; ++warm) // heap growth and oneDNN primitive creation
        vit.run({images.begin(), images.begin() + std::min<long>(batch, long(images.size()))});
    QElapsedTimer timer;
    timer.start();
    vit.run(images);
    return images.size() / (timer.nsecsElapsed() * 1e-9);
}

/// Decode + resize to 224 + network over the pool, batch by batch (decoding not overlapped:
/// the pipeline's decode queue can only do better).
double endToEndRate(const DinoVit& vit, const QStringList& files, int* decoded) {
    const int batch = vit.options().batchSize;
    const ResizeSpec spec = ResizeSpec::fixed(kSide, kSide);
    QElapsedTimer timer;
    timer.start();
    *decoded = 0;
    for (int begin = 0; begin < files.size(); begin += batch) {
        std::vector<cv::Mat> images;
        for (int i = begin; i < std::min<int>(begin + batch, int(files.size())); ++i) {
            const DecodedImage image = decodeImageFile(files[i]);
            if (image.ok())
                images.push_back(resizeForModel(image.rgb, spec));
        }
        *decoded += int(images.size());
        vit.run(images);
    }
    return *decoded / (timer.nsecsElapsed() * 1e-9);
}

struct Accuracy {
    double minTokenCosine = 1.0;
    double meanTokenCosine = 0.0;
    double maxAttentionError = 0.0;
};

/// bfloat16 against float32 on the same images: per-token cosine and attention differences.
Accuracy compare(const std::vector<ImageFeatures>& exact, const std::vector<ImageFeatures>& low) {
    Accuracy a;
    size_t tokens = 0;
    for (size_t i = 0; i < exact.size(); ++i) {
        const int d = exact[i].dims;
        for (int t = 0; t < exact[i].grid.size(); ++t) {
            const float* x = exact[i].patchTokens.data() + size_t(t) * d;
            const float* y = low[i].patchTokens.data() + size_t(t) * d;
            double xy = 0, xx = 0, yy = 0;
            for (int k = 0; k < d; ++k) {
                xy += double(x[k]) * y[k];
                xx += double(x[k]) * x[k];
                yy += double(y[k]) * y[k];
            }
            const double c = xy / std::sqrt(xx * yy);
            a.minTokenCosine = std::min(a.minTokenCosine, c);
            a.meanTokenCosine += c;
            ++tokens;
        }
        auto maxDiff = [&](const std::vector<float>& p, const std::vector<float>& q) {
            for (size_t k = 0; k < p.size(); ++k)
                a.maxAttentionError = std::max(a.maxAttentionError, double(std::abs(p[k] - q[k])));
        };
        maxDiff(exact[i].clsAttention, low[i].clsAttention);
        maxDiff(exact[i].neighbourhood.values(), low[i].neighbourhood.values());
    }
    a.meanTokenCosine /= double(std::max<size_t>(tokens, 1));
    return a;
}

void runVitBenchmark() {
    const int count = option("images", "64").toInt();
    const std::vector<cv::Mat> images = noiseImages(count);

    const DinoVit fp32 = makeVit(VitPrecision::Float32);
    std::printf("# ViT-S/16 224x224 on %s, batch %d, %d images\n", fp32.deviceDescription().c_str(),
                fp32.options().batchSize, count);
    report("vit_s16_cpu_network_img_per_s", networkRate(fp32, images), "img/s");

    const QString pool = option("pool", "../shared/datasets/coco128");
    const QStringList files = poolFiles(pool, count);
    int decoded = 0;
    if (!files.isEmpty() && endToEndRate(fp32, files, &decoded) > 0 && decoded > 0) {
        std::printf("# with JPEG decoding + resize of %d images from %s\n", decoded,
                    qPrintable(pool));
        report("vit_s16_cpu_img_per_s", endToEndRate(fp32, files, &decoded), "img/s");
    } else {
        std::printf("# no images under --pool=%s: network alone on noise images\n",
                    qPrintable(pool));
        report("vit_s16_cpu_img_per_s", networkRate(fp32, images), "img/s");
    }

    const DinoVit bf16 = makeVit(VitPrecision::BFloat16);
    std::printf("# %s\n", bf16.deviceDescription().c_str());
    report("vit_s16_cpu_bf16_img_per_s", networkRate(bf16, images), "img/s");

    const std::vector<cv::Mat> sample(images.begin(), images.begin() + std::min(count, 16));
    const Accuracy a = compare(fp32.run(sample), bf16.run(sample));
    report("vit_s16_bf16_token_cosine_min", a.minTokenCosine, "cos");
    report("vit_s16_bf16_token_cosine_mean", a.meanTokenCosine, "cos");
    report("vit_s16_bf16_attention_max_abs_error", a.maxAttentionError, "abs");
}

const BenchmarkRegistration
    registration("vit", "ViT-S/16 224x224 CPU throughput (float32, bfloat16) and bfloat16 accuracy",
                 runVitBenchmark);

} // namespace

} // namespace freesel::bench
