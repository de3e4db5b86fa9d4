// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The header of a safetensors file (https://github.com/huggingface/safetensors): a little-endian
// u64 length, a JSON object naming each tensor's dtype, shape and data_offsets, then the data.
// Bytes-level and free of LibTorch so it can be checked (and fuzzed) in memory;
// checkpoint_reader.cpp turns the entries into tensors.

#include "util/error.h"
#include <QByteArray>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace freesel {

/// What is wrong with a safetensors file; the message does not name the file (the caller does).
/// A weights file that is not what it claims: the user's to replace (exit 2).
class SafetensorsError : public Failure {
public:
    explicit SafetensorsError(const std::string& message)
        : Failure(ErrorCategory::UserInput, QString::fromStdString(message)) {}
    explicit SafetensorsError(const QString& message)
        : Failure(ErrorCategory::UserInput, message) {}
};

struct SafetensorsEntry {
    std::string name;
    std::string dtype; ///< "F32", "F16", "BF16" or "F64"
    std::vector<int64_t> shape;
    uint64_t begin = 0; ///< byte offsets into the data section, end - begin = the tensor's bytes
    uint64_t end = 0;
};

struct SafetensorsHeader {
    uint64_t dataOffset = 0; ///< where the data section starts in the file (8 + header length)
    uint64_t dataBytes = 0;  ///< bytes of the data section
    std::vector<SafetensorsEntry> tensors; ///< "__metadata__" left out
};

/// Bytes per element of the dtypes FreeSel loads (F32, F16, BF16, F64); 0 for any other.
size_t safetensorsElementSize(const std::string& dtype);

/// Parses the header of the whole file `bytes` and checks every entry before anything is
/// allocated from it: a supported dtype, non-negative sides, data_offsets that match the shape
/// and dtype exactly and lie inside the data. Throws SafetensorsError otherwise.
SafetensorsHeader parseSafetensorsHeader(const QByteArray& bytes);

} // namespace freesel
