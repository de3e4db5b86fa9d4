// SPDX-License-Identifier: GPL-3.0-or-later
// Checkpoint layouts written by real PyTorch (tests/generate_vit_reference.py): DINO backbone
// .pth, full checkpoint with teacher/student and module./backbone. prefixes, safetensors in
// F32/F16/BF16, TorchScript, DINOv2 keys; and broken files, each with a message that says what
// is wrong.
#include "backbone/dino_vit.h"
#include "support/vit_test_support.h"
#include "weights/checkpoint_reader.h"
#include "weights/pickle_reader.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace freesel;
using namespace freesel::test;

namespace {

/// The weights every small checkpoint in tests/data/vit holds.
const TensorMap& smallTensors() {
    static const TensorMap tensors = syntheticVitTensors(smallConfig(), kWeightSeed);
    return tensors;
}

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), bytes.size());
}

QByteArray readBytes(const std::string& path) {
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

/// torch::pickle_save writes the same zip archive as Python's torch.save.
void writeTorchZip(const QString& path, const TensorMap& tensors) {
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto& [name, tensor] : tensors)
        dict.insert(name, tensor);
    const std::vector<char> bytes = torch::pickle_save(dict);
    writeBytes(path, QByteArray(bytes.data(), qsizetype(bytes.size())));
}

/// A float32 safetensors file, laid out as the format's specification says.
void writeSafeTensors(const QString& path, const TensorMap& tensors) {
    QJsonObject header;
    QByteArray payload;
    for (const auto& [name, tensor] : tensors) {
        const torch::Tensor t = tensor.to(torch::kFloat32).contiguous();
        QJsonArray shape;
        for (int64_t side : t.sizes())
            shape.append(qint64(side));
        const qint64 begin = payload.size();
        payload.append(static_cast<const char*>(t.data_ptr()), qsizetype(t.nbytes()));
        header[QString::fromStdString(name)] =
            QJsonObject{{"dtype", "F32"},
                        {"shape", shape},
                        {"data_offsets", QJsonArray{begin, payload.size()}}};
    }
    const QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    QByteArray bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[i] = char((uint64_t(json.size()) >> (8 * i)) & 0xff);
    writeBytes(path, bytes + json + payload);
}

void verifySameTensors(const TensorMap& loaded, const TensorMap& expected, double tolerance) {
    QCOMPARE(loaded.size(), expected.size());
    for (const auto& [name, tensor] : expected) {
        QVERIFY2(loaded.count(name), name.c_str());
        if (tolerance == 0.0)
            QVERIFY2(torch::equal(loaded.at(name), tensor), name.c_str());
        else
            FREESEL_VERIFY_CLOSE(loaded.at(name), tensor, tolerance);
    }
}

} // namespace

class TestCheckpointReader : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void readsTheDinoBackboneFile() {
        const VitConfig config = smallConfig();
        const VitCheckpoint checkpoint =
            loadVitCheckpoint(vitDataPath("small_backbone.pth"), &config);
        QCOMPARE(checkpoint.layout, CheckpointLayout::TorchZip);
        QCOMPARE(checkpoint.entry, std::string());
        verifySameTensors(checkpoint.tensors, smallTensors(), 0.0);
    }

    void readsTeacherAndStudentOfAFullCheckpoint() {
        const std::string path = vitDataPath("small_full_checkpoint.pth");
        const RawCheckpoint teacher = readRawCheckpoint(path);
        QCOMPARE(teacher.entry, std::string("teacher")); // DINO publishes the teacher
        QCOMPARE(teacher.prefix, std::string("backbone."));
        QVERIFY(std::find(teacher.ignored.begin(), teacher.ignored.end(), "head.mlp.0.weight") !=
                teacher.ignored.end());
        verifySameTensors(teacher.tensors, smallTensors(), 0.0);
        const RawCheckpoint student = readRawCheckpoint(path, "student");
        QCOMPARE(student.prefix, std::string("module.backbone."));
        verifySameTensors(student.tensors, smallTensors(), 0.0);
        expectError([&] { readRawCheckpoint(path, "ema"); },
                    {"has no state-dict entry 'ema'", "teacher", "args"});
    }

    void readsSafeTensorsInEveryFloatType_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("type");
        QTest::newRow("F32") << "small_f32.safetensors" << int(torch::kFloat32);
        QTest::newRow("F16") << "small_f16.safetensors" << int(torch::kFloat16);
        QTest::newRow("BF16") << "small_bf16.safetensors" << int(torch::kBFloat16);
    }

    void readsSafeTensorsInEveryFloatType() {
        QFETCH(QString, file);
        QFETCH(int, type);
        const VitConfig config = smallConfig();
        const VitCheckpoint checkpoint =
            loadVitCheckpoint(vitDataPath(file.toStdString()), &config);
        QCOMPARE(checkpoint.layout, CheckpointLayout::SafeTensors);
        TensorMap rounded; // what the file can hold: the weights rounded to its dtype
        for (const auto& [name, tensor] : smallTensors())
            rounded[name] = tensor.to(torch::ScalarType(type)).to(torch::kFloat32);
        verifySameTensors(checkpoint.tensors, rounded, 0.0);
    }

    void readsTorchScriptParameters() {
        const RawCheckpoint raw = readRawCheckpoint(vitDataPath("small_torchscript.pt"));
        QCOMPARE(raw.layout, CheckpointLayout::TorchScript);
        QCOMPARE(raw.prefix, std::string("vit.")); // the export wrapper's attribute
        verifySameTensors(raw.tensors, smallTensors(), 0.0);
    }

    void infersTheArchitecture() {
        const RawCheckpoint v2 = readRawCheckpoint(vitDataPath("small_v2_backbone.pth"));
        QVERIFY(std::find(v2.ignored.begin(), v2.ignored.end(), "mask_token") != v2.ignored.end());
        const VitConfig inferred = inferVitConfig(v2.tensors, "v2", 3);
        QVERIFY2(inferred == smallV2Config(), inferred.describe().c_str());
        expectError([&] { inferVitConfig(v2.tensors, "v2.pth"); },
                    {"v2.pth", "number of attention heads for width 48"});
        for (const char* name : {"dino_vits16", "dino_vitb8", "dinov2_vits14_reg"}) {
            const VitConfig known = vitConfigByName(name);
            const VitConfig guess = inferVitConfig(syntheticVitTensors(known, 3), name);
            QCOMPARE(guess.name, std::string(name));
            QVERIFY(guess == known);
        }
    }

    void dinoVitLoadsACheckpointFile() {
        const VitConfig config = smallConfig();
        const DinoVit fromFile(vitDataPath("small_full_checkpoint.pth"), {}, &config);
        const DinoVit synthetic = DinoVit::withSyntheticWeights(config, kWeightSeed);
        const cv::Mat image = syntheticRgbImage(32, 40, 5);
        QCOMPARE(fromFile.run({image}).front().patchTokens,
                 synthetic.run({image}).front().patchTokens);
        // Without a config, a width that is not a multiple of 64 cannot give its heads.
        expectError([&] { DinoVit vit(vitDataPath("small_backbone.pth")); },
                    {"small_backbone.pth", "attention heads"});
    }

    void missingAndMisshapenTensorsAreNamed() {
        TensorMap tensors = smallTensors();
        tensors.erase("blocks.1.mlp.fc2.bias");
        tensors["pos_embed"] = torch::zeros({1, 10, 48});
        tensors["blocks.2.norm1.weight"] = torch::zeros({48});
        const VitConfig config = smallConfig();
        for (const QString& file : {tmp_.filePath("bad.pth"), tmp_.filePath("bad.safetensors")}) {
            if (file.endsWith(".pth"))
                writeTorchZip(file, tensors);
            else
                writeSafeTensors(file, tensors);
            expectError([&] { loadVitCheckpoint(file.toStdString(), &config); },
                        {file.toStdString(), "missing tensor 'blocks.1.mlp.fc2.bias'",
                         "wrong shape for 'pos_embed': got [1, 10, 48], expected [1, 17, 48]",
                         "unexpected tensor 'blocks.2.norm1.weight'"});
        }
    }

    void brokenFilesSayWhatIsWrong() {
        const QByteArray good = readBytes(vitDataPath("small_backbone.pth"));
        QVERIFY(good.size() > 1000);
        const QString truncated = tmp_.filePath("truncated.pth");
        writeBytes(truncated, good.left(good.size() / 2));
        expectError([&] { readRawCheckpoint(truncated.toStdString()); },
                    {"truncated.pth", "truncated or damaged"});

        const QByteArray safe = readBytes(vitDataPath("small_f32.safetensors"));
        const QString cut = tmp_.filePath("cut.safetensors");
        writeBytes(cut, safe.left(safe.size() - 100));
        expectError([&] { readRawCheckpoint(cut.toStdString()); },
                    {"cut.safetensors", "truncated safetensors file", "ends at byte"});

        expectError([&] { readRawCheckpoint(vitDataPath("legacy_format.pth")); },
                    {"legacy_format.pth", "legacy serialization", "torch.save(torch.load("});

        QByteArray garbage(4096, '\0');
        for (int i = 0; i < garbage.size(); ++i)
            garbage[i] = char((i * 2654435761u) >> 13);
        const QString noise = tmp_.filePath("noise.bin");
        writeBytes(noise, garbage);
        expectError([&] { readRawCheckpoint(noise.toStdString()); },
                    {"noise.bin", "unknown layout"});

        const QString empty = tmp_.filePath("empty.pth");
        writeBytes(empty, {});
        expectError([&] { readRawCheckpoint(empty.toStdString()); }, {"empty.pth", "too small"});
        expectError([&] { readRawCheckpoint(tmp_.filePath("absent.pth").toStdString()); },
                    {"absent.pth", "cannot open"});

        // A valid torch.save archive that is not a ViT (our own reference outputs).
        expectError([&] { readRawCheckpoint(vitDataPath("small_reference.pth")); },
                    {"small_reference.pth", "no 'cls_token'"});
    }

    void pickleReaderRejectsMalformedData() {
        const char truncated[] = {'\x80', '\x02', '}', 'q'};
        expectRuntime([&] { parsePickle(truncated, sizeof truncated); }, "unexpected end");
        const char unknown[] = {'\x80', '\x02', 'I', '1', '\n', '.'};
        expectRuntime([&] { parsePickle(unknown, sizeof unknown); }, "unsupported pickle opcode");
        const char dict[] = {'\x80', '\x02', '}', 'X', 1, 0, 0, 0, 'k', 'K', 7, 's', '.'};
        const PickleValue value = parsePickle(dict, sizeof dict);
        QVERIFY(value.isDict());
        QCOMPARE(value.find("k")->integer, int64_t(7));
    }

private:
    template <typename F>
    static void expectError(F&& f, std::initializer_list<std::string> fragments) {
        try {
            f();
            QFAIL("no error");
        } catch (const CheckpointError& e) {
            for (const std::string& fragment : fragments)
                QVERIFY2(std::string(e.what()).find(fragment) != std::string::npos,
                         qPrintable(QStringLiteral("'%1' not in: %2")
                                        .arg(QString::fromStdString(fragment), e.what())));
        }
    }

    template <typename F> static void expectRuntime(F&& f, const char* fragment) {
        try {
            f();
            QFAIL("no error");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString(e.what()).contains(fragment), e.what());
        }
    }

    QTemporaryDir tmp_;
};

QTEST_GUILESS_MAIN(TestCheckpointReader)
#include "test_checkpoint_reader.moc"
