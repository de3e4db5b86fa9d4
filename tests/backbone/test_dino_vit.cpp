// SPDX-License-Identifier: GPL-3.0-or-later
// The ViT backbone against PyTorch: tests/generate_vit_reference.py runs its own copy of DINO's
// vision_transformer.py on hash-generated weights and images; here the same weights and images
// are rebuilt bit for bit and the C++ network must agree within 1e-4 (float32).
#include "backbone/dino_vit.h"
#include "backbone/vit_kernels.h"
#include "image/decode_queue.h"
#include "support/image_bytes.h"
#include "support/vit_test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cstring>
#include <map>

using namespace freesel;
using namespace freesel::test;

namespace {

/// These are the CPU path's tests (test_dino_vit_cuda compares the CUDA path with it): "auto"
/// would run them on a CUDA device where one is.
DinoVitOptions cpuOptions() {
    DinoVitOptions options;
    options.device = "cpu";
    return options;
}

struct Case {
    std::string name;
    VitConfig config;
    std::vector<std::pair<int, int>> inputs; // (H, W), image seed kImageSeed + index
    bool fullOutputs;                        // false: ViT-S/16 stores a few rows only
};

const std::map<std::string, Case>& cases() {
    static const std::map<std::string, Case> all = {
        {"small", {"small", smallConfig(), {{32, 32}, {32, 48}}, true}},
        {"small_v2", {"small_v2", smallV2Config(), {{28, 28}, {28, 42}, {35, 28}}, true}},
        {"vits16", {"vits16", vitConfigByName("dino_vits16"), {{224, 224}, {192, 288}}, false}},
    };
    return all;
}

/// A photo-like 2400 x 1600 JPEG: smooth regions, a few hard-edged shapes and fine texture (the
/// texture is what a reduced decode averages differently).
QByteArray largePhotoJpeg(int seed) {
    cv::Mat bgr(1600, 2400, CV_8UC3);
    cv::theRNG().state = uint64_t(seed);
    cv::randu(bgr, cv::Scalar::all(0), cv::Scalar::all(255));
    cv::GaussianBlur(bgr, bgr, cv::Size(0, 0), 40.0);
    cv::normalize(bgr, bgr, 0, 255, cv::NORM_MINMAX);
    cv::Mat texture(bgr.size(), CV_8UC3);
    cv::randu(texture, cv::Scalar::all(0), cv::Scalar::all(40));
    bgr += texture;
    for (int i = 0; i < 12; ++i)
        cv::circle(bgr, {cv::theRNG().uniform(0, 2400), cv::theRNG().uniform(0, 1600)},
                   cv::theRNG().uniform(50, 300),
                   cv::Scalar(cv::theRNG().uniform(0, 255), cv::theRNG().uniform(0, 255),
                              cv::theRNG().uniform(0, 255)),
                   cv::FILLED);
    return imagebytes::encode(bgr, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
}

/// Per-token cosines of two feature sets of the same grid: {min, mean}.
std::pair<double, double> tokenCosines(const ImageFeatures& a, const ImageFeatures& b) {
    const int n = a.grid.size();
    const int d = a.dims;
    const torch::Tensor x = torch::from_blob(const_cast<float*>(a.patchTokens.data()), {n, d});
    const torch::Tensor y = torch::from_blob(const_cast<float*>(b.patchTokens.data()), {n, d});
    const torch::Tensor c = torch::cosine_similarity(x, y, 1);
    return {c.min().item<double>(), c.mean().item<double>()};
}

const TensorMap& reference(const std::string& name) {
    static std::map<std::string, TensorMap> cache;
    if (!cache.count(name))
        cache[name] = readTorchSaveTensors(vitDataPath(name + "_reference.pth"));
    return cache[name];
}

const torch::Tensor& ref(const std::string& caseName, const std::string& key) {
    const TensorMap& map = reference(caseName);
    const auto it = map.find(key);
    if (it == map.end())
        throw std::runtime_error("reference " + caseName + " has no " + key);
    return it->second;
}

VitWeights weightsOf(const Case& c) {
    return vitWeightsFromMap(syntheticVitTensors(c.config, kWeightSeed), c.config, c.name);
}

} // namespace

class TestDinoVit : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(2); }

    void configsAreKnownAndValid() {
        for (const VitConfig& config : knownVitConfigs())
            config.validate();
        const VitConfig s16 = vitConfigByName("dino_vits16");
        QCOMPARE(s16.patchSize, 16);
        QCOMPARE(s16.width, 384);
        QCOMPARE(s16.heads, 6);
        QCOMPARE(vitConfigByName("dinov2_vitb14_reg").registers, 4);
        try {
            vitConfigByName("vit_huge");
            QFAIL("unknown model accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY(QString(e.what()).contains("vit_huge"));
            QVERIFY(QString(e.what()).contains("dino_vitb8"));
        }
        VitConfig bad = s16;
        bad.heads = 5;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, bad.validate());
    }

    void cpuInputIsTheNormalisationBitForBit() {
        // The CPU input's one-pass loop against the tensor expression the device path runs,
        // on an image that is a view into a larger one (rows not contiguous).
        const cv::Mat big = syntheticRgbImage(40, 50, 3);
        const std::vector<cv::Mat> images = {syntheticRgbImage(32, 48, 1),
                                             big(cv::Rect(2, 5, 48, 32))};
        const torch::Tensor mine = vitInputTensor(images, torch::kCPU);
        torch::Tensor bytes = torch::empty({2, 32, 48, 3}, torch::kUInt8);
        for (int i = 0; i < 2; ++i)
            std::memcpy(bytes[i].data_ptr(), images[size_t(i)].clone().data, 32 * 48 * 3);
        const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
        const torch::Tensor stdev = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
        const torch::Tensor x = bytes.permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0;
        QVERIFY(torch::equal(mine, ((x - mean) / stdev).contiguous()));
        QCOMPARE(mine.sizes().vec(), (std::vector<int64_t>{2, 3, 32, 48}));
    }

    void syntheticWeightsMatchThePythonGenerator() {
        // The probe is the first values of pos_embed as the script computed them: bit-exact.
        for (const auto& [name, c] : cases()) {
            const torch::Tensor mine =
                syntheticVitTensors(c.config, kWeightSeed)["pos_embed"].flatten().slice(0, 0, 8);
            QVERIFY2(torch::equal(mine, ref(name, "probe/pos_embed_first8")), name.c_str());
        }
    }

    void forwardMatchesPyTorch_data() {
        QTest::addColumn<QString>("caseName");
        QTest::addColumn<int>("input");
        QTest::addColumn<bool>("packed");
        for (const auto& [name, c] : cases())
            for (size_t i = 0; i < c.inputs.size(); ++i)
                for (bool packed : {false, true}) {
                    const std::string tag = name + " " + std::to_string(c.inputs[i].first) + "x" +
                                            std::to_string(c.inputs[i].second) +
                                            (packed ? " oneDNN" : " exact");
                    QTest::newRow(tag.c_str()) << QString::fromStdString(name) << int(i) << packed;
                }
    }

    void forwardMatchesPyTorch() {
        QFETCH(QString, caseName);
        QFETCH(int, input);
        QFETCH(bool, packed);
        const Case& c = cases().at(caseName.toStdString());
        // No QSKIP where this LibTorch lacks oneDNN: a packed request must then fall back to the
        // ATen path (prepareVitWeights leaves the packed weights undefined), and that fallback
        // must match PyTorch too. A skip here would read as "passed" in CTest.
        VitExecution execution;
        execution.packedKernels = packed;
        const VitWeights weights = prepareVitWeights(weightsOf(c), torch::kCPU, execution);
        const auto [h, w] = c.inputs[size_t(input)];
        const torch::Tensor images =
            vitInputTensor({syntheticRgbImage(h, w, kImageSeed + uint64_t(input))}, torch::kCPU);
        const VitForwardOutput last = vitForward(weights, images, FeatureLayer::Last, execution);
        const VitForwardOutput penultimate =
            vitForward(weights, images, FeatureLayer::Penultimate, execution);
        const std::string key = std::to_string(h) + "x" + std::to_string(w) + "/";
        torch::Tensor tokens = last.tokens[0], attention = last.attention[0];
        torch::Tensor before = penultimate.tokens[0];
        if (!c.fullOutputs) { // ViT-S/16: the committed rows plus whole-output sums
            const torch::Tensor rows = ref(c.name, key + "rows");
            tokens = tokens.index_select(0, rows);
            attention = attention.index_select(0, rows);
            before = before.index_select(0, rows);
            const double sum = last.tokens.to(torch::kFloat64).sum().item<double>();
            const double absSum = last.tokens.to(torch::kFloat64).abs().sum().item<double>();
            QVERIFY(std::abs(sum - ref(c.name, key + "token_sum").item<double>()) < 1e-2);
            QVERIFY(std::abs(absSum - ref(c.name, key + "token_abs_sum").item<double>()) < 1e-2);
        }
        FREESEL_VERIFY_CLOSE(tokens, ref(c.name, key + "tokens"), 1e-4);
        FREESEL_VERIFY_CLOSE(attention, ref(c.name, key + "attention"), 1e-4);
        FREESEL_VERIFY_CLOSE(before, ref(c.name, key + "penultimate"), 1e-4);
        QVERIFY(torch::equal(last.cls[0], last.tokens[0][0]));
        // Attention rows are distributions; a uniform map would make the test toothless.
        FREESEL_VERIFY_CLOSE(last.attention.sum(-1), torch::ones_like(last.attention.sum(-1)),
                             1e-5);
        QVERIFY(attention.max().item<float>() > 3.0f / float(last.attention.size(-1)));
    }

    void positionEmbeddingKeptAtTheTrainingGrid() {
        const torch::Tensor pos = torch::randn({1, 17, 8});
        QVERIFY(interpolatePositionEmbedding(pos, 4, 4).is_same(pos));
        const torch::Tensor wide = interpolatePositionEmbedding(pos, 3, 7);
        QCOMPARE(wide.size(1), int64_t(1 + 21));
        QVERIFY(torch::equal(wide[0][0], pos[0][0])); // [CLS] position untouched
        // Same token count but not square (4 x 4 vs 2 x 8): DINO interpolates; so do we.
        QCOMPARE(interpolatePositionEmbedding(pos, 2, 8).size(1), int64_t(17));
        QVERIFY(!interpolatePositionEmbedding(pos, 2, 8).slice(1, 1).equal(pos.slice(1, 1)));
    }

    void storeViewMatchesReference_data() {
        QTest::addColumn<QString>("caseName");
        QTest::addColumn<bool>("penultimate");
        QTest::newRow("small last") << QString("small") << false;
        QTest::newRow("small penultimate") << QString("small") << true;
        QTest::newRow("small_v2 registers") << QString("small_v2") << false;
    }

    void storeViewMatchesReference() {
        QFETCH(QString, caseName);
        QFETCH(bool, penultimate);
        const Case& c = cases().at(caseName.toStdString());
        DinoVitOptions options = cpuOptions();
        options.neighbourhoodRadius = 2;
        options.featureLayer = penultimate ? FeatureLayer::Penultimate : FeatureLayer::Last;
        const DinoVit vit = DinoVit::withSyntheticWeights(c.config, kWeightSeed, options);
        std::vector<cv::Mat> images;
        for (size_t i = 0; i < c.inputs.size(); ++i)
            images.push_back(
                syntheticRgbImage(c.inputs[i].first, c.inputs[i].second, kImageSeed + uint64_t(i)));
        const std::vector<ImageFeatures> features = vit.run(images);
        QCOMPARE(features.size(), images.size());
        const int prefix = c.config.prefixTokens();
        for (size_t i = 0; i < images.size(); ++i) {
            const ImageFeatures& f = features[i];
            const std::string key =
                std::to_string(images[i].rows) + "x" + std::to_string(images[i].cols) + "/";
            const torch::Tensor tokens =
                ref(c.name, key + (penultimate ? "penultimate" : "tokens"));
            const torch::Tensor attention = ref(c.name, key + "attention");
            const int n = f.grid.size();
            QCOMPARE(f.grid.rows, images[i].rows / c.config.patchSize);
            QCOMPARE(f.grid.cols, images[i].cols / c.config.patchSize);
            QCOMPARE(int64_t(n), tokens.size(0) - prefix);
            QCOMPARE(f.dims, c.config.width);
            const auto asTensor = [](const std::vector<float>& v, std::vector<int64_t> shape) {
                return torch::from_blob(const_cast<float*>(v.data()), shape).clone();
            };
            FREESEL_VERIFY_CLOSE(asTensor(f.patchTokens, {n, f.dims}), tokens.slice(0, prefix),
                                 1e-4);
            // [CLS] is always the last block through the final norm, whatever the feature layer.
            FREESEL_VERIFY_CLOSE(asTensor(f.clsToken, {f.dims}), ref(c.name, key + "tokens")[0],
                                 1e-4);
            const torch::Tensor clsRow = attention[0].slice(0, prefix);
            FREESEL_VERIFY_CLOSE(asTensor(f.clsAttention, {n}), clsRow / clsRow.sum(), 1e-4);
            double total = 0;
            for (float a : f.clsAttention)
                total += a;
            QVERIFY(std::abs(total - 1.0) < 1e-5);
            verifyBand(f, attention.slice(0, prefix).slice(1, prefix));
        }
    }

    void mixedSizesAndBatchingGiveTheSameFeatures() {
        const VitConfig config = smallConfig();
        DinoVitOptions options = cpuOptions();
        options.batchSize = 2;
        const DinoVit batched = DinoVit::withSyntheticWeights(config, kWeightSeed, options);
        options.batchSize = 1;
        const DinoVit single = DinoVit::withSyntheticWeights(config, kWeightSeed, options);
        const std::vector<cv::Mat> images = {
            syntheticRgbImage(32, 48, 1), syntheticRgbImage(32, 48, 2),
            syntheticRgbImage(32, 48, 3), syntheticRgbImage(16, 24, 4),
            syntheticRgbImage(32, 48, 5)};
        const std::vector<ImageFeatures> a = batched.run(images), b = single.run(images);
        QCOMPARE(a.size(), images.size());
        for (size_t i = 0; i < images.size(); ++i) {
            QCOMPARE(a[i].grid, b[i].grid);
            QCOMPARE(a[i].patchTokens.size(), size_t(a[i].grid.size() * config.width));
            for (size_t k = 0; k < a[i].patchTokens.size(); ++k)
                QVERIFY(std::abs(a[i].patchTokens[k] - b[i].patchTokens[k]) < 1e-5f);
        }
        QCOMPARE(a[3].grid, (PatchGrid{2, 3}));
        QVERIFY(a[0].patchTokens != a[1].patchTokens);
    }

    void imageParallelGivesTheSameFeaturesInOrder() {
        // Two threads sharing a batch out a task at a time (one image, then two per task, an odd
        // count so the last task is short) against every product split across the threads:
        // the same features, each in its image's place.
        const VitConfig config = smallConfig();
        DinoVitOptions options = cpuOptions();
        options.threads = 2;
        options.batchSize = 5;
        options.imageParallel = false;
        const DinoVit split = DinoVit::withSyntheticWeights(config, kWeightSeed, options);
        std::vector<cv::Mat> images;
        for (int i = 0; i < 5; ++i)
            images.push_back(syntheticRgbImage(32, 48, kImageSeed + 10 + i));
        images.push_back(syntheticRgbImage(16, 24, kImageSeed + 20)); // a batch of its own
        const std::vector<ImageFeatures> expected = split.run(images);
        QVERIFY(!split.runsIdleWork(5));
        for (int perTask : {1, 2}) {
            options.imageParallel = true;
            options.imagesPerTask = perTask;
            const DinoVit shared = DinoVit::withSyntheticWeights(config, kWeightSeed, options);
            QVERIFY(shared.runsIdleWork(5));
            QVERIFY(!shared.runsIdleWork(2 * perTask - 1)); // a thread would get no task
            // Idle work (the pipeline's decoding) runs once the tasks are taken, until it
            // says there is none left, and changes nothing in the results.
            std::atomic<int> idleCalls{0};
            const std::vector<ImageFeatures> got =
                shared.run(images, [&idleCalls] { return ++idleCalls <= 3; });
            QVERIFY(idleCalls.load() >= 4);
            QCOMPARE(got.size(), images.size());
            for (size_t i = 0; i < images.size(); ++i) {
                QCOMPARE(got[i].grid, expected[i].grid);
                QCOMPARE(got[i].patchTokens.size(), expected[i].patchTokens.size());
                for (size_t k = 0; k < got[i].patchTokens.size(); ++k)
                    QVERIFY(std::abs(got[i].patchTokens[k] - expected[i].patchTokens[k]) < 1e-4f);
                for (size_t k = 0; k < got[i].clsAttention.size(); ++k)
                    QVERIFY(std::abs(got[i].clsAttention[k] - expected[i].clsAttention[k]) < 1e-5f);
                QCOMPARE(got[i].neighbourhood.values().size(),
                         expected[i].neighbourhood.values().size());
            }
        }
        QVERIFY(expected[0].patchTokens != expected[1].patchTokens);
    }

    void badInputsAreRefusedWithTheirReason() {
        const DinoVit vit = DinoVit::withSyntheticWeights(smallConfig(), kWeightSeed, cpuOptions());
        expectInvalid([&] { vit.run({syntheticRgbImage(32, 30, 1)}); },
                      "multiples of the patch size 8");
        expectInvalid(
            [&] {
                vit.run({syntheticRgbImage(32, 32, 1), cv::Mat(32, 32, CV_8UC1)});
            },
            "image 1 must be 8-bit RGB");
        expectInvalid([&] { vit.run({cv::Mat()}); }, "image 0 is empty");
        DinoVitOptions options = cpuOptions();
        options.precision = VitPrecision::Float16;
        expectInvalid([&] { DinoVit::withSyntheticWeights(smallConfig(), 1, options); },
                      "float16 needs a CUDA device");
        options = {};
        options.batchSize = 0;
        expectInvalid([&] { DinoVit::withSyntheticWeights(smallConfig(), 1, options); },
                      "batch size");
        options = {};
        options.imagesPerTask = 0;
        expectInvalid([&] { DinoVit::withSyntheticWeights(smallConfig(), 1, options); },
                      "images per task must be in 1..4096");
        options = {};
        options.device = "tpu";
        expectInvalid([&] { DinoVit::withSyntheticWeights(smallConfig(), 1, options); },
                      "device must be auto, cpu, cuda or cuda:N");
        expectInvalid([] { parseVitPrecision("int8"); }, "precision must be");
        QVERIFY(vit.run({}).empty());
    }

    void deviceAndPrecisionAreReported() {
        DinoVitOptions options = cpuOptions();
        options.threads = 1;
        const DinoVit vit = DinoVit::withSyntheticWeights(smallConfig(), kWeightSeed, options);
        QVERIFY(!vit.usesCuda());
        const QString text = QString::fromStdString(vit.deviceDescription());
        QVERIFY2(text.startsWith("CPU (1 threads, float32"), qPrintable(text));
        QCOMPARE(torch::get_num_threads(), 1);
        torch::set_num_threads(2);
    }

    void bfloat16StaysCloseToFloat32() {
        DinoVitOptions options = cpuOptions();
        options.precision = VitPrecision::BFloat16;
        const DinoVit vit = DinoVit::withSyntheticWeights(smallConfig(), kWeightSeed, options);
        QVERIFY(QString::fromStdString(vit.deviceDescription()).contains("bfloat16"));
        const ImageFeatures f = vit.run({syntheticRgbImage(32, 48, kImageSeed + 1)}).front();
        const torch::Tensor tokens = ref("small", "32x48/tokens").slice(0, 1);
        const torch::Tensor mine =
            torch::from_blob(const_cast<float*>(f.patchTokens.data()), tokens.sizes()).clone();
        QVERIFY(cosine(mine, tokens) > 0.995);
        QVERIFY(maxAbsDiff(mine, tokens) > 1e-6); // really computed in bfloat16
    }

    void fusedRowKernelsChangeOnlyRounding() {
        // The fused residual + LayerNorm, softmax and GELU against ATen's steps, same packed
        // products: in float32 they agree to float rounding, in bfloat16 to a few bfloat16
        // roundings (the same values are rounded at the same places). A wrong fused kernel
        // (a missed residual or layer scale, a softmax over the wrong axis) moves tokens by O(1).
        const auto flat = [](const std::vector<float>& v) {
            return torch::from_blob(const_cast<float*>(v.data()), {int64_t(v.size())}).clone();
        };
        const std::vector<std::pair<VitConfig, int>> configs = {{smallConfig(), 16},
                                                                {smallV2Config(), 14}};
        for (const auto& [config, side] : configs)
            for (VitPrecision precision : {VitPrecision::Float32, VitPrecision::BFloat16}) {
                DinoVitOptions options = cpuOptions();
                options.precision = precision;
                const std::vector<cv::Mat> images = {
                    syntheticRgbImage(2 * side, 3 * side, kImageSeed + 1),
                    syntheticRgbImage(2 * side, 3 * side, kImageSeed + 2)};
                options.fusedRowKernels = false;
                const auto aten =
                    DinoVit::withSyntheticWeights(config, kWeightSeed, options).run(images);
                options.fusedRowKernels = true;
                const auto fused =
                    DinoVit::withSyntheticWeights(config, kWeightSeed, options).run(images);
                const bool fp32 = precision == VitPrecision::Float32;
                for (size_t i = 0; i < images.size(); ++i) {
                    const torch::Tensor a = flat(aten[i].patchTokens);
                    const torch::Tensor f = flat(fused[i].patchTokens);
                    QVERIFY2(maxAbsDiff(a, f) < (fp32 ? 1e-4 : 0.1),
                             qPrintable(QString::number(maxAbsDiff(a, f))));
                    QVERIFY(cosine(a, f) > (fp32 ? 0.999999 : 0.999));
                    QVERIFY(maxAbsDiff(flat(aten[i].clsAttention), flat(fused[i].clsAttention)) <
                            (fp32 ? 1e-5 : 0.02));
                }
            }
    }

    void fusedAttentionChangesOnlyRounding() {
        // ViT-S/16 (head size 64, where the vector attention kernel runs) with the fused
        // per-head attention against the copies + batched products + softmax, on an odd token
        // count (4 x 5 patches + [CLS]). float32: float rounding apart. bfloat16: twelve blocks
        // of bfloat16 rounding drift apart either way, so the fused bfloat16 network must stay
        // as close to float32 as the separate steps' bfloat16 network is. A wrong head offset
        // or a skipped key moves tokens by O(1).
        const auto flat = [](const std::vector<float>& v) {
            return torch::from_blob(const_cast<float*>(v.data()), {int64_t(v.size())}).clone();
        };
        const std::vector<cv::Mat> images = {syntheticRgbImage(64, 80, kImageSeed + 3)};
        auto run = [&](VitPrecision precision, bool fusedAttention) {
            DinoVitOptions options = cpuOptions();
            options.precision = precision;
            options.fusedAttention = fusedAttention;
            return DinoVit::withSyntheticWeights(vitConfigByName("dino_vits16"), kWeightSeed,
                                                 options)
                .run(images)
                .front();
        };
        const ImageFeatures exact = run(VitPrecision::Float32, false);
        const ImageFeatures fused = run(VitPrecision::Float32, true);
        const torch::Tensor tokens = flat(exact.patchTokens);
        QVERIFY2(maxAbsDiff(tokens, flat(fused.patchTokens)) < 1e-4,
                 qPrintable(QString::number(maxAbsDiff(tokens, flat(fused.patchTokens)))));
        QVERIFY(maxAbsDiff(flat(exact.clsAttention), flat(fused.clsAttention)) < 1e-5);
        QVERIFY(maxAbsDiff(flat(exact.neighbourhood.values()), flat(fused.neighbourhood.values())) <
                1e-5);
        const auto meanAbs = [&](const ImageFeatures& f) {
            return (flat(f.patchTokens) - tokens).abs().mean().item<double>();
        };
        const double separateError = meanAbs(run(VitPrecision::BFloat16, false));
        const ImageFeatures fusedBf16 = run(VitPrecision::BFloat16, true);
        const double fusedError = meanAbs(fusedBf16);
        qInfo("bfloat16 tokens against float32, mean |difference|: separate steps %.4f, fused "
              "attention %.4f",
              separateError, fusedError);
        QVERIFY(fusedError < 1.5 * separateError);
        QVERIFY(cosine(flat(fusedBf16.patchTokens), tokens) > 0.99);
        QVERIFY(maxAbsDiff(flat(exact.clsAttention), flat(fusedBf16.clsAttention)) < 0.02);
    }

    void shrinkOnLoadKeepsTheTokens() {
        // JPEG shrink-on-load (1/4 here: 600 x 400 still covers 224) against a full-size decode,
        // both resized to 224 x 224 with INTER_AREA, through ViT-S/16 with seeded weights.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const ResizeSpec spec = ResizeSpec::fixed(224, 224);
        std::vector<cv::Mat> full, shrunk, bilinear;
        for (int seed : {1, 2}) {
            const QString path = dir.filePath(QStringLiteral("photo%1.jpg").arg(seed));
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(largePhotoJpeg(seed));
            file.close();
            const cv::Mat decoded = decodeImageFile(path).rgb;
            full.push_back(resizeForModel(decoded, spec));
            shrunk.push_back(DecodeQueue::decodeAndResize({}, spec)(path).rgb);
            QCOMPARE(shrunk.back().size(), cv::Size(224, 224));
            cv::Mat plain; // the yardstick: a plain bilinear shrink, as many pipelines do
            cv::resize(decoded, plain, cv::Size(224, 224), 0, 0, cv::INTER_LINEAR);
            bilinear.push_back(plain);
        }
        const DinoVit vit = DinoVit::withSyntheticWeights(vitConfigByName("dino_vits16"),
                                                          kWeightSeed, cpuOptions());
        const std::vector<ImageFeatures> a = vit.run(full);
        const std::vector<ImageFeatures> b = vit.run(shrunk);
        const std::vector<ImageFeatures> c = vit.run(bilinear);
        for (int i = 0; i < 2; ++i) {
            const auto [minCos, meanCos] = tokenCosines(a[i], b[i]);
            const auto [plainMin, plainMean] = tokenCosines(a[i], c[i]);
            qInfo("image %d: token cosine to the full decode: shrink-on-load min %.4f mean %.4f; "
                  "bilinear resize min %.4f mean %.4f",
                  i, minCos, meanCos, plainMin, plainMean);
            // Random weights amplify pixel noise more than trained ones; the bounds say the
            // reduced decode moves tokens less than swapping the resize filter does.
            QVERIFY(meanCos > plainMean);
            QVERIFY(minCos > plainMin);
            QVERIFY(meanCos > 0.95);
        }
        // Scale: the two different photos' tokens are far apart.
        const auto [otherMin, otherMean] = tokenCosines(a[0], a[1]);
        qInfo("two different photos: min %.4f mean %.4f", otherMin, otherMean);
        QVERIFY(otherMean < 0.9);
    }

private:
    static void verifyBand(const ImageFeatures& f, const torch::Tensor& patchAttention) {
        const NeighbourhoodAttention& band = f.neighbourhood;
        QCOMPARE(band.radius(), 2);
        const int n = f.grid.size();
        int inside = 0;
        for (int q = 0; q < n; ++q)
            for (int k = 0; k < n; ++k) {
                const float expected =
                    f.grid.chebyshev(q, k) <= 2 ? patchAttention[q][k].item<float>() : 0.0f;
                if (f.grid.chebyshev(q, k) <= 2)
                    ++inside;
                QVERIFY(std::abs(band.at(q, k) - expected) < 1e-4f);
            }
        QVERIFY(inside > n); // the band really holds neighbours, not just the diagonal
    }

    template <typename F> static void expectInvalid(F&& f, const char* fragment) {
        try {
            f();
            QFAIL(qPrintable(QStringLiteral("no exception; expected '%1'").arg(fragment)));
        } catch (const std::invalid_argument& e) {
            QVERIFY2(QString(e.what()).contains(fragment), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestDinoVit)
#include "test_dino_vit.moc"
