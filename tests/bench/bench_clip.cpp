// SPDX-License-Identifier: GPL-3.0-or-later
// CLIP benchmarks (issue 12): the image and text encoders of ViT-B/32 on the CPU (random
// weights: speed does not depend on the values) and the CLIP-powered selection on 50,000
// generated embeddings.
#include "backbone/clip_model.h"
#include "bench_registry.h"
#include "selection/clip_selection.h"
#include "text/clip_tokenizer.h"

#include <QElapsedTimer>

#include <random>

using namespace freesel;
using namespace freesel::bench;

namespace {

ClipWeights randomViTB32() {
    ClipWeights w;
    w.config = knownClipConfigs().front();
    torch::manual_seed(1);
    for (const auto& [name, shape] : expectedClipTensors(w.config))
        w.tensors[name] = torch::randn(shape) * 0.02;
    for (auto& [name, tensor] : w.tensors)
        if (name.find("ln_") != std::string::npos && name.find(".weight") != std::string::npos)
            tensor.fill_(1.0);
    return w;
}

void benchEncoders() {
    const ClipWeights w = randomViTB32();
    const int batch = option(QStringLiteral("batch"), QStringLiteral("16")).toInt();
    const torch::Tensor images = torch::randn({batch, 3, 224, 224});
    clipEncodeImage(w, images); // warm-up
    QElapsedTimer timer;
    timer.start();
    const int rounds = 3;
    for (int i = 0; i < rounds; ++i)
        clipEncodeImage(w, images);
    report(QStringLiteral("clip_vitb32_cpu_img_per_s"),
           rounds * batch / (timer.nsecsElapsed() * 1e-9), QStringLiteral("img/s"));
    // Prompts of the selection ("A photo of a {class}"), tokenized and encoded.
    std::vector<int64_t> ids;
    const int prompts = 64;
    ClipTokenizer::shipped(); // reads the vocabulary once, outside the timing
    timer.restart();
    for (int i = 0; i < prompts; ++i) {
        const std::vector<int> row = ClipTokenizer::shipped().tokenize(
            QStringLiteral("A photo of a class number %1").arg(i));
        ids.insert(ids.end(), row.begin(), row.end());
    }
    clipEncodeText(w, torch::tensor(ids).reshape({prompts, ClipTokenizer::kContextLength}));
    report(QStringLiteral("clip_text_per_s"), prompts / (timer.nsecsElapsed() * 1e-9),
           QStringLiteral("texts/s"));
}

void benchSelection() {
    const int n = 50000, classes = 100, dim = 512;
    std::mt19937 rng(3);
    std::normal_distribution<float> normal;
    Eigen::MatrixXf texts(classes, dim), images(n, dim);
    for (Eigen::Index i = 0; i < texts.size(); ++i)
        texts.data()[i] = normal(rng);
    std::vector<int> labels(n);
    for (int i = 0; i < n; ++i) {
        labels[size_t(i)] = i % classes;
        for (int d = 0; d < dim; ++d) // near its class text, with noise
            images(i, d) = texts(i % classes, d) + 2.0f * normal(rng);
    }
    QElapsedTimer timer;
    timer.start();
    const ClipScores scores = clipScores(images, texts, labels, {50, 0.1, {}, {}, false});
    const std::vector<int> picked = topKByScore(scores.combined, n / 5);
    report(QStringLiteral("clip_select_50k_seconds"), timer.nsecsElapsed() * 1e-9,
           QStringLiteral("s"));
    Q_UNUSED(picked);
}

const BenchmarkRegistration encoders(QStringLiteral("clip"),
                                     QStringLiteral("CLIP ViT-B/32 image and text encoders (CPU, "
                                                    "float32, random weights)"),
                                     benchEncoders);
const BenchmarkRegistration selection(QStringLiteral("clip_select"),
                                      QStringLiteral("CLIP-powered selection scores + top-k on "
                                                     "50,000 embeddings, 100 labels, K = 50"),
                                      benchSelection);

} // namespace
