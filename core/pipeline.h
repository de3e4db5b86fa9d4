// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/feature_backend.h"
#include "elfs/elfs_selection.h"
#include "export/selection_export.h"
#include "image/image_decoder.h"
#include "image/pool_scanner.h"
#include "patterns/pool_patterns.h"
#include "selection/selection.h"
#include "store/feature_store.h"

#include <QString>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace freesel {

/// Which slice of the pool an extraction handles: images i with i % count == index.
struct Shard {
    int index = 0;
    int count = 1;
    bool contains(int poolIndex) const { return poolIndex % count == index; }
};

/// "i/n" (1-based i, as a Slurm array task id) -> Shard; throws std::invalid_argument.
Shard parseShard(const QString& text);

struct ExtractionOptions {
    ResizeSpec resize = ResizeSpec::fixed(224, 224);
    DecodeOptions decode;
    int batchSize = 8;
    /// 0: the backend's own threads between its tasks when it can share them
    /// (FeatureBackend::runsIdleWork: the CPU), else a thread per core; > 0: that many threads.
    int decodeThreads = 0;
    Shard shard;
    /// Where records are appended: Auto, on a writer thread of their own unless the network
    /// shares the CPU's threads (see extractFeatures); the others force one way (benchmarks).
    enum class StoreWrites { Auto, CallerThread, OwnThread };
    StoreWrites storeWrites = StoreWrites::Auto;
};

struct ExtractionReport {
    int total = 0;     ///< pool images in this shard
    int extracted = 0; ///< run through the backend now
    int reused = 0;    ///< already in the store (same path, size and mtime)
    int failed = 0;    ///< could not be decoded (now or before), with reasons in the store
    bool cancelled = false;
    double seconds = 0.0;
    // Where those seconds went, on the thread that runs the stages one after another: which
    // one bounds the rate (decoding, the network or the store's disk) shows what to give more.
    // A CPU backend that decodes on its idle threads counts that decoding as network time.
    double decodeWaitSeconds = 0.0; ///< waiting for the decode threads' next image
    double networkSeconds = 0.0;    ///< in the backend (on a GPU: the copies in and out too)
    /// Waiting on the store: encoding, checksumming and writing records where the network
    /// shares the CPU's threads; elsewhere they run on a writer thread (StoreWriter) during the
    /// next batch, and this is only the part the network did not hide.
    double storeSeconds = 0.0;
};

/// The store fingerprint for a backend and a resize.
StoreHeader storeHeaderFor(const FeatureBackend& backend, const ResizeSpec& resize);

/// How many decoded images extraction lets its decode threads (`decodeThreads` of its own, 0
/// when the network's threads decode) hold ahead of the network: two batches, and at least two
/// per thread. Two batches, not the queue's default of two images per thread: while a GPU runs
/// the network the cores are otherwise idle, and what they decode then is what the next batch
/// does not wait for (freesel-bench extract_gpu_like: 504-510 img/s with the default window,
/// 670-702 with this one, on 2 cores).
int extractionDecodeWindow(int batchSize, int decodeThreads);

/// decode (in order, ahead of the network) -> backend (batches) -> store, for every pool image of
/// the shard that the store does not hold yet. A kill loses at most the batch in flight; the next
/// run resumes. `progress(done, total)` is called between batches; returning false or setting
/// `cancel` stops after the current batch.
ExtractionReport extractFeatures(const std::vector<PoolEntry>& pool, FeatureBackend& backend,
                                 FeatureStore& store, const ExtractionOptions& options,
                                 const ProgressCallback& progress = {},
                                 const std::atomic<bool>* cancel = nullptr);

/// What the selection stages work on: the pool images that have usable features.
struct PoolPatterns {
    std::vector<int> poolIndex;  ///< per usable image: its index in the pool list
    std::vector<int> storeIndex; ///< per usable image: its record in the store
    PatternPool patterns;        ///< one image per usable image, in that order
    PatternPool global;          ///< the [CLS] feature of each usable image
};

/// Looks every pool image up in the store (latest record of that file version).
std::vector<int> storeRecordsFor(const std::vector<PoolEntry>& pool, const FeatureStore& store);

/// The base seed of the pattern stage for a run's --seed (one seed reproduces everything);
/// image i then uses imagePatternSeed(patternStageSeed(seed), i).
uint64_t patternStageSeed(uint64_t seed);

/// The pattern stage over store records storeIndex[first, first + count), in parallel; image k
/// is seeded as the pool's image first + k, so a share is exactly its slice of the whole pool.
/// A record that fails to load stops the stage after its batch and is thrown as
/// std::runtime_error. `loaded(k, features)` sees each record as it is read (from several
/// threads, each k once); with a `rowsFolder` the rows stay in a file there.
PatternPool patternsOfRecords(const FeatureStore& store, const std::vector<int>& storeIndex,
                              int first, int count, const PatternParameters& params, uint64_t seed,
                              int threads, const ProgressCallback& progress,
                              const std::atomic<bool>* cancel, const std::string& rowsFolder,
                              const std::function<void(int, const ImageFeatures&)>& loaded = {});

/// The pattern stage over the store, in parallel, reproducible from `seed`; with a
/// `rowsFolder` the pattern rows stay in a file there (patterns/pattern_rows.h).
PoolPatterns computePatterns(const FeatureStore& store, const std::vector<int>& records,
                             const PatternParameters& params, uint64_t seed, int threads,
                             const ProgressCallback& progress = {},
                             const std::atomic<bool>* cancel = nullptr,
                             const std::string& rowsFolder = {});

/// Runs a strategy on the right pool (patterns or global features); picks are pool indices.
SelectionResult selectImages(const PoolPatterns& patterns, StrategyKind strategy,
                             const SelectionRequest& request);

/// A continued round's images (RunParameters::labeledImages / excludedImages) as usable-image
/// indices of `patterns`, for SelectionRequest::labeled / excluded.
/// `included` (RunParameters::includedImages) are the images included by hand, in the
/// list's order, without those also labelled (already annotated: nothing to select).
struct ContinuedRound {
    std::vector<int> labeled, excluded, included;
    QStringList warnings; ///< names not in the pool, images without usable features
    bool empty() const { return labeled.empty() && excluded.empty() && included.empty(); }
};
/// Throws std::invalid_argument naming an image that is both included and excluded.
ContinuedRound resolveContinuedRound(const std::vector<PoolEntry>& pool,
                                     const PoolPatterns& patterns, const QStringList& labeled,
                                     const QStringList& excluded, const QStringList& included = {});

/// For strategies that rank the whole pool (elfs, clip): their picks, run for `budget` plus
/// the round's known images, without the labeled, excluded and included images, cut to
/// `budget`.
SelectionResult withoutKnownImages(SelectionResult result, const PoolPatterns& patterns,
                                   const ContinuedRound& round, int64_t budget);

/// The round's included images first (pool indices, no score: chosen by hand), then `drawn`.
SelectionResult withIncludedFirst(const SelectionResult& drawn, const PoolPatterns& patterns,
                                  const ContinuedRound& round);

/// The ELFS stage (core/elfs, docs/ALGORITHM.md sections E1-E3): each usable image's [CLS] feature
/// and patch tokens from the store, spherical k-means pseudo-labels, the proxy's training dynamics,
/// then the double-end window (or CCS). Picks are pool indices, scored by the chosen difficulty
/// score; `elfs` receives the pseudo-labels and scores in usable-image order. Throws
/// std::invalid_argument when the store keeps no patch tokens or a parameter is out of range.
/// Proxy resnet18 decodes the usable images of `pool` (required then) at params.imageSize.
SelectionResult selectElfs(const FeatureStore& store, const PoolPatterns& patterns,
                           const SelectionRequest& request, const ElfsParameters& params,
                           ElfsResult& elfs, const ElfsProgressCallback& progress = {},
                           const std::atomic<bool>* cancel = nullptr,
                           const std::vector<PoolEntry>* pool = nullptr);

/// The export model: every pool image (failed ones with their reasons), the picks, and the
/// ELFS pseudo-labels and scores when `elfs` holds them.
SelectionExport buildSelectionExport(const std::vector<PoolEntry>& pool, const FeatureStore& store,
                                     const std::vector<int>& records, const PoolPatterns& patterns,
                                     const SelectionResult& result, const Provenance& provenance,
                                     const ElfsResult* elfs = nullptr);

} // namespace freesel
