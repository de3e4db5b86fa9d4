// SPDX-License-Identifier: GPL-3.0-or-later
#include "weights/safetensors_header.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <limits>

namespace freesel {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw SafetensorsError(what);
}

uint64_t headerLengthOf(const QByteArray& bytes) {
    if (bytes.size() < 8)
        fail("truncated safetensors file: " + std::to_string(bytes.size()) +
             " bytes, fewer than the 8 of the header length");
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i)
        length = (length << 8) | static_cast<unsigned char>(bytes[i]);
    if (length > uint64_t(bytes.size()) - 8)
        fail("truncated safetensors file: the header alone needs " + std::to_string(length) +
             " bytes, the file has " + std::to_string(bytes.size()));
    return length;
}

/// The tensor's byte count, or max() when the shape is invalid or its size would overflow.
/// Computed before any allocation: a hostile shape must not reach torch::empty.
uint64_t byteCount(const std::vector<int64_t>& shape, size_t elementSize) {
    constexpr uint64_t kInvalid = std::numeric_limits<uint64_t>::max();
    uint64_t bytes = elementSize;
    for (const int64_t side : shape) {
        if (side < 0)
            return kInvalid;
        if (side != 0 && bytes > kInvalid / uint64_t(side))
            return kInvalid;
        bytes *= uint64_t(side);
    }
    return bytes;
}

SafetensorsEntry parseEntry(const std::string& name, const QJsonObject& info, uint64_t dataBytes) {
    SafetensorsEntry entry;
    entry.name = name;
    entry.dtype = info.value(QLatin1String("dtype")).toString().toStdString();
    const size_t elementSize = safetensorsElementSize(entry.dtype);
    if (elementSize == 0)
        fail("tensor '" + name + "' has dtype " + entry.dtype +
             "; only F32, F16, BF16 and F64 weights are supported");
    for (const QJsonValue& side : info.value(QLatin1String("shape")).toArray())
        entry.shape.push_back(side.toInteger(-1));
    const QJsonArray offsets = info.value(QLatin1String("data_offsets")).toArray();
    const int64_t begin = offsets.at(0).toInteger(-1), end = offsets.at(1).toInteger(-1);
    if (offsets.size() != 2 || begin < 0 || end < begin ||
        uint64_t(end - begin) != byteCount(entry.shape, elementSize))
        fail("tensor '" + name + "': data_offsets do not match its shape and dtype");
    if (uint64_t(end) > dataBytes)
        fail("truncated safetensors file: tensor '" + name + "' ends at byte " +
             std::to_string(end) + " of the data, which has only " + std::to_string(dataBytes) +
             " bytes");
    entry.begin = uint64_t(begin);
    entry.end = uint64_t(end);
    return entry;
}

} // namespace

size_t safetensorsElementSize(const std::string& dtype) {
    if (dtype == "F32")
        return 4;
    if (dtype == "F16" || dtype == "BF16")
        return 2;
    if (dtype == "F64")
        return 8;
    return 0;
}

SafetensorsHeader parseSafetensorsHeader(const QByteArray& bytes) {
    const uint64_t length = headerLengthOf(bytes);
    QJsonParseError error;
    const QJsonDocument json = QJsonDocument::fromJson(bytes.mid(8, qsizetype(length)), &error);
    if (!json.isObject())
        fail("the safetensors header is not a JSON object (" + error.errorString().toStdString() +
             ")");
    SafetensorsHeader header;
    header.dataOffset = 8 + length;
    header.dataBytes = uint64_t(bytes.size()) - header.dataOffset;
    const QJsonObject object = json.object();
    for (auto it = object.begin(); it != object.end(); ++it)
        if (it.key() != QLatin1String("__metadata__"))
            header.tensors.push_back(
                parseEntry(it.key().toStdString(), it.value().toObject(), header.dataBytes));
    return header;
}

} // namespace freesel
