// SPDX-License-Identifier: GPL-3.0-or-later
// CLIP's image and text encoders against an independent PyTorch model written from
// openai/CLIP's architecture (tests/generate_clip_reference.py): a small model with seeded
// float16 weights in the official TorchScript layout and as an open_clip state dict.
#include "backbone/clip_kernels.h"
#include "backbone/clip_model.h"
#include "backbone/vit_kernels.h"
#include "weights/clip_checkpoint.h"

#include <QtTest>

#include <string>

using namespace freesel;

namespace {

std::string clipDataPath(const std::string& file) {
    return std::string(FREESEL_SOURCE_DIR "/tests/data/clip/") + file;
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

const TensorMap& reference() {
    static const TensorMap tensors = readTorchSaveTensors(clipDataPath("small_clip_reference.pth"));
    return tensors;
}

/// What the check failed with, or "" when it passed.
template <typename F> std::string errorOf(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestClipModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void infersSmallConfigFromTorchScript();
    void imageEncoderMatchesReference();
    void textEncoderMatchesReference();
    void packedEncodersMatchReference();
    void attentionSplitsHeads();
    void openClipStateDictEqualsTorchScript();
    void officialShapesAreNamed();
    void checkpointProblemsAreNamed();
    void inputShapesAreChecked();
    void preprocessingCropsTheCentre();
};

void TestClipModel::infersSmallConfigFromTorchScript() {
    CheckpointLayout layout = CheckpointLayout::TorchZip;
    const ClipWeights w = loadClipCheckpoint(clipDataPath("small_clip_torchscript.pt"), &layout);
    QCOMPARE(layout, CheckpointLayout::TorchScript);
    const ClipConfig& c = w.config;
    QCOMPARE(c.vision.width, 64);
    QCOMPARE(c.vision.layers, 2);
    QCOMPARE(c.vision.heads, 1);
    QCOMPARE(c.patchSize, 8);
    QCOMPARE(c.grid, 4);
    QCOMPARE(c.inputResolution(), 32);
    QCOMPARE(c.embedDim, 32);
    QCOMPARE(c.text.width, 64);
    QCOMPARE(c.text.layers, 2);
    QCOMPARE(c.contextLength, 16);
    QCOMPARE(c.vocabSize, 300);
    QVERIFY(c.name.empty());
    for (const auto& entry : w.tensors)
        QCOMPARE(entry.second.scalar_type(), torch::kFloat32); // stored as float16
    QVERIFY(std::abs(w.logitScale() - reference().at("logit_scale").item<double>()) < 1e-3);
}

void TestClipModel::imageEncoderMatchesReference() {
    const ClipWeights w = loadClipCheckpoint(clipDataPath("small_clip_torchscript.pt"));
    const ClipImageOutput out = clipEncodeImage(w, reference().at("images"));
    const double embedding = maxAbsDiff(out.embedding, reference().at("image_embedding"));
    const double tokens = maxAbsDiff(out.tokens, reference().at("image_tokens"));
    const double attention = maxAbsDiff(out.attention, reference().at("image_attention"));
    qInfo("max abs error: embedding %.2e tokens %.2e attention %.2e", embedding, tokens, attention);
    QVERIFY(embedding < 1e-4);
    QVERIFY(tokens < 1e-4);
    QVERIFY(attention < 1e-4);
    // The embedding is not trivially small: the check above is not vacuous.
    QVERIFY(out.embedding.abs().max().item<double>() > 0.1);
}

void TestClipModel::textEncoderMatchesReference() {
    const ClipWeights w = loadClipCheckpoint(clipDataPath("small_clip_torchscript.pt"));
    const torch::Tensor text = clipEncodeText(w, reference().at("ids"));
    const double error = maxAbsDiff(text, reference().at("text_embedding"));
    qInfo("text embedding max abs error %.2e", error);
    QVERIFY(error < 1e-4);
    // The causal mask matters: a token after end-of-text must not change the embedding.
    torch::Tensor ids = reference().at("ids").clone();
    ids.index_put_({0, 6}, 17); // row 0 ends at position 4
    QVERIFY(maxAbsDiff(clipEncodeText(w, ids)[0], text[0]) < 1e-6);
}

void TestClipModel::packedEncodersMatchReference() {
    // What ClipBackend runs on the CPU: oneDNN-packed products with the query scale and
    // QuickGELU's factor folded into the weights.
    if (!packedKernelsAvailable())
        QSKIP("LibTorch without oneDNN: only the exact path exists");
    ClipWeights w = loadClipCheckpoint(clipDataPath("small_clip_torchscript.pt"));
    packClipWeights(w);
    QCOMPARE(int(w.packed.size()), w.config.vision.layers + w.config.text.layers);
    const ClipImageOutput out = clipEncodeImage(w, reference().at("images"));
    const double embedding = maxAbsDiff(out.embedding, reference().at("image_embedding"));
    const double tokens = maxAbsDiff(out.tokens, reference().at("image_tokens"));
    const double attention = maxAbsDiff(out.attention, reference().at("image_attention"));
    const double text =
        maxAbsDiff(clipEncodeText(w, reference().at("ids")), reference().at("text_embedding"));
    qInfo("packed max abs error: embedding %.2e tokens %.2e attention %.2e text %.2e", embedding,
          tokens, attention, text);
    QVERIFY(embedding < 1e-4);
    QVERIFY(tokens < 1e-4);
    QVERIFY(attention < 1e-4);
    QVERIFY(text < 1e-4);
}

void TestClipModel::attentionSplitsHeads() {
    // The reference model has one head per tower; here 4 heads of 8 on 5 tokens with a causal
    // mask, against nn.MultiheadAttention's definition written head by head: columns
    // h*8..h*8+7 of q, k and v, softmax(q k^T / sqrt(8) + mask) v, heads concatenated.
    torch::manual_seed(5);
    const int64_t batch = 2, tokens = 5, width = 32, heads = 4, dh = 8;
    const torch::Tensor qkv = torch::randn({batch, tokens, 3 * width});
    const torch::Tensor mask = torch::full({tokens, tokens}, -INFINITY).triu(1);
    torch::Tensor attention;
    const torch::Tensor mixed = clipAttentionCore(qkv, int(heads), false, mask, &attention);
    torch::Tensor probsSum = torch::zeros({batch, tokens, tokens});
    std::vector<torch::Tensor> outs;
    for (int64_t h = 0; h < heads; ++h) {
        const torch::Tensor q = qkv.slice(2, h * dh, (h + 1) * dh);
        const torch::Tensor k = qkv.slice(2, width + h * dh, width + (h + 1) * dh);
        const torch::Tensor v = qkv.slice(2, 2 * width + h * dh, 2 * width + (h + 1) * dh);
        const torch::Tensor p =
            torch::softmax(torch::matmul(q, k.transpose(1, 2)) / std::sqrt(8.0) + mask, -1);
        probsSum += p;
        outs.push_back(torch::matmul(p, v));
    }
    QVERIFY(maxAbsDiff(mixed, torch::cat(outs, 2)) < 1e-5);
    QVERIFY(maxAbsDiff(attention, probsSum / double(heads)) < 1e-6);
    // Queries already scaled (a packed in_proj): the same result from pre-scaled queries.
    torch::Tensor scaled = qkv.clone();
    scaled.slice(2, 0, width).mul_(1.0 / std::sqrt(8.0));
    QVERIFY(maxAbsDiff(clipAttentionCore(scaled, int(heads), true, mask, nullptr), mixed) < 1e-5);
}

void TestClipModel::openClipStateDictEqualsTorchScript() {
    CheckpointLayout layout = CheckpointLayout::TorchScript;
    const ClipWeights a = loadClipCheckpoint(clipDataPath("small_clip_openclip.bin"), &layout);
    QCOMPARE(layout, CheckpointLayout::TorchZip);
    const ClipWeights b = loadClipCheckpoint(clipDataPath("small_clip_torchscript.pt"));
    QVERIFY(a.config == b.config);
    QCOMPARE(a.tensors.size(), b.tensors.size());
    for (const auto& [name, tensor] : b.tensors)
        QVERIFY2(torch::equal(a.tensors.at(name), tensor), name.c_str());
    QVERIFY(isClipCheckpoint(clipDataPath("small_clip_openclip.bin")));
}

void TestClipModel::officialShapesAreNamed() {
    for (const ClipConfig& known : knownClipConfigs()) {
        TensorMap tensors; // shapes only: expanded scalars hold no memory
        for (const auto& [name, shape] : expectedClipTensors(known))
            tensors[name] = torch::zeros({}).expand(shape);
        const ClipConfig inferred = inferClipConfig(tensors, "shapes");
        QCOMPARE(inferred.name, known.name);
        QCOMPARE(inferred.inputResolution(), 224);
    }
    QCOMPARE(knownClipConfigs().front().name, std::string("ViT-B/32"));
    QCOMPARE(knownClipConfigs().back().vision.heads, 16); // ViT-L/14
}

void TestClipModel::checkpointProblemsAreNamed() {
    const ClipWeights w = loadClipCheckpoint(clipDataPath("small_clip_torchscript.pt"));
    TensorMap missing = w.tensors;
    missing.erase("transformer.resblocks.1.mlp.c_fc.bias");
    std::string error = errorOf([&] { validateClipTensors(missing, w.config, "x.pt"); });
    QVERIFY2(error.find("missing tensor 'transformer.resblocks.1.mlp.c_fc.bias'") !=
                 std::string::npos,
             error.c_str());
    TensorMap wrong = w.tensors;
    wrong["visual.proj"] = torch::zeros({64, 31});
    error = errorOf([&] { validateClipTensors(wrong, w.config, "x.pt"); });
    QVERIFY2(error.find("wrong shape for 'visual.proj': got [64, 31], expected [64, 32]") !=
                 std::string::npos,
             error.c_str());
    TensorMap extra = w.tensors;
    extra["visual.head.weight"] = torch::zeros({2});
    error = errorOf([&] { validateClipTensors(extra, w.config, "x.pt"); });
    QVERIFY2(error.find("unexpected tensor 'visual.head.weight'") != std::string::npos,
             error.c_str());
    QVERIFY2(error.find("x.pt") != std::string::npos, error.c_str());
    // A DINO checkpoint is not CLIP, and says so.
    const std::string dino = std::string(FREESEL_SOURCE_DIR "/tests/data/vit/small_backbone.pth");
    QVERIFY(!isClipCheckpoint(dino));
    error = errorOf([&] { loadClipCheckpoint(dino); });
    QVERIFY2(error.find("small_backbone.pth") != std::string::npos, error.c_str());
    QVERIFY2(error.find("visual.conv1.weight") != std::string::npos, error.c_str());
}

void TestClipModel::inputShapesAreChecked() {
    const ClipWeights w = loadClipCheckpoint(clipDataPath("small_clip_torchscript.pt"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             clipEncodeImage(w, torch::zeros({1, 3, 224, 224})));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             clipEncodeText(w, torch::zeros({1, 77}, torch::kLong)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             clipEncodeText(w, torch::full({1, 16}, 300, torch::kLong)));
}

void TestClipModel::preprocessingCropsTheCentre() {
    // 40 x 80 image, left half black, centre quarter red, right half white: after the short
    // side goes to 20 (40 x 20 -> the centre 20 x 20 crop) only red remains in the middle.
    cv::Mat image(40, 80, CV_8UC3, cv::Scalar(0, 0, 0));
    image(cv::Rect(40, 0, 40, 40)).setTo(cv::Scalar(255, 255, 255));
    image(cv::Rect(20, 0, 40, 40)).setTo(cv::Scalar(255, 0, 0));
    const torch::Tensor t = clipInputTensor({image}, 20, torch::kCPU);
    QVERIFY(t.sizes() == c10::IntArrayRef({1, 3, 20, 20}));
    const float red = (1.0f - 0.48145466f) / 0.26862954f;
    const float green = (0.0f - 0.4578275f) / 0.26130258f;
    QVERIFY(std::abs(t[0][0][10][10].item<float>() - red) < 1e-4);
    QVERIFY(std::abs(t[0][1][10][10].item<float>() - green) < 1e-4);
}

QTEST_GUILESS_MAIN(TestClipModel)
#include "test_clip_model.moc"
