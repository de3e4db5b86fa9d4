// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: opening a feature store (store.json + records.bin) and reading every record.
//
// Input layout: byte 0 flags, bytes 1-2 the length L of store.json (little-endian), L bytes of
// store.json, then records.bin. Flags:
//   bit 0  recompute the record checksums first. Random bytes almost never carry a valid SHA-1,
//          so without this the fuzzer would only ever test the checksum check; with it,
//          mutations reach the field checks and the decoders behind them.
//   bit 1  also open the store for writing (torn-tail truncation) and append a failure record.

#include "fuzz_support.h"

#include "store/feature_store.h"
#include "store/store_format.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <stdexcept>

using namespace freesel;
namespace fmt = freesel::store_format;

namespace {

/// Rewrites the header and payload checksums of each record that has the record magic.
void repairChecksums(QByteArray& log) {
    qint64 offset = sizeof(fmt::FileHeader);
    while (offset + qint64(sizeof(fmt::RecordHeader)) <= log.size()) {
        fmt::RecordHeader head;
        std::memcpy(&head, log.constData() + offset, sizeof(head));
        if (std::memcmp(head.magic, fmt::kRecordMagic, sizeof(head.magic)) != 0)
            return;
        const qint64 payloadAt = offset + qint64(sizeof(head));
        const bool payloadInside = head.payloadBytes <= quint64(log.size() - payloadAt);
        if (payloadInside)
            head.payloadChecksum =
                fmt::checksum64(log.constData() + payloadAt, qint64(head.payloadBytes));
        head.headerChecksum =
            fmt::checksum64(&head, qint64(offsetof(fmt::RecordHeader, headerChecksum)));
        std::memcpy(log.data() + offset, &head, sizeof(head));
        if (!payloadInside || head.payloadBytes % 8 != 0)
            return;
        offset = payloadAt + qint64(head.payloadBytes);
    }
}

void readEverything(const FeatureStore& store) {
    for (int i = 0; i < store.count(); ++i) {
        const StoreEntry& e = store.entry(i);
        const int latest = store.find(e.path, e.size, e.mtimeMs);
        fuzz::check(latest < 0 || store.entry(latest).path == e.path);
        try {
            const ImageFeatures f = store.load(i);
            fuzz::check(f.grid.rows == e.grid.rows && f.grid.cols == e.grid.cols &&
                        f.dims == e.dims);
        } catch (const std::runtime_error&) {
            // Failed records and damaged payloads are reported this way.
        }
        store.loadPatterns(i);
    }
    store.verify();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3)
        return 0;
    const int flags = data[0];
    const size_t jsonBytes = std::min(size - 3, size_t(data[1]) | size_t(data[2]) << 8);
    const QDir dir(fuzz::scratchDir());
    const QString folder = dir.filePath(QStringLiteral("store"));
    dir.mkpath(QStringLiteral("store"));
    QFile::remove(folder + QStringLiteral("/store.lock"));
    fuzz::writeScratchFile(QStringLiteral("store/store.json"), fuzz::view(data + 3, jsonBytes));
    QByteArray log(reinterpret_cast<const char*>(data + 3 + jsonBytes),
                   qsizetype(size - 3 - jsonBytes));
    if (flags & 1)
        repairChecksums(log);
    fuzz::writeScratchFile(QStringLiteral("store/records.bin"), log);

    FeatureStore store;
    if (const Status opened = store.openForReading(folder))
        readEverything(store);
    else
        fuzz::check(!opened.message().isEmpty());
    if ((flags & 2) && store.isOpen()) {
        const StoreHeader header = store.header();
        store.close();
        FeatureStore writer;
        const StoreKey key{QStringLiteral("x.jpg"), 1, 2, 3};
        if (writer.openForWriting(folder, header) &&
            writer.appendFailure(key, QStringLiteral("?"))) {
            // A store read gives back what was just written, whatever came before it.
            const int index = writer.find(key.path, key.size, key.mtimeMs);
            fuzz::check(index == writer.count() - 1);
            const StoreEntry& e = writer.entry(index);
            fuzz::check(!e.ok && e.error == QStringLiteral("?") && e.poolIndex == key.poolIndex);
            readEverything(writer);
        }
    }
    return 0;
}
