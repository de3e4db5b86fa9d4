// SPDX-License-Identifier: GPL-3.0-or-later
// CLIP as an extraction backend: a generated pool through the real pipeline session with a
// generated checkpoint; what the store keeps for each image (the CLIP embedding, the patch
// tokens, the [CLS] attention) equals the encoder run independently on that image file. Also:
// the factory recognises a CLIP file, checks a named model, and the text side encodes as
// clipEncodeText does.
#include "backbone/backend_factory.h"
#include "backbone/clip_backend.h"
#include "backbone/clip_model.h"
#include "pipeline_session.h"
#include "support/clip_test_support.h"
#include "weights/clip_checkpoint.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>

using namespace freesel;

namespace {

/// Distinct 32 x 32 images: seeded noise under a coloured disc.
QStringList writePool(const QString& folder, int count) {
    QDir().mkpath(folder);
    QStringList paths;
    for (int i = 0; i < count; ++i) {
        cv::Mat image(32, 32, CV_8UC3);
        cv::theRNG().state = uint64_t(77 + i);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::circle(image, {8 + 3 * i, 16}, 6 + i, cv::Scalar(30 * i, 255 - 40 * i, 90), cv::FILLED);
        paths << QStringLiteral("%1/img_%2.png").arg(folder).arg(i);
        cv::imwrite(paths.last().toStdString(), image);
    }
    return paths;
}

double maxAbsDiff(const std::vector<float>& a, const torch::Tensor& b) {
    const torch::Tensor t = b.to(torch::kFloat32).contiguous().flatten();
    if (size_t(t.numel()) != a.size())
        return 1e30;
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, double(std::abs(a[i] - t[int64_t(i)].item<float>())));
    return worst;
}

} // namespace

class TestClipBackend : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        checkpoint_ = dir_.filePath(QStringLiteral("small_clip.bin"));
        QVERIFY(test::writeClipCheckpoint(checkpoint_,
                                          test::seededClipTensors(test::smallClipConfig(), 5)));
    }

    void storeKeepsTheModelsEmbedding() {
        const QStringList paths = writePool(dir_.filePath(QStringLiteral("pool")), 5);
        RunParameters p;
        p.source = dir_.filePath(QStringLiteral("pool"));
        p.backend = QStringLiteral("clip");
        p.weights = checkpoint_;
        p.checkModel = false;
        p.device = QStringLiteral("cpu");
        p.inputSize = 32;
        p.batchSize = 3; // two batches, the second shorter
        p.storeDir = dir_.filePath(QStringLiteral("store"));
        PipelineSession session;
        session.scan(p);
        session.prepareBackend(p);
        QCOMPARE(session.backend().backend->name(), QStringLiteral("clip"));
        session.openStore(p, StoreAccess::Write);
        session.extract(p);
        const FeatureStore& store = session.store();
        QVERIFY(store.header().fingerprint.backend.startsWith(QStringLiteral("clip|model=")));
        QVERIFY(store.header().fingerprint.backend.contains(session.backend().modelChecksum));

        const ClipWeights weights = loadClipCheckpoint(checkpoint_.toStdString());
        std::vector<float> first;
        for (size_t i = 0; i < session.pool()->size(); ++i) {
            const QString path = (*session.pool())[i].path;
            cv::Mat rgb;
            cv::cvtColor(cv::imread(path.toStdString()), rgb, cv::COLOR_BGR2RGB);
            const ClipImageOutput out =
                clipEncodeImage(weights, clipInputTensor({rgb}, 32, torch::Device(torch::kCPU)));
            const int record = session.records()[i];
            QVERIFY(record >= 0);
            const ImageFeatures stored = store.load(record);
            QCOMPARE(stored.grid, (PatchGrid{4, 4}));
            QCOMPARE(stored.dims, 64);
            QCOMPARE(int(stored.clipEmbedding.size()), 32);
            QCOMPARE(store.loadClipEmbedding(record), stored.clipEmbedding);
            const double embedding = maxAbsDiff(stored.clipEmbedding, out.embedding[0]);
            QVERIFY2(embedding < 1e-4, qPrintable(QString::number(embedding)));
            // fp16 patch tokens: within half a unit of 11 bits of values below ~8
            const double tokens = maxAbsDiff(stored.patchTokens, out.tokens[0].slice(0, 1));
            QVERIFY2(tokens < 1e-2, qPrintable(QString::number(tokens)));
            const torch::Tensor row = out.attention[0][0].slice(0, 1);
            const double attention = maxAbsDiff(stored.clsAttention, row / row.sum());
            QVERIFY2(attention < 1e-5, qPrintable(QString::number(attention)));
            if (i == 0)
                first = stored.clipEmbedding;
            else // the images differ, and so do their embeddings: the check above bites
                QVERIFY(maxAbsDiff(first, out.embedding[0]) > 1e-2);
        }
    }

    // openai/CLIP: short side to the input size, then a centre crop. The pipeline must not
    // square the image first (a 96 x 48 image squashed to 32 x 32 is another picture).
    void nonSquareImagesAreCroppedNotSquashed() {
        const QString folder = dir_.filePath(QStringLiteral("wide"));
        QDir().mkpath(folder);
        cv::Mat wide(48, 96, CV_8UC3), tall(100, 40, CV_8UC3); // rows x cols
        cv::theRNG().state = 11;
        cv::randu(wide, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::randu(tall, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::rectangle(wide, {0, 0, 24, 48}, cv::Scalar(0, 0, 255), cv::FILLED);  // left strip
        cv::rectangle(tall, {0, 70, 40, 30}, cv::Scalar(255, 0, 0), cv::FILLED); // bottom
        cv::imwrite((folder + QStringLiteral("/a_wide.png")).toStdString(), wide);
        cv::imwrite((folder + QStringLiteral("/b_tall.png")).toStdString(), tall);
        RunParameters p;
        p.source = folder;
        p.backend = QStringLiteral("clip");
        p.weights = checkpoint_;
        p.checkModel = false;
        p.device = QStringLiteral("cpu");
        p.inputSize = 64; // not CLIP's 32: the model's own resolution wins
        p.storeDir = dir_.filePath(QStringLiteral("wide_store"));
        PipelineSession session;
        session.scan(p);
        session.prepareBackend(p);
        session.openStore(p, StoreAccess::Write);
        session.extract(p);
        const ClipWeights weights = loadClipCheckpoint(checkpoint_.toStdString());
        const torch::Device cpu(torch::kCPU);
        // By hand: 96 x 48 -> 64 x 32 (box average, shrinking), columns 16..47 kept;
        // 40 x 100 -> 32 x 80, rows round((80 - 32) / 2) = 24..55 kept.
        const std::vector<std::pair<cv::Size, cv::Rect>> plans{{{64, 32}, {16, 0, 32, 32}},
                                                               {{32, 80}, {0, 24, 32, 32}}};
        for (size_t i = 0; i < 2; ++i) {
            cv::Mat rgb, resized, squashed;
            cv::cvtColor(cv::imread((*session.pool())[i].path.toStdString()), rgb,
                         cv::COLOR_BGR2RGB);
            cv::resize(rgb, resized, plans[i].first, 0, 0, cv::INTER_AREA);
            const cv::Mat crop = resized(plans[i].second).clone();
            cv::resize(rgb, squashed, {32, 32}, 0, 0, cv::INTER_AREA);
            const torch::Tensor expected =
                clipEncodeImage(weights, clipInputTensor({crop}, 32, cpu)).embedding[0];
            const torch::Tensor wrong =
                clipEncodeImage(weights, clipInputTensor({squashed}, 32, cpu)).embedding[0];
            const std::vector<float> stored =
                session.store().loadClipEmbedding(session.records()[i]);
            const double error = maxAbsDiff(stored, expected);
            QVERIFY2(error < 1e-4, qPrintable(QString::number(error)));
            QVERIFY(maxAbsDiff(stored, wrong) > 1e-2); // the check above tells them apart
        }
        QVERIFY(session.store().header().fingerprint.input.startsWith(QStringLiteral("short:32")));
    }

    void factoryRecognisesAndChecksClip() {
        BackendChoice choice; // auto, the default DINO model name, but a CLIP file
        choice.weights = checkpoint_;
        choice.checkModel = false;
        choice.device = QStringLiteral("cpu");
        const BackendSelection chosen = createBackend(choice);
        QCOMPARE(chosen.backend->name(), QStringLiteral("clip"));
        QCOMPARE(chosen.modelName, QStringLiteral("small_clip")); // not an official shape
        QCOMPARE(chosen.backend->patchSize(), 8);
        choice.model = QStringLiteral("clip-vit-b32");
        choice.checkModel = true;
        try {
            createBackend(choice);
            QFAIL("a small checkpoint passed for ViT-B/32");
        } catch (const std::invalid_argument& error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("ViT-B/32")),
                     error.what());
            QVERIFY2(QString::fromUtf8(error.what()).contains(checkpoint_), error.what());
        }
        choice.checkModel = false;
        choice.precision = QStringLiteral("bfloat16");
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, createBackend(choice));
    }

    void imageParallelGivesTheSameFeaturesInOrder() {
        // Two threads taking two images at a time against every product split across them.
        std::vector<cv::Mat> images;
        for (int i = 0; i < 5; ++i) {
            cv::Mat image(32, 32, CV_8UC3);
            cv::theRNG().state = uint64_t(300 + i);
            cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
            images.push_back(image);
        }
        ClipBackendOptions options;
        options.device = "cpu";
        options.threads = 2;
        options.batchSize = 5;
        options.imagesPerTask = 2; // tasks of 2, 2 and 1 images
        options.imageParallel = false;
        ClipBackend split(checkpoint_.toStdString(), QStringLiteral("test"), options);
        options.imageParallel = true;
        ClipBackend shared(checkpoint_.toStdString(), QStringLiteral("test"), options);
        QVERIFY(!split.runsIdleWork(5));
        QVERIFY(shared.runsIdleWork(5));
        std::atomic<int> idleCalls{0}; // the pipeline's decoding, between and after the tasks
        const std::vector<ImageFeatures> expected = split.run(images),
                                         got = shared.runSharingThreads(
                                             images, [&idleCalls] { return ++idleCalls <= 2; });
        QVERIFY(idleCalls.load() >= 3);
        QCOMPARE(got.size(), images.size());
        for (size_t i = 0; i < images.size(); ++i) {
            QVERIFY(maxAbsDiff(got[i].clipEmbedding, torch::tensor(expected[i].clipEmbedding)) <
                    1e-4);
            QVERIFY(maxAbsDiff(got[i].patchTokens, torch::tensor(expected[i].patchTokens)) < 1e-4);
        }
        QVERIFY(maxAbsDiff(expected[0].clipEmbedding, torch::tensor(expected[1].clipEmbedding)) >
                1e-3);
        options.imagesPerTask = 0;
        QVERIFY_THROWS_EXCEPTION(
            std::invalid_argument,
            ClipBackend(checkpoint_.toStdString(), QStringLiteral("test"), options));
    }

    void textsEncodeAsTheTextEncoder() {
        const ClipBackend backend(checkpoint_.toStdString(), QStringLiteral("test"));
        const QStringList texts{QStringLiteral("a photo of a dog"), QStringLiteral("red")};
        const std::vector<std::vector<float>> embeddings = backend.encodeTexts(texts);
        QCOMPARE(int(embeddings.size()), 2);
        const ClipWeights weights = loadClipCheckpoint(checkpoint_.toStdString());
        for (int row = 0; row < 2; ++row) {
            const std::vector<int> ids = ClipTokenizer::shipped().tokenize(texts[row]);
            const torch::Tensor tensor =
                torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).reshape({1, -1});
            const torch::Tensor expected = clipEncodeText(weights, tensor)[0];
            QVERIFY(maxAbsDiff(embeddings[size_t(row)], expected) < 1e-5);
        }
        QVERIFY(maxAbsDiff(embeddings[0], torch::tensor(embeddings[1])) > 1e-3);
    }

private:
    QTemporaryDir dir_;
    QString checkpoint_;
};

QTEST_GUILESS_MAIN(TestClipBackend)
#include "test_clip_backend.moc"
