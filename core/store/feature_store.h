// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The feature store: what one forward pass gave for every image of a pool, kept on disk so the
// pattern and selection stages re-run without the network (docs/ARCHITECTURE.md, "The pipeline
// session" and "The feature store"). The on-disk layout is documented in store_format.h.

#include "backbone/image_features.h"
#include "image/image_preprocessing.h"
#include "util/error.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <vector>

namespace freesel {

/// What produced the features. Two stores can only be mixed, resumed or merged when their
/// canonical texts are identical.
struct StoreFingerprint {
    QString backend; ///< FeatureBackend::fingerprint(): backend, model, weights, layer, ...
    QString input;   ///< resizeSpecFingerprint() of the preprocessing
    int radius = 0;  ///< R of the stored attention band

    /// "backend=<...>|input=<...>|radius=<R>": compared verbatim.
    QString canonical() const;
};

/// "fixed:224x224", "short:224/p16/max0", "none".
QString resizeSpecFingerprint(const ResizeSpec& spec);

/// The store's identity, from store.json.
struct StoreHeader {
    StoreFingerprint fingerprint;
    /// Huge pools: patch tokens are not kept, the caller stores the semantic patterns instead
    /// (computed with patternParameters, which then becomes part of the identity).
    bool patternsOnly = false;
    QString patternParameters;
    QString created; ///< ISO 8601 UTC, set when the store is created
    /// store_format version of an opened store (an older one opens and stays as it is); 0 when
    /// not read from disk: a new store gets the current version.
    int formatVersion = 0;

    /// Empty when `other` may share this store; otherwise names both fingerprints.
    QString incompatibility(const StoreHeader& other) const;
};

/// One record of the catalog (in log order). Superseded records (the same path stored again
/// after the file changed) stay in the log; find() returns the latest.
struct StoreEntry {
    QString path;
    qint64 size = -1;
    qint64 mtimeMs = 0;
    qint64 poolIndex = -1; ///< position in the pool list the record was made for (-1 unknown)
    bool ok = false;
    QString error; ///< why the image failed; empty when ok
    PatchGrid grid;
    int dims = 0;
    int radius = 0;
    int patternCount = 0;
    int embeddingDims = 0; ///< E of the CLIP image embedding; 0 when the record has none
    quint32 sections = 0;  ///< store_format::Section bits present
    qint64 offset = 0;     ///< of the record header in records.bin
    qint64 bytes = 0;      ///< header + payload
};

/// The file identity a record is keyed on (from PoolEntry).
struct StoreKey {
    QString path;
    qint64 size = -1;
    qint64 mtimeMs = 0;
    qint64 poolIndex = -1;
};

/// The store cannot be written or read as a stage needs it (disk full, damaged record).
/// Thrown by the pipeline stages; the message names the file. The machine's fault unless the
/// status it carries says otherwise.
class StoreError : public Failure {
public:
    explicit StoreError(const QString& message) : Failure(ErrorCategory::Environment, message) {}
    explicit StoreError(const Error& error) : Failure(error) {}
};

class FeatureStore {
public:
    enum class Mode { ReadOnly, ReadWrite };

    FeatureStore();
    ~FeatureStore(); ///< closes (flushes) the store
    FeatureStore(const FeatureStore&) = delete;
    FeatureStore& operator=(const FeatureStore&) = delete;

    /// ReadWrite: creates `folder` and the store when absent; an existing store must have a
    /// compatible header, else the open is refused with both fingerprints named, unless
    /// `reset` is true (the old records are then deleted). One writer at a time (lock file).
    /// A torn tail left by a killed writer is truncated; see tornBytesRemoved().
    Status openForWriting(const QString& folder, const StoreHeader& header, bool reset = false);
    /// ReadOnly: the header is taken from the store; a torn tail is ignored, not truncated.
    Status openForReading(const QString& folder);
    void close();

    /// Bytes the store in `folder` takes (its header and records; 0 when there is none).
    static qint64 sizeOnDisk(const QString& folder);
    /// Deletes the store in `folder`: its own files only, then the folder when nothing else is
    /// left in it (a --store pointed at a folder with other files keeps them). Refused, naming
    /// the holder, while another process writes it.
    static Status remove(const QString& folder);

    bool isOpen() const;
    QString folder() const { return folder_; }
    const StoreHeader& header() const { return header_; }
    /// Bytes of an incomplete or corrupt tail found by the last open (0 when clean).
    qint64 tornBytesRemoved() const { return tornBytes_; }

    int count() const { return int(entries_.size()); }
    const StoreEntry& entry(int index) const { return entries_[size_t(index)]; }
    const std::vector<StoreEntry>& entries() const { return entries_; }
    /// The latest record of `path` if it was made from this size and mtime, else -1. A failed
    /// record is returned too (check entry().ok): retrying an unchanged file is the caller's call.
    int find(const QString& path, qint64 size, qint64 mtimeMs) const;
    int find(const StoreKey& key) const { return find(key.path, key.size, key.mtimeMs); }

    /// Appends one image. In a patterns-only store the patch tokens are dropped and `patterns`
    /// (patternCount x dims, row-major) is kept instead. The error on I/O failure or
    /// when the features are inconsistent (sizes, radius differs from the fingerprint).
    Status append(const StoreKey& key, const ImageFeatures& features,
                  const std::vector<float>& patterns = {}, int patternCount = 0);
    /// Records that the image could not be used and why.
    Status appendFailure(const StoreKey& key, const QString& reason);
    /// Pushes written records to the operating system (they then survive a kill of this
    /// process; append() already does this) and fsyncs when `durable`.
    Status flush(bool durable = false);

    /// The features of an ok record, fp16 sections widened to float. Safe to call from several
    /// threads at once (reads a read-only memory map of the log), but not while an append()
    /// runs. Throws StoreError naming the store and the path when its checksum does not match,
    /// std::runtime_error when the record is a failure (the caller's mistake).
    ImageFeatures load(int index) const;
    /// patternCount x dims patterns of a patterns-only record (empty when absent).
    std::vector<float> loadPatterns(int index) const;
    /// The CLIP image embedding of an ok record (empty when the record has none), without
    /// decoding the other sections. Throws as load() does on a damaged record.
    std::vector<float> loadClipEmbedding(int index) const;
    /// Checks every payload checksum; returns the problems found (empty when sound).
    QStringList verify() const;

    /// Raw bytes of a record (header + payload) for mergeStores.
    QByteArray rawRecord(int index) const;
    /// Appends a record copied verbatim from a store with the same fingerprint.
    Status appendRaw(const QByteArray& record);

private:
    struct Impl;
    Status openFolder(const QString& folder, Mode mode);
    Status writeNewStore(const StoreHeader& header);
    Status readHeaderFile(StoreHeader* header);
    Status scanRecords(qint64 fileSize);
    void addEntry(StoreEntry entry);
    Status writeRecord(const QByteArray& record, StoreEntry entry);
    const uchar* mapped(qint64 end) const;

    std::unique_ptr<Impl> impl_;
    QString folder_;
    StoreHeader header_;
    Mode mode_ = Mode::ReadOnly;
    qint64 tornBytes_ = 0;
    std::vector<StoreEntry> entries_;
};

/// Merges shard stores (`freesel extract --shard i/n`) into a new store at `output`. Every
/// input must have the same header (fingerprint, patterns-only, pattern parameters); only ok
/// or failed records still current (the latest per path) are kept, ordered by their pool
/// index (then by input order, then log order) so the result follows the pool list however
/// the shards split it. Records are copied verbatim. Returns an empty string on success,
/// otherwise an error naming the store at fault. `output` must not hold a store already.
Status mergeStores(const QStringList& inputs, const QString& output);

} // namespace freesel
