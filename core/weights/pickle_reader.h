// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace freesel {

/// A tensor inside a torch.save archive: the storage is the zip record "data/<storageKey>".
struct PickledTensor {
    std::string storageKey;
    std::string storageType; ///< Python class, e.g. "FloatStorage", "BFloat16Storage"
    std::string dtype;       ///< torch dtype name when given explicitly (_rebuild_tensor_v3)
    int64_t storageElements = 0;
    int64_t offset = 0; ///< in elements
    std::vector<int64_t> sizes;
    std::vector<int64_t> strides;
};

/// A value of the restricted pickle subset torch.save writes. Containers are shared, as in
/// Python, so memoised references see later SETITEMS / APPENDS.
struct PickleValue {
    enum class Kind { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Tensor, Object };
    using Items = std::vector<PickleValue>;
    using Entries = std::vector<std::pair<PickleValue, PickleValue>>;

    Kind kind = Kind::None;
    int64_t integer = 0;              ///< Bool, Int
    double real = 0.0;                ///< Float
    std::string text;                 ///< String, Bytes; Object: its class "module.Name"
    std::shared_ptr<Items> items;     ///< List, Tuple; Object: the constructor arguments
    std::shared_ptr<Entries> entries; ///< Dict (insertion order kept); Object: its BUILD state
    std::shared_ptr<PickledTensor> tensor;

    bool isDict() const { return kind == Kind::Dict; }
    bool isTensor() const { return kind == Kind::Tensor; }
    bool isString() const { return kind == Kind::String; }
    /// Dict lookup by string key; nullptr when absent or not a dict.
    const PickleValue* find(const std::string& key) const;
};

/// Parses the pickle torch.save wrote (protocol 2, also 3-5 opcodes). Instead of running code it
/// understands the globals a checkpoint needs (OrderedDict, torch._utils._rebuild_tensor*,
/// _rebuild_parameter, storage classes) and keeps any other object (argparse.Namespace in
/// DINO's full checkpoints, numpy scalars) as an opaque Object. LibTorch's own pickle_load
/// cannot read these files: it maps OrderedDict to None and rejects SETITEM.
/// Throws std::runtime_error with the byte offset on malformed input.
PickleValue parsePickle(const char* data, size_t size);

} // namespace freesel
