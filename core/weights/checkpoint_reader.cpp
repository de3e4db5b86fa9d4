// SPDX-License-Identifier: GPL-3.0-or-later
#include "weights/checkpoint_reader.h"

#include "weights/pickle_reader.h"
#include "weights/safetensors_header.h"

#include <QFile>

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>

#include <algorithm>
#include <cstdlib>
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

/// Whether the view (offset, sizes, strides) stays inside a storage of `elements` and has no
/// more elements than it: the values come from the file, so the arithmetic is overflow-checked
/// (a hostile stride must not wrap around the bound, nor a stride of 0 inflate a clone).
bool viewFits(const PickledTensor& t, int64_t elements) {
    if (t.sizes.size() != t.strides.size() || t.offset < 0 || t.offset > elements)
        return false;
    int64_t last = t.offset, count = 1; // the furthest element the view touches, its numel
    for (size_t i = 0; i < t.sizes.size(); ++i) {
        int64_t reach = 0;
        if (t.sizes[i] < 0 || t.strides[i] < 0 ||
            __builtin_mul_overflow(t.sizes[i], count, &count) ||
            (t.sizes[i] > 0 && (__builtin_mul_overflow(t.sizes[i] - 1, t.strides[i], &reach) ||
                                __builtin_add_overflow(last, reach, &last))))
            return false;
    }
    return count == 0 || (last < elements && count <= elements);
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
        if (!viewFits(t, storage.numel()))
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
        const size_t elementSize = c10::elementSize(type);
        // Checked by division: a hostile element count must neither wrap nor reach torch::empty.
        if (t.storageElements < 0 || uint64_t(t.storageElements) > bytes / elementSize)
            fail(path_, "tensor '" + name + "': record " + record + " has " +
                            std::to_string(bytes) + " bytes, too few for " +
                            std::to_string(t.storageElements) + " elements of " +
                            std::to_string(elementSize) + " bytes (truncated or damaged file)");
        const size_t needed = size_t(t.storageElements) * elementSize;
        torch::Tensor storage = torch::empty({t.storageElements}, type);
        if (needed > 0) // an empty storage has no data pointer to copy to
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

/// `name` is `marker` or ends in "." + marker.
bool isMarkerKey(const std::string& name, const std::string& marker) {
    return name == marker ||
           (name.size() > marker.size() &&
            name.compare(name.size() - marker.size() - 1, marker.size() + 1, "." + marker) == 0);
}

bool hasMarker(const PickleValue& dict, const std::string& marker) {
    for (const auto& [key, value] : *dict.entries)
        if (key.isString() && value.isTensor() && isMarkerKey(key.text, marker))
            return true;
    return false;
}

/// The dict that holds the backbone weights, and its name in the file.
std::pair<const PickleValue*, std::string> locateStateDict(const PickleValue& root,
                                                           const std::string& entry,
                                                           const std::string& path,
                                                           const std::string& marker) {
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
    if (hasMarker(root, marker))
        return {&root, ""};
    // DINO full checkpoints: the teacher is the model DINO evaluates and publishes.
    for (const char* name : {"teacher", "student", "model", "state_dict", "module"}) {
        const PickleValue* candidate = root.find(name);
        if (candidate && candidate->isDict() && hasMarker(*candidate, marker))
            return {candidate, name};
    }
    fail(path, "unknown layout: no '" + marker +
                   "' tensor at the top level nor in a 'teacher', 'student', 'model' or "
                   "'state_dict' entry; top-level entries: " +
                   joinFirst(keysOf(root), 12));
}

/// The archive's data.pkl, parsed; its errors become CheckpointErrors naming the file.
PickleValue readDataPkl(caffe2::serialize::PyTorchStreamReader& reader, const std::string& path) {
    if (!reader.hasRecord("data.pkl"))
        fail(path, "unknown layout: a zip archive without data.pkl (not written by torch.save)");
    auto [data, size] = reader.getRecord("data.pkl");
    try {
        return parsePickle(static_cast<const char*>(data.get()), size);
    } catch (const std::runtime_error& e) {
        fail(path, std::string("damaged data.pkl: ") + e.what());
    }
}

/// Every tensor attribute of a TorchScript module and its submodules, named as
/// named_parameters() / named_buffers() name them ("blocks.0.attn.qkv.weight").
void collectModuleTensors(const PickleValue& module, const std::string& prefix,
                          ZipTensorLoader& loader, std::map<std::string, torch::Tensor>* out) {
    for (const auto& [key, value] : *module.entries) {
        if (!key.isString())
            continue;
        if (value.isTensor())
            (*out)[prefix + key.text] = loader.load(prefix + key.text, *value.tensor);
        else if (value.kind == PickleValue::Kind::Object && value.entries)
            collectModuleTensors(value, prefix + key.text + ".", loader, out);
    }
}

/// The weights of a TorchScript archive, read from its data.pkl like a torch.save file. Not
/// torch::jit::load: that compiles the archive's code/ records, and LibTorch 1.13 crashes
/// (SEGV in ScriptTypeParser) on damaged ones; weights need no code (found by fuzzing).
std::map<std::string, torch::Tensor>
readTorchScriptTensors(caffe2::serialize::PyTorchStreamReader& reader, const std::string& path) {
    const PickleValue root = readDataPkl(reader, path);
    if (root.kind != PickleValue::Kind::Object || !root.entries)
        fail(path, "damaged TorchScript archive: data.pkl does not hold a module");
    ZipTensorLoader loader(reader, path);
    std::map<std::string, torch::Tensor> tensors;
    collectModuleTensors(root, "", loader, &tensors);
    return tensors;
}

std::map<std::string, torch::Tensor>
readTorchZipState(caffe2::serialize::PyTorchStreamReader& reader, const std::string& path,
                  const std::string& entry, const std::string& marker, std::string* chosenEntry) {
    const PickleValue root = readDataPkl(reader, path);
    const auto [state, name] = locateStateDict(root, entry, path, marker);
    *chosenEntry = name;
    ZipTensorLoader loader(reader, path);
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [key, value] : *state->entries)
        if (key.isString() && value.isTensor())
            tensors[key.text] = loader.load(key.text, *value.tensor);
    return tensors;
}

// ----------------------------------------------------------------------------- safetensors
torch::ScalarType safetensorsType(const std::string& dtype) {
    if (dtype == "F16")
        return torch::kFloat16;
    if (dtype == "BF16")
        return torch::kBFloat16;
    if (dtype == "F64")
        return torch::kFloat64;
    return torch::kFloat32; // parseSafetensorsHeader accepts no other dtype
}

std::map<std::string, torch::Tensor> readSafeTensors(const std::string& path) {
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        fail(path, "cannot open the file: " + file.errorString().toStdString());
    const QByteArray bytes = file.readAll();
    SafetensorsHeader header;
    try {
        header = parseSafetensorsHeader(bytes);
    } catch (const SafetensorsError& e) {
        fail(path, e.what());
    }
    // Every entry was checked against the data's size, so these allocations are bounded by it.
    const char* data = bytes.constData() + header.dataOffset;
    std::map<std::string, torch::Tensor> tensors;
    for (const SafetensorsEntry& entry : header.tensors) {
        torch::Tensor tensor = torch::empty(entry.shape, safetensorsType(entry.dtype));
        if (entry.end > entry.begin) // an empty tensor has no data pointer to copy to
            std::memcpy(tensor.data_ptr(), data + entry.begin, size_t(entry.end - entry.begin));
        tensors[entry.name] = tensor;
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

/// 1 + the highest N of the "blocks.N.*" tensors (0 when none). Indices beyond kMaxDepth are
/// refused: they come from the file, and every block up to N is then expected.
int depthOf(const TensorMap& tensors, const std::string& source) {
    constexpr long kMaxDepth = 1024;
    long depth = 0;
    for (const auto& entry : tensors)
        if (startsWith(entry.first, "blocks.")) {
            const long index = std::strtol(entry.first.c_str() + 7, nullptr, 10);
            if (index < 0 || index >= kMaxDepth)
                fail(source, "cannot infer the architecture: tensor '" + entry.first +
                                 "' has a block index outside 0.." + std::to_string(kMaxDepth - 1));
            depth = std::max(depth, index + 1);
        }
    return int(depth);
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

CheckpointTensors readCheckpointTensors(const std::string& path, const std::string& marker,
                                        const std::string& entry) {
    CheckpointTensors read;
    if (sniff(path) == Sniffed::SafeTensors) {
        read.layout = CheckpointLayout::SafeTensors;
        read.tensors = readSafeTensors(path);
        return read;
    }
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
    try {
        reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    } catch (const c10::Error& e) {
        fail(path, "the zip archive is truncated or damaged (" +
                       firstLine(e.what_without_backtrace()) + "); download or copy it again");
    }
    try {
        if (reader->hasRecord("constants.pkl")) { // only TorchScript archives have it
            read.layout = CheckpointLayout::TorchScript;
            read.tensors = readTorchScriptTensors(*reader, path);
        } else {
            read.tensors = readTorchZipState(*reader, path, entry, marker, &read.entry);
        }
    } catch (const CheckpointError&) {
        throw;
    } catch (const c10::Error& e) {
        fail(path, "cannot read the archive (" + firstLine(e.what_without_backtrace()) +
                       "); the file is damaged or not a checkpoint");
    } catch (const std::exception& e) { // anything else LibTorch throws
        fail(path, "cannot read the archive (" + firstLine(e.what()) +
                       "); the file is damaged or not a checkpoint");
    }
    return read;
}

RawCheckpoint readRawCheckpoint(const std::string& path, const std::string& entry) {
    CheckpointTensors read = readCheckpointTensors(path, "cls_token", entry);
    RawCheckpoint raw;
    raw.layout = read.layout;
    raw.entry = read.entry;
    normaliseNames(raw, std::move(read.tensors), path);
    return raw;
}

TensorMap readTorchSaveTensors(const std::string& path) {
    if (sniff(path) != Sniffed::Zip)
        fail(path, "not a torch.save zip archive");
    try {
        caffe2::serialize::PyTorchStreamReader reader(path);
        const PickleValue root = readDataPkl(reader, path);
        if (!root.isDict())
            fail(path, "the archive does not hold a dictionary");
        ZipTensorLoader loader(reader, path);
        TensorMap tensors;
        for (const auto& [key, value] : *root.entries)
            if (key.isString() && value.isTensor())
                tensors[key.text] = loader.load(key.text, *value.tensor);
        return tensors;
    } catch (const CheckpointError&) {
        throw;
    } catch (const c10::Error& e) {
        fail(path, "cannot read the archive (" + firstLine(e.what_without_backtrace()) + ")");
    } catch (const std::exception& e) {
        fail(path, "cannot read the archive (" + firstLine(e.what()) + ")");
    }
}

const torch::Tensor& requireTensor(const TensorMap& tensors, const std::string& name, int dims,
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

VitConfig inferVitConfig(const TensorMap& tensors, const std::string& source, int heads) {
    VitConfig config;
    // By value: GCC 13 flags a reference to need()'s result as possibly dangling.
    const torch::Tensor patch = requireTensor(tensors, "patch_embed.proj.weight", 4, source);
    config.width = int(patch.size(0));
    config.patchSize = int(patch.size(2));
    config.depth = depthOf(tensors, source);
    if (config.depth == 0)
        fail(source, "cannot infer the architecture: no 'blocks.N.*' tensors");
    config.mlpHidden = int(requireTensor(tensors, "blocks.0.mlp.fc1.weight", 2, source).size(0));
    const int64_t positions = requireTensor(tensors, "pos_embed", 3, source).size(1) - 1;
    config.positionGrid = positions > 0 ? int(std::lround(std::sqrt(double(positions)))) : 0;
    if (positions <= 0 || int64_t(config.positionGrid) * config.positionGrid != positions)
        fail(source, "pos_embed has " + std::to_string(positions + 1) +
                         " positions, not 1 + a square grid (position embeddings without the "
                         "[CLS] slot are not supported)");
    config.layerScale = tensors.count("blocks.0.ls1.gamma") > 0;
    if (tensors.count("register_tokens"))
        config.registers = int(requireTensor(tensors, "register_tokens", 3, source).size(1));
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

void checkTensorShapes(const TensorMap& tensors,
                       const std::vector<std::pair<std::string, std::vector<int64_t>>>& expected,
                       const std::function<bool(const std::string&)>& ignored,
                       const std::string& architecture, const std::string& source) {
    std::vector<std::string> problems;
    std::set<std::string> expectedNames;
    for (const auto& [name, shape] : expected) {
        expectedNames.insert(name);
        const auto it = tensors.find(name);
        if (it == tensors.end())
            problems.push_back("missing tensor '" + name + "'");
        else if (it->second.sizes() != c10::IntArrayRef(shape))
            problems.push_back("wrong shape for '" + name + "': got " +
                               shapeText(it->second.sizes()) + ", expected " + shapeText(shape));
    }
    for (const auto& entry : tensors)
        if (!expectedNames.count(entry.first) && !(ignored && ignored(entry.first)))
            problems.push_back("unexpected tensor '" + entry.first + "'");
    if (problems.empty())
        return;
    std::string text = "does not match " + architecture + ": " + problems.front();
    for (size_t i = 1; i < problems.size() && i < 6; ++i)
        text += "; " + problems[i];
    if (problems.size() > 6)
        text += "; and " + std::to_string(problems.size() - 6) + " more problems";
    fail(source, text);
}

void validateVitTensors(const TensorMap& tensors, const VitConfig& config,
                        const std::string& source) {
    checkTensorShapes(tensors, expectedVitTensors(config), isUnusedVitTensor, config.describe(),
                      source);
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
