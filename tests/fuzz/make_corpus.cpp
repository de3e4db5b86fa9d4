// SPDX-License-Identifier: GPL-3.0-or-later
// Writes the seed corpora of the fuzz targets into <root>/<target>/ (tests/fuzz/corpus): small,
// valid files made by our own writers and LibTorch's, plus a few near-misses. The fuzzers find
// the interesting paths faster from valid files than from random bytes.
//
//   fuzz_make_corpus tests/fuzz/corpus

#include "store/feature_store.h"
#include "window/project_file.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <caffe2/serialize/inline_container.h>
#include <opencv2/imgcodecs.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

using namespace freesel;

namespace {

QString gRoot;

void writeSeed(const QString& target, const QString& name, const QByteArray& bytes) {
    QDir().mkpath(gRoot + QLatin1Char('/') + target);
    QFile file(gRoot + QLatin1Char('/') + target + QLatin1Char('/') + name);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) < 0)
        throw std::runtime_error("cannot write " + file.fileName().toStdString());
    std::printf("%s/%s: %lld bytes\n", qPrintable(target), qPrintable(name),
                static_cast<long long>(bytes.size()));
}

QByteArray readFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw std::runtime_error("cannot read " + path.toStdString());
    return file.readAll();
}

QByteArray fromChars(const std::vector<char>& bytes) {
    return QByteArray(bytes.data(), qsizetype(bytes.size()));
}

// ----------------------------------------------------------------------------- checkpoints
/// A few tensors with the names the reader looks for, in several dtypes and one strided view;
/// far too small to be a ViT, so the seeds also reach the architecture checks' refusals.
c10::Dict<std::string, torch::Tensor> backboneTensors(const std::string& prefix) {
    c10::Dict<std::string, torch::Tensor> tensors;
    tensors.insert(prefix + "cls_token", torch::ones({1, 1, 2}));
    tensors.insert(prefix + "pos_embed", torch::arange(4, torch::kFloat16).reshape({1, 2, 2}));
    tensors.insert(prefix + "patch_embed.proj.weight", torch::zeros({64, 3, 1, 1}));
    tensors.insert(prefix + "blocks.0.mlp.fc1.weight",
                   torch::arange(6, torch::kBFloat16).reshape({2, 3}).t());
    tensors.insert(prefix + "head.weight", torch::ones({2}, torch::kFloat64));
    return tensors;
}

QByteArray fullCheckpoint() {
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert("teacher", backboneTensors("backbone."));
    root.insert("student", backboneTensors("module.backbone."));
    root.insert("epoch", int64_t(3));
    root.insert("args", std::string("Namespace(arch='vit_small')"));
    return fromChars(torch::pickle_save(root));
}

QByteArray torchScriptModule() {
    torch::jit::Module module("Backbone");
    module.register_parameter("cls_token", torch::ones({1, 1, 2}), false);
    module.register_buffer("pos_embed", torch::zeros({1, 2, 2}));
    std::ostringstream out;
    module.save(out);
    const std::string bytes = out.str();
    return QByteArray(bytes.data(), qsizetype(bytes.size()));
}

QByteArray safetensors(bool withMetadata) {
    QJsonObject header;
    QByteArray payload;
    auto add = [&](const char* name, const char* dtype, QJsonArray shape, int bytes) {
        const qint64 begin = payload.size();
        for (int i = 0; i < bytes; ++i)
            payload.append(char(0x3c + i % 3));
        header[QLatin1String(name)] =
            QJsonObject{{"dtype", dtype},
                        {"shape", shape},
                        {"data_offsets", QJsonArray{begin, payload.size()}}};
    };
    add("cls_token", "F32", {1, 1, 2}, 8);
    add("pos_embed", "F16", {1, 2, 2}, 8);
    add("patch_embed.proj.weight", "BF16", {2, 3, 1, 1}, 12);
    add("blocks.0.mlp.fc1.weight", "F64", {1, 1}, 8);
    add("norm.bias", "F32", {0}, 0);
    if (withMetadata)
        header[QLatin1String("__metadata__")] = QJsonObject{{"format", "pt"}};
    const QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    QByteArray bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[i] = char((quint64(json.size()) >> (8 * i)) & 0xff);
    return bytes + json + payload;
}

QByteArray dataPkl(const QByteArray& zip) {
    const std::string path = QDir::temp().filePath(QStringLiteral("fuzz_seed.zip")).toStdString();
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly) || file.write(zip) != zip.size())
        throw std::runtime_error("cannot write " + path);
    file.close();
    caffe2::serialize::PyTorchStreamReader reader(path);
    auto [data, size] = reader.getRecord("data.pkl");
    return QByteArray(static_cast<const char*>(data.get()), qsizetype(size));
}

void checkpointSeeds(const QString& testData) {
    const QByteArray stateDict = fromChars(torch::pickle_save(backboneTensors("")));
    const QByteArray full = fullCheckpoint();
    writeSeed("checkpoint_reader", "state_dict.pth", stateDict);
    writeSeed("checkpoint_reader", "full_checkpoint.pth", full);
    writeSeed("checkpoint_reader", "torchscript.pt", torchScriptModule());
    writeSeed("checkpoint_reader", "small.safetensors", safetensors(true));
    const QByteArray legacy = readFile(testData + QStringLiteral("/legacy_format.pth"));
    writeSeed("checkpoint_reader", "legacy_format.pth", legacy);

    writeSeed("safetensors_header", "metadata.safetensors", safetensors(true));
    writeSeed("safetensors_header", "plain.safetensors", safetensors(false));

    // Our pickles, and the ones Python's torch.save wrote for the test data (OrderedDict,
    // _rebuild_parameter, argparse.Namespace in DINO's full checkpoints).
    writeSeed("pickle_reader", "libtorch_state_dict.pkl", dataPkl(stateDict));
    writeSeed("pickle_reader", "libtorch_full_checkpoint.pkl", dataPkl(full));
    writeSeed("pickle_reader", "python_full_checkpoint.pkl",
              dataPkl(readFile(testData + QStringLiteral("/small_full_checkpoint.pth"))));
    writeSeed("pickle_reader", "python_v2_backbone.pkl",
              dataPkl(readFile(testData + QStringLiteral("/small_v2_backbone.pth"))));
    writeSeed("pickle_reader", "python_legacy.pkl", legacy);
}

// ----------------------------------------------------------------------------- feature stores
ImageFeatures smallFeatures() {
    ImageFeatures f;
    f.grid = PatchGrid{2, 2};
    f.dims = 4;
    for (int i = 0; i < 16; ++i)
        f.patchTokens.push_back(float(i) / 16.0f);
    f.clsToken = {1, 2, 3, 4};
    f.clsAttention = {0.1f, 0.2f, 0.3f, 0.4f};
    f.neighbourhood = NeighbourhoodAttention(f.grid, 1);
    for (size_t i = 0; i < f.neighbourhood.values().size(); ++i)
        f.neighbourhood.values()[i] = float(i % 5) / 5.0f;
    return f;
}

/// The fuzz input for a store: flags, u16 length of store.json, store.json, records.bin.
QByteArray storeInput(const QString& folder, int flags) {
    const QByteArray json = readFile(folder + QStringLiteral("/store.json"));
    QByteArray input;
    input.append(char(flags));
    input.append(char(json.size() & 0xff));
    input.append(char((json.size() >> 8) & 0xff));
    return input + json + readFile(folder + QStringLiteral("/records.bin"));
}

QString makeStore(const QString& folder, bool patternsOnly) {
    StoreHeader header;
    header.fingerprint = StoreFingerprint{QStringLiteral("offline"), QStringLiteral("none"), 1};
    header.patternsOnly = patternsOnly;
    header.patternParameters = patternsOnly ? QStringLiteral("tau=0.5|K=2|eps=1") : QString();
    FeatureStore store;
    store.openForWriting(folder, header).throwIfFailed();
    const std::vector<float> patterns =
        patternsOnly ? std::vector<float>(8, 0.5f) : std::vector<float>{};
    store
        .append(StoreKey{QStringLiteral("a.jpg"), 10, 20, 0}, smallFeatures(), patterns,
                patternsOnly ? 2 : 0)
        .throwIfFailed();
    store
        .appendFailure(StoreKey{QStringLiteral("b.png"), 5, 6, 1},
                       QStringLiteral("b.png: not an image"))
        .throwIfFailed();
    store.close();
    return folder;
}

void storeSeeds() {
    QTemporaryDir tmp;
    const QString full = makeStore(tmp.filePath(QStringLiteral("full")), false);
    const QString patterns = makeStore(tmp.filePath(QStringLiteral("patterns")), true);
    writeSeed("store_reader", "full_store", storeInput(full, 0));
    writeSeed("store_reader", "full_store_repair", storeInput(full, 1));
    writeSeed("store_reader", "full_store_write", storeInput(full, 3));
    writeSeed("store_reader", "patterns_store_repair", storeInput(patterns, 1));
}

// ----------------------------------------------------------------------------- project files
void projectSeeds() {
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("p.freesel"));
    QString error;
    ProjectFile project;
    if (!project.save(path, &error))
        throw std::runtime_error(error.toStdString());
    writeSeed("project_file", "defaults.freesel", readFile(path));
    RunParameters& p = project.parameters;
    p.source = QStringLiteral("/data/pool.json");
    p.imageRoot = QStringLiteral("/data/images");
    p.weights = QStringLiteral("/models/dino.pth");
    p.tau = 0.3;
    p.clusters = 10;
    p.budget = 12.5;
    p.budgetPercent = true;
    p.seed = 18446744073709551615ull;
    p.storeDir = QStringLiteral("/tmp/store");
    if (!project.save(path, &error))
        throw std::runtime_error(error.toStdString());
    writeSeed("project_file", "custom.freesel", readFile(path));
    writeSeed("project_file", "minimal.freesel", R"({"format":"freesel-project","version":1})");
}

// ----------------------------------------------------------------------------- images
cv::Mat gradient(int type, int rows = 3, int cols = 5) {
    cv::Mat image(rows, cols, type);
    const int channels = image.channels();
    for (int y = 0; y < image.rows; ++y)
        for (int x = 0; x < image.cols * channels; ++x) {
            const double v = (x + 4 * y) / 30.0;
            switch (image.depth()) {
            case CV_8U:
                image.ptr<uchar>(y)[x] = uchar(v * 255);
                break;
            case CV_16U:
                image.ptr<ushort>(y)[x] = ushort(v * 65535);
                break;
            default:
                image.ptr<float>(y)[x] = float(v);
            }
        }
    return image;
}

void imageSeed(const char* name, const char* extension, int type, int rows = 3, int cols = 5) {
    std::vector<uchar> bytes;
    try {
        if (!cv::imencode(extension, gradient(type, rows, cols), bytes))
            throw cv::Exception();
    } catch (const cv::Exception&) {
        std::printf("skipped %s: this OpenCV cannot write %s\n", name, extension);
        return;
    }
    writeSeed("image_decoder", QLatin1String(name),
              QByteArray(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size())));
}

void imageSeeds() {
    imageSeed("rgb.png", ".png", CV_8UC3);
    imageSeed("grey.png", ".png", CV_8UC1);
    imageSeed("rgba.png", ".png", CV_8UC4);
    imageSeed("grey16.png", ".png", CV_16UC1);
    imageSeed("rgb.jpg", ".jpg", CV_8UC3);
    imageSeed("grey.jpg", ".jpg", CV_8UC1);
    imageSeed("rgb.bmp", ".bmp", CV_8UC3);
    imageSeed("rgb.webp", ".webp", CV_8UC3);
    imageSeed("rgba.tiff", ".tiff", CV_8UC4);
    imageSeed("rgb16.tiff", ".tiff", CV_16UC3);
    imageSeed("rgb.ppm", ".ppm", CV_8UC3);
    imageSeed("grey.pgm", ".pgm", CV_8UC1);
    imageSeed("float.pfm", ".pfm", CV_32FC3);
    imageSeed("float.hdr", ".hdr", CV_32FC3);
    imageSeed("rle.hdr", ".hdr", CV_32FC3, 12, 20); // 8 columns or more: run-length encoded
    imageSeed("rgb.jp2", ".jp2", CV_8UC3);
    imageSeed("rgb.ras", ".ras", CV_8UC3);
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", gradient(CV_8UC3), jpeg);
    writeSeed("image_decoder", "truncated.jpg",
              QByteArray(reinterpret_cast<const char*>(jpeg.data()), qsizetype(jpeg.size() / 2)));
    writeSeed("image_decoder", "header_only.gif",
              QByteArray("GIF89a\x05\x00\x03\x00\x00\x00\x00", 13));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_ROOT (tests/fuzz/corpus)\n", argv[0]);
        return 2;
    }
    gRoot = QString::fromLocal8Bit(argv[1]);
    try {
        checkpointSeeds(QStringLiteral(FREESEL_SOURCE_DIR "/tests/data/vit"));
        storeSeeds();
        projectSeeds();
        imageSeeds();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
