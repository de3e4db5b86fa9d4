#include "checkpoint_reader.h"

#include "pickle_reader.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>

namespace freesel {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw CheckpointError("checkpoint '" + path + "': " + what);
}

std::string firstLine(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

std::string shapeText(c10::IntArrayRef shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

std::string joinFirst(const std::vector<std::string>& items, size_t count) {
    std::string text;
    for (size_t i = 0; i < items.size() && i < count; ++i)
        text += (i ? ", " : "") + items[i];
    if (items.size() > count)
        text += ", ... (" + std::to_string(items.size()) + " in all)";
    return text;
}

bool startsWith(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

std::string legacyFormatHelp(const std::string& path) {
    return "it uses PyTorch's legacy serialization (before PyTorch 1.6, not a zip archive), "
           "which FreeSel cannot read. Convert it once with PyTorch >= 1.6: python3 -c \"import "
           "torch; torch.save(torch.load('" +
           path +
           "', map_location='cpu'), 'converted.pth')\" "
           "and use converted.pth";
}

// ----------------------------------------------------------------------------- layout sniffing
enum class Sniffed { Zip, SafeTensors };

Sniffed sniff(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        fail(path, std::string("cannot open the file: ") + std::strerror(errno));
    unsigned char head[16] = {};
    file.read(reinterpret_cast<char*>(head), sizeof head);
    const std::streamsize got = file.gcount();
    if (got < 9)
        fail(path, "the file is only " + std::to_string(got) +
                       " bytes long: too small to be a checkpoint (empty or truncated download?)");
    if (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
        return Sniffed::Zip;
    if (head[8] == '{') { // safetensors: u64 header length, then the JSON header
        uint64_t length = 0;
        for (int i = 7; i >= 0; --i)
            length = (length << 8) | head[i];
        if (length >= 2 && length < (uint64_t(1) << 32))
            return Sniffed::SafeTensors;
    }
    if (head[0] == 0x80 && head[1] <= 5) // a bare pickle: the pre-1.6 torch.save format
        fail(path, legacyFormatHelp(path));
    char hex[64];
    std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", head[0], head[1], head[2], head[3]);
    fail(path, std::string("unknown layout: not a PyTorch zip archive (.pth/.pt), safetensors or "
                           "TorchScript file (it starts with bytes ") +
                   hex + ")");
}

// ----------------------------------------------------------------------------- torch.save zip
torch::ScalarType storageScalarType(const PickledTensor& t, const std::string& path) {
    static const std::map<std::string, torch::ScalarType> byName = {
        {"FloatStorage", torch::kFloat32},  {"DoubleStorage", torch::kFloat64},
        {"HalfStorage", torch::kFloat16},   {"BFloat16Storage", torch::kBFloat16},
        {"LongStorage", torch::kInt64},     {"IntStorage", torch::kInt32},
        {"ShortStorage", torch::kInt16},    {"CharStorage", torch::kInt8},
        {"ByteStorage", torch::kUInt8},     {"BoolStorage", torch::kBool},
        {"torch.float32", torch::kFloat32}, {"torch.float64", torch::kFloat64},
        {"torch.float16", torch::kFloat16}, {"torch.bfloat16", torch::kBFloat16},
        {"torch.int64", torch::kInt64},     {"torch.int32", torch::kInt32},
        {"torch.uint8", torch::kUInt8},     {"torch.bool", torch::kBool},
    };
    const auto it = byName.find(t.dtype.empty() ? t.storageType : t.dtype);
    if (it == byName.end())
        fail(path, "unsupported tensor storage type '" +
                       (t.dtype.empty() ? t.storageType : t.dtype) + "'");
    return it->second;
}

class ZipTensorLoader {
public:
    ZipTensorLoader(caffe2::serialize::PyTorchStreamReader& reader, std::string path)
        : reader_(reader), path_(std::move(path)) {}

    torch::Tensor load(const std::string& name, const PickledTensor& t) {
        const torch::ScalarType type = storageScalarType(t, path_);
        torch::Tensor& storage = storages_[t.storageKey];
        if (!storage.defined())
            storage = readStorage(name, t, type);
        int64_t last = t.offset; // the furthest element the view touches
        for (size_t i = 0; i < t.sizes.size() && i < t.strides.size(); ++i)
            last += (t.sizes[i] - 1) * t.strides[i];
        if (t.sizes.size() != t.strides.size() || t.offset < 0 || last >= storage.numel())
            fail(path_, "tensor '" + name + "' lies outside its storage (damaged file)");
        return storage.as_strided(t.sizes, t.strides, t.offset).clone();
    }

private:
    torch::Tensor readStorage(const std::string& name, const PickledTensor& t,
                              torch::ScalarType type) {
        const std::string record = "data/" + t.storageKey;
        if (!reader_.hasRecord(record))
            fail(path_, "tensor '" + name + "': the archive has no record " + record +
                            " (truncated or damaged file)");
        auto [data, bytes] = reader_.getRecord(record);
        const size_t needed = size_t(t.storageElements) * c10::elementSize(type);
        if (bytes < needed)
            fail(path_, "tensor '" + name + "': record " + record + " has " +
                            std::to_string(bytes) + " bytes, expected " + std::to_string(needed) +
                            " (truncated or damaged file)");
        torch::Tensor storage = torch::empty({t.storageElements}, type);
        std::memcpy(storage.data_ptr(), data.get(), needed);
        return storage;
    }

    caffe2::serialize::PyTorchStreamReader& reader_;
    std::string path_;
    std::map<std::string, torch::Tensor> storages_;
};

std::vector<std::string> keysOf(const PickleValue& dict) {
    std::vector<std::string> keys;
    for (const auto& entry : *dict.entries)
        keys.push_back(entry.first.isString() ? entry.first.text : "<non-string key>");
    return keys;
}

bool hasClsToken(const PickleValue& dict) {
    for (const auto& [key, value] : *dict.entries)
        if (key.isString() && value.isTensor() &&
            (key.text == "cls_token" ||
             (key.text.size() > 10 &&
              key.text.compare(key.text.size() - 10, 10, ".cls_token") == 0)))
            return true;
    return false;
}

/// The dict that holds the backbone weights, and its name in the file.
std::pair<const PickleValue*, std::string>
locateStateDict(const PickleValue& root, const std::string& entry, const std::string& path) {
    if (!root.isDict())
        fail(path,
             "unknown layout: the archive holds " +
                 (root.kind == PickleValue::Kind::Object ? "a pickled '" + root.text + "' object"
                                                         : std::string("no dictionary")) +
                 ", not a state dict; save model.state_dict() instead");
    if (!entry.empty()) {
        const PickleValue* chosen = root.find(entry);
        if (!chosen || !chosen->isDict())
            fail(path, "has no state-dict entry '" + entry +
                           "'; its entries are: " + joinFirst(keysOf(root), 12));
        return {chosen, entry};
    }
    if (hasClsToken(root))
        return {&root, ""};
    // DINO full checkpoints: the teacher is the model DINO evaluates and publishes.
    for (const char* name : {"teacher", "student", "model", "state_dict", "module"}) {
        const PickleValue* candidate = root.find(name);
        if (candidate && candidate->isDict() && hasClsToken(*candidate))
            return {candidate, name};
    }
    fail(path, "unknown layout: no 'cls_token' tensor at the top level nor in a 'teacher', "
               "'student', 'model' or 'state_dict' entry; top-level entries: " +
                   joinFirst(keysOf(root), 12));
}

std::map<std::string, torch::Tensor>
readTorchZipState(caffe2::serialize::PyTorchStreamReader& reader, const std::string& path,
                  const std::string& entry, std::string* chosenEntry) {
    if (!reader.hasRecord("data.pkl"))
        fail(path, "unknown layout: a zip archive without data.pkl (not written by torch.save)");
    auto [data, size] = reader.getRecord("data.pkl");
    PickleValue root;
    try {
        root = parsePickle(static_cast<const char*>(data.get()), size);
    } catch (const std::runtime_error& e) {
        fail(path, std::string("damaged data.pkl: ") + e.what());
    }
    const auto [state, name] = locateStateDict(root, entry, path);
    *chosenEntry = name;
    ZipTensorLoader loader(reader, path);
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [key, value] : *state->entries)
        if (key.isString() && value.isTensor())
            tensors[key.text] = loader.load(key.text, *value.tensor);
    return tensors;
}

// ----------------------------------------------------------------------------- safetensors
torch::ScalarType safetensorsType(const QString& dtype, const std::string& name,
                                  const std::string& path) {
    if (dtype == QLatin1String("F32"))
        return torch::kFloat32;
    if (dtype == QLatin1String("F16"))
        return torch::kFloat16;
    if (dtype == QLatin1String("BF16"))
        return torch::kBFloat16;
    if (dtype == QLatin1String("F64"))
        return torch::kFloat64;
    fail(path, "tensor '" + name + "' has dtype " + dtype.toStdString() +
                   "; only F32, F16, BF16 and F64 weights are supported");
}

std::map<std::string, torch::Tensor> readSafeTensors(const std::string& path) {
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        fail(path, "cannot open the file: " + file.errorString().toStdString());
    const QByteArray bytes = file.readAll();
    uint64_t headerLength = 0;
    for (int i = 7; i >= 0; --i)
        headerLength = (headerLength << 8) | static_cast<unsigned char>(bytes[i]);
    if (headerLength > uint64_t(bytes.size()) - 8)
        fail(path, "truncated safetensors file: the header alone needs " +
                       std::to_string(headerLength) + " bytes, the file has " +
                       std::to_string(bytes.size()));
    QJsonParseError error;
    const QJsonDocument header =
        QJsonDocument::fromJson(bytes.mid(8, qsizetype(headerLength)), &error);
    if (!header.isObject())
        fail(path, "the safetensors header is not a JSON object (" +
                       error.errorString().toStdString() + ")");
    const char* payload = bytes.constData() + 8 + headerLength;
    const uint64_t payloadSize = uint64_t(bytes.size()) - 8 - headerLength;
    std::map<std::string, torch::Tensor> tensors;
    const QJsonObject object = header.object();
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it.key() == QLatin1String("__metadata__"))
            continue;
        const std::string name = it.key().toStdString();
        const QJsonObject info = it.value().toObject();
        const torch::ScalarType type = safetensorsType(info.value("dtype").toString(), name, path);
        std::vector<int64_t> shape;
        for (const QJsonValue& side : info.value("shape").toArray())
            shape.push_back(side.toInteger(-1));
        const QJsonArray offsets = info.value("data_offsets").toArray();
        const int64_t begin = offsets.at(0).toInteger(-1), end = offsets.at(1).toInteger(-1);
        torch::Tensor tensor = torch::empty(shape, type);
        if (offsets.size() != 2 || begin < 0 || end < begin ||
            uint64_t(end - begin) != tensor.nbytes())
            fail(path, "tensor '" + name + "': data_offsets do not match its shape and dtype");
        if (uint64_t(end) > payloadSize)
            fail(path, "truncated safetensors file: tensor '" + name + "' ends at byte " +
                           std::to_string(end) + " of the data, which has only " +
                           std::to_string(payloadSize) + " bytes");
        std::memcpy(tensor.data_ptr(), payload + begin, size_t(end - begin));
        tensors[name] = tensor;
    }
    return tensors;
}

// ----------------------------------------------------------------------------- normalisation
/// Strips the prefix in front of "cls_token" from every key that has it; everything else
/// (projection heads, optimizer state) goes to `ignored`, as do the prefix's own "head.*".
void normaliseNames(RawCheckpoint& raw, std::map<std::string, torch::Tensor> all,
                    const std::string& path) {
    std::string clsKey;
    for (const auto& [name, tensor] : all)
        if (name == "cls_token" ||
            (name.size() > 10 && name.compare(name.size() - 10, 10, ".cls_token") == 0))
            if (clsKey.empty() || name.size() < clsKey.size())
                clsKey = name;
    if (clsKey.empty()) {
        std::vector<std::string> names;
        for (const auto& entry : all)
            names.push_back(entry.first);
        fail(path, "unknown layout: no 'cls_token' tensor, so this is not a ViT backbone; "
                   "tensors found: " +
                       joinFirst(names, 8));
    }
    raw.prefix = clsKey.substr(0, clsKey.size() - 9);
    for (auto& [name, tensor] : all) {
        const bool inBackbone = startsWith(name, raw.prefix);
        const std::string local = inBackbone ? name.substr(raw.prefix.size()) : name;
        if (!inBackbone || startsWith(local, "head.") || isUnusedVitTensor(local))
            raw.ignored.push_back(name);
        else
            raw.tensors[local] = tensor;
    }
}

int depthOf(const TensorMap& tensors) {
    int depth = 0;
    for (const auto& entry : tensors)
        if (startsWith(entry.first, "blocks."))
            depth = std::max(depth, std::atoi(entry.first.c_str() + 7) + 1);
    return depth;
}

const torch::Tensor& need(const TensorMap& tensors, const std::string& name, int dims,
                          const std::string& source) {
    const auto it = tensors.find(name);
    if (it == tensors.end())
        fail(source, "cannot infer the architecture: missing tensor '" + name + "'");
    if (it->second.dim() != dims)
        fail(source, "cannot infer the architecture: '" + name + "' has shape " +
                         shapeText(it->second.sizes()) + ", expected " + std::to_string(dims) +
                         " dimensions");
    return it->second;
}

} // namespace

const char* checkpointLayoutName(CheckpointLayout layout) {
    switch (layout) {
    case CheckpointLayout::SafeTensors:
        return "safetensors";
    case CheckpointLayout::TorchScript:
        return "TorchScript";
    case CheckpointLayout::TorchZip:
        break;
    }
    return "torch.save zip";
}

RawCheckpoint readRawCheckpoint(const std::string& path, const std::string& entry) {
    RawCheckpoint raw;
    std::map<std::string, torch::Tensor> all;
    if (sniff(path) == Sniffed::SafeTensors) {
        raw.layout = CheckpointLayout::SafeTensors;
        all = readSafeTensors(path);
    } else {
        std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
        try {
            reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
        } catch (const c10::Error& e) {
            fail(path, "the zip archive is truncated or damaged (" +
                           firstLine(e.what_without_backtrace()) + "); download or copy it again");
        }
        try {
            if (reader->hasRecord("constants.pkl")) { // only TorchScript archives have it
                raw.layout = CheckpointLayout::TorchScript;
                reader.reset();
                const torch::jit::Module module = torch::jit::load(path, torch::kCPU);
                for (const auto& p : module.named_parameters(true))
                    all[p.name] = p.value.detach();
                for (const auto& b : module.named_buffers(true))
                    all[b.name] = b.value.detach();
            } else {
                all = readTorchZipState(*reader, path, entry, &raw.entry);
            }
        } catch (const c10::Error& e) {
            fail(path, "cannot read the archive (" + firstLine(e.what_without_backtrace()) +
                           "); the file is damaged or not a checkpoint");
        }
    }
    normaliseNames(raw, std::move(all), path);
    return raw;
}

TensorMap readTorchSaveTensors(const std::string& path) {
    if (sniff(path) != Sniffed::Zip)
        fail(path, "not a torch.save zip archive");
    try {
        caffe2::serialize::PyTorchStreamReader reader(path);
        auto [data, size] = reader.getRecord("data.pkl");
        const PickleValue root = parsePickle(static_cast<const char*>(data.get()), size);
        if (!root.isDict())
            fail(path, "the archive does not hold a dictionary");
        ZipTensorLoader loader(reader, path);
        TensorMap tensors;
        for (const auto& [key, value] : *root.entries)
            if (key.isString() && value.isTensor())
                tensors[key.text] = loader.load(key.text, *value.tensor);
        return tensors;
    } catch (const c10::Error& e) {
        fail(path, "cannot read the archive (" + firstLine(e.what_without_backtrace()) + ")");
    }
}

VitConfig inferVitConfig(const TensorMap& tensors, const std::string& source, int heads) {
    VitConfig config;
    // By value: GCC 13 flags a reference to need()'s result as possibly dangling.
    const torch::Tensor patch = need(tensors, "patch_embed.proj.weight", 4, source);
    config.width = int(patch.size(0));
    config.patchSize = int(patch.size(2));
    config.depth = depthOf(tensors);
    if (config.depth == 0)
        fail(source, "cannot infer the architecture: no 'blocks.N.*' tensors");
    config.mlpHidden = int(need(tensors, "blocks.0.mlp.fc1.weight", 2, source).size(0));
    const int64_t positions = need(tensors, "pos_embed", 3, source).size(1) - 1;
    config.positionGrid = int(std::lround(std::sqrt(double(positions))));
    if (int64_t(config.positionGrid) * config.positionGrid != positions)
        fail(source, "pos_embed has " + std::to_string(positions + 1) +
                         " positions, not 1 + a square grid (position embeddings without the "
                         "[CLS] slot are not supported)");
    config.layerScale = tensors.count("blocks.0.ls1.gamma") > 0;
    if (tensors.count("register_tokens"))
        config.registers = int(need(tensors, "register_tokens", 3, source).size(1));
    config.heads = heads > 0 ? heads : conventionalHeadCount(config.width);
    if (config.heads == 0)
        fail(source, "cannot infer the number of attention heads for width " +
                         std::to_string(config.width) +
                         " (not a multiple of 64); give the model's config explicitly");
    for (const VitConfig& known : knownVitConfigs())
        if (known == config)
            config.name = known.name;
    return config;
}

void validateVitTensors(const TensorMap& tensors, const VitConfig& config,
                        const std::string& source) {
    std::vector<std::string> problems;
    std::set<std::string> expectedNames;
    for (const auto& [name, shape] : expectedVitTensors(config)) {
        expectedNames.insert(name);
        const auto it = tensors.find(name);
        if (it == tensors.end())
            problems.push_back("missing tensor '" + name + "'");
        else if (it->second.sizes() != c10::IntArrayRef(shape))
            problems.push_back("wrong shape for '" + name + "': got " +
                               shapeText(it->second.sizes()) + ", expected " + shapeText(shape));
    }
    for (const auto& entry : tensors)
        if (!expectedNames.count(entry.first) && !isUnusedVitTensor(entry.first))
            problems.push_back("unexpected tensor '" + entry.first + "'");
    if (problems.empty())
        return;
    std::string text = "does not match " + config.describe() + ": " + problems.front();
    for (size_t i = 1; i < problems.size() && i < 6; ++i)
        text += "; " + problems[i];
    if (problems.size() > 6)
        text += "; and " + std::to_string(problems.size() - 6) + " more problems";
    fail(source, text);
}

VitCheckpoint loadVitCheckpoint(const std::string& path, const VitConfig* expected,
                                const std::string& entry) {
    RawCheckpoint raw = readRawCheckpoint(path, entry);
    VitCheckpoint checkpoint;
    checkpoint.config = expected ? *expected : inferVitConfig(raw.tensors, path);
    validateVitTensors(raw.tensors, checkpoint.config, path);
    for (auto& [name, tensor] : raw.tensors)
        checkpoint.tensors[name] = tensor.to(torch::kFloat32).contiguous();
    checkpoint.layout = raw.layout;
    checkpoint.entry = raw.entry;
    return checkpoint;
}

} // namespace freesel
