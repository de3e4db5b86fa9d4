// SPDX-License-Identifier: GPL-3.0-or-later
#include "pipeline.h"

#include "image/decode_queue.h"
#include "image/image_list.h"
#include "store/store_writer.h"
#include "util/random_stream.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QSet>
#include <QThread>
#include <mutex>
#include <stdexcept>
#include <string>

namespace freesel {

Shard parseShard(const QString& text) {
    const QStringList parts = text.split(QLatin1Char('/'));
    bool okIndex = false, okCount = false;
    const int index = parts.value(0).toInt(&okIndex);
    const int count = parts.value(1).toInt(&okCount);
    if (parts.size() != 2 || !okIndex || !okCount || count < 1 || index < 1 || index > count)
        throw std::invalid_argument("--shard must be i/n with 1 <= i <= n, got '" +
                                    text.toStdString() + "'");
    return {index - 1, count};
}

StoreHeader storeHeaderFor(const FeatureBackend& backend, const ResizeSpec& resize) {
    StoreHeader header;
    header.fingerprint.backend = backend.fingerprint();
    header.fingerprint.input = resizeSpecFingerprint(resize);
    header.fingerprint.radius = backend.neighbourhoodRadius();
    return header;
}

namespace {

StoreKey keyOf(const PoolEntry& entry, int poolIndex) {
    return {entry.path, entry.size, entry.mtimeMs, poolIndex};
}

/// Seconds since `timer` last (re)started, restarting it.
double lap(QElapsedTimer& timer) {
    const qint64 nanoseconds = timer.nsecsElapsed();
    timer.restart();
    return double(nanoseconds) * 1e-9;
}

/// Runs the backend on a batch (its idle threads doing `idle`, when given) and hands every
/// result to the writer, adding the network's time to `report`.
void flushBatch(FeatureBackend& backend, StoreWriter& writer, std::vector<cv::Mat>& images,
                std::vector<StoreKey>& keys, const FeatureBackend::IdleWork& idle,
                ExtractionReport& report) {
    if (images.empty())
        return;
    QElapsedTimer timer;
    timer.start();
    std::vector<ImageFeatures> features =
        idle ? backend.runSharingThreads(images, idle) : backend.run(images);
    report.networkSeconds += lap(timer);
    writer.append(std::move(keys), std::move(features));
    images.clear();
    keys.clear();
}

} // namespace

int extractionDecodeWindow(int batchSize, int decodeThreads) {
    return 2 * std::max(batchSize, decodeThreads);
}

ExtractionReport extractFeatures(const std::vector<PoolEntry>& pool, FeatureBackend& backend,
                                 FeatureStore& store, const ExtractionOptions& options,
                                 const ProgressCallback& progress,
                                 const std::atomic<bool>* cancel) {
    QElapsedTimer timer;
    timer.start();
    ExtractionReport report;
    QStringList paths;
    std::vector<int> todo; // pool indices to extract
    for (int i = 0; i < static_cast<int>(pool.size()); ++i) {
        if (!options.shard.contains(i))
            continue;
        ++report.total;
        const int record = store.find(keyOf(pool[i], i));
        if (record >= 0) {
            store.entry(record).ok ? ++report.reused : ++report.failed;
            continue;
        }
        todo.push_back(i);
        paths << pool[i].path;
    }
    const int alreadyStored = report.reused + report.failed; // extracted or refused before
    if (progress) // before the first batch: what the store already holds
        progress(alreadyStored, report.total);
    // On the CPU the network's threads decode between their tasks: a decode thread of our own
    // would preempt one of them and hold the other at the batch's end (issue 19). The window
    // of two batches lets them decode the next one while the slowest finishes this one.
    const bool shareThreads =
        options.decodeThreads == 0 && backend.runsIdleWork(size_t(options.batchSize));
    const int decodeThreads = shareThreads ? 0
                              : options.decodeThreads > 0
                                  ? options.decodeThreads
                                  : std::max(1, QThread::idealThreadCount());
    DecodeQueue queue(paths, DecodeQueue::decodeAndResize(options.decode, options.resize),
                      shareThreads ? DecodeQueue::kHelpersOnly : decodeThreads,
                      extractionDecodeWindow(options.batchSize, decodeThreads));
    // With decode threads of its own the queue needs no help: the network's threads then only
    // run the network, as `--decode-threads=N` promises.
    const FeatureBackend::IdleWork idle =
        shareThreads ? FeatureBackend::IdleWork([&queue] { return queue.helpDecode(); })
                     : FeatureBackend::IdleWork();
    // Where the network leaves the cores free (a GPU, or decode threads of our own), records
    // are written on a thread of their own while the next batch runs; next to a network that
    // shares its threads, a writer thread would preempt one of them, and writing takes under
    // 1% of a CPU batch's time.
    using StoreWrites = ExtractionOptions::StoreWrites;
    const bool ownWriter = options.storeWrites == StoreWrites::Auto
                               ? !shareThreads
                               : options.storeWrites == StoreWrites::OwnThread;
    StoreWriter writer(store, ownWriter ? StoreWriter::OwnThread : StoreWriter::CallerThread);
    std::vector<cv::Mat> images;
    std::vector<StoreKey> keys;
    DecodeQueueItem item;
    int done = 0;
    QElapsedTimer waiting;
    waiting.start();
    while (queue.next(&item)) {
        report.decodeWaitSeconds += lap(waiting);
        const int poolIndex = todo[item.index];
        if (!item.image.ok()) {
            ++report.failed;
            writer.appendFailure(keyOf(pool[poolIndex], poolIndex), item.image.error);
        } else {
            images.push_back(item.image.rgb);
            keys.push_back(keyOf(pool[poolIndex], poolIndex));
            ++report.extracted;
        }
        ++done;
        if (static_cast<int>(images.size()) >= options.batchSize) {
            flushBatch(backend, writer, images, keys, idle, report);
            const bool goOn = !progress || progress(alreadyStored + done, report.total);
            if (!goOn || (cancel && cancel->load())) {
                queue.cancel();
                report.cancelled = true;
                break;
            }
        }
        waiting.restart();
    }
    if (!report.cancelled) // the last wait: until the queue said it was done
        report.decodeWaitSeconds += lap(waiting);
    flushBatch(backend, writer, images, keys, idle, report);
    writer.finish();
    QElapsedTimer flushing;
    flushing.start();
    store.flush(true).throwIfFailed();
    report.storeSeconds = writer.waitSeconds() + lap(flushing);
    if (progress && !report.cancelled)
        progress(report.total, report.total);
    report.seconds = timer.nsecsElapsed() * 1e-9;
    return report;
}

std::vector<int> storeRecordsFor(const std::vector<PoolEntry>& pool, const FeatureStore& store) {
    std::vector<int> records(pool.size(), -1);
    for (size_t i = 0; i < pool.size(); ++i)
        records[i] = store.find(keyOf(pool[i], static_cast<int>(i)));
    return records;
}

uint64_t patternStageSeed(uint64_t seed) {
    return RandomStream::forItem(seed, 0x9a77e2).next();
}

PatternPool patternsOfRecords(const FeatureStore& store, const std::vector<int>& storeIndex,
                              int first, int count, const PatternParameters& params, uint64_t seed,
                              int threads, const ProgressCallback& progress,
                              const std::atomic<bool>* cancel, const std::string& rowsFolder,
                              const std::function<void(int, const ImageFeatures&)>& loaded) {
    if (count == 0)
        return PatternPool();
    // load() throws on a damaged record, but fetch runs inside a parallel region, where an
    // exception would end the process: the first failure is kept, the stage stops after the
    // batch in flight (that image gets a stand-in, a record that did load) and it is thrown
    // here instead.
    const ImageFeatures standIn = store.load(storeIndex[size_t(first)]);
    std::atomic<bool> stop{false};
    std::mutex errorMutex;
    std::string error;
    auto fetch = [&](int k) {
        try {
            ImageFeatures features = store.load(storeIndex[size_t(first + k)]);
            if (loaded)
                loaded(k, features);
            return features;
        } catch (const std::exception& e) {
            const std::lock_guard<std::mutex> lock(errorMutex);
            if (error.empty())
                error = e.what();
            stop = true;
            return standIn;
        }
    };
    auto stopOrProgress = [&](int64_t done, int64_t total) {
        return !stop.load() && !(cancel && cancel->load()) && (!progress || progress(done, total));
    };
    // The pattern seed is derived from the selection seed: one --seed reproduces everything.
    PatternPool pool = computePoolPatterns(count, fetch, params, patternStageSeed(seed), threads,
                                           stopOrProgress, cancel, rowsFolder, first);
    if (!error.empty())
        throw std::runtime_error(error);
    return pool;
}

PoolPatterns computePatterns(const FeatureStore& store, const std::vector<int>& records,
                             const PatternParameters& params, uint64_t seed, int threads,
                             const ProgressCallback& progress, const std::atomic<bool>* cancel,
                             const std::string& rowsFolder) {
    PoolPatterns result;
    for (int i = 0; i < static_cast<int>(records.size()); ++i) {
        if (records[i] >= 0 && store.entry(records[i]).ok) {
            result.poolIndex.push_back(i);
            result.storeIndex.push_back(records[i]);
        }
    }
    const int count = static_cast<int>(result.storeIndex.size());
    // The [CLS] token of each image is kept as it is fetched: one read of each record.
    std::vector<std::vector<float>> cls(static_cast<size_t>(count));
    result.patterns = patternsOfRecords(
        store, result.storeIndex, 0, count, params, seed, threads, progress, cancel, rowsFolder,
        [&](int k, const ImageFeatures& features) { cls[size_t(k)] = features.clsToken; });
    for (int k = 0; k < count && k < result.patterns.imageCount(); ++k) {
        if (k == 0)
            result.global = PatternPool(static_cast<int>(cls[0].size()));
        result.global.addImage(cls[static_cast<size_t>(k)].data(), 1);
    }
    return result;
}

SelectionResult selectImages(const PoolPatterns& patterns, StrategyKind strategy,
                             const SelectionRequest& request) {
    const auto selector = makeSelectionStrategy(strategy);
    SelectionRequest adjusted = request;
    if (strategy == StrategyKind::KCenter) // Core-Set works in Euclidean feature space
        adjusted.metric = DistanceMetric::Euclidean;
    SelectionResult result =
        selector->select(selector->usesPatterns() ? patterns.patterns : patterns.global, adjusted);
    for (Pick& pick : result.picks)
        pick.image = patterns.poolIndex[pick.image];
    return result;
}

namespace {

/// Usable-image indices of the pool entries `names` matches; warnings for the rest.
std::vector<int> usableImagesNamed(const std::vector<PoolEntry>& pool, const PoolPatterns& patterns,
                                   const QStringList& names, const QString& what,
                                   QStringList& warnings) {
    const PoolImageMatch match = matchPoolImages(pool, names);
    if (!match.unmatched.isEmpty())
        warnings << QStringLiteral("%1 of the %2 %3 images are not in the pool (first: %4)")
                        .arg(match.unmatched.size())
                        .arg(names.size())
                        .arg(what, match.unmatched.first());
    std::vector<int> usableOf(pool.size(), -1);
    for (size_t k = 0; k < patterns.poolIndex.size(); ++k)
        usableOf[size_t(patterns.poolIndex[k])] = static_cast<int>(k);
    std::vector<int> usable;
    int unusable = 0;
    for (int index : match.poolIndices) {
        if (usableOf[size_t(index)] >= 0)
            usable.push_back(usableOf[size_t(index)]);
        else
            ++unusable;
    }
    if (unusable > 0)
        warnings << QStringLiteral("%1 %2 images are not among those the selection runs on (no "
                                   "usable features, or outside --within) and are left out")
                        .arg(unusable)
                        .arg(what);
    return usable;
}

/// `included` without repeats and without labelled images (already annotated); throws when one
/// is also excluded, since the two marks contradict each other.
std::vector<int> includedImagesOf(const std::vector<PoolEntry>& pool, const PoolPatterns& patterns,
                                  const std::vector<int>& included, ContinuedRound& round) {
    const QSet<int> labeled(round.labeled.begin(), round.labeled.end());
    const QSet<int> excluded(round.excluded.begin(), round.excluded.end());
    QSet<int> seen;
    std::vector<int> kept;
    int alreadyLabeled = 0;
    for (int usable : included) {
        if (excluded.contains(usable))
            throw std::invalid_argument(
                "image " + pool[size_t(patterns.poolIndex[size_t(usable)])].path.toStdString() +
                " is both included and excluded: remove it from one of the two lists");
        if (labeled.contains(usable))
            ++alreadyLabeled;
        else if (!seen.contains(usable)) {
            seen.insert(usable);
            kept.push_back(usable);
        }
    }
    if (alreadyLabeled > 0)
        round.warnings << QStringLiteral("%1 included images are also labelled (already "
                                         "annotated) and are not selected again")
                              .arg(alreadyLabeled);
    return kept;
}

ProxyInputs loadProxyInputs(const FeatureStore& store, const std::vector<int>& storeIndex) {
    ProxyInputs inputs;
    inputs.reserve(int(storeIndex.size())); // 50k images: GBs of cells, never copied to grow
    for (int record : storeIndex) {
        const ImageFeatures features = store.load(record);
        if (features.patchTokens.empty() || features.clsToken.empty())
            throw std::invalid_argument(
                "strategy elfs needs each image's [CLS] feature and patch tokens, but the store " +
                store.folder().toStdString() +
                " keeps patterns only; re-extract into a store that keeps tokens");
        inputs.addImage(features);
    }
    return inputs;
}

} // namespace

ContinuedRound resolveContinuedRound(const std::vector<PoolEntry>& pool,
                                     const PoolPatterns& patterns, const QStringList& labeled,
                                     const QStringList& excluded, const QStringList& included) {
    ContinuedRound round;
    if (!labeled.isEmpty())
        round.labeled =
            usableImagesNamed(pool, patterns, labeled, QStringLiteral("labeled"), round.warnings);
    if (!excluded.isEmpty())
        round.excluded =
            usableImagesNamed(pool, patterns, excluded, QStringLiteral("excluded"), round.warnings);
    if (!included.isEmpty())
        round.included = includedImagesOf(
            pool, patterns,
            usableImagesNamed(pool, patterns, included, QStringLiteral("included"), round.warnings),
            round);
    return round;
}

SelectionResult withoutKnownImages(SelectionResult result, const PoolPatterns& patterns,
                                   const ContinuedRound& round, int64_t budget) {
    QSet<int> known;
    for (const auto* list : {&round.labeled, &round.excluded, &round.included})
        for (int usable : *list)
            known.insert(patterns.poolIndex[size_t(usable)]);
    SelectionResult kept;
    for (const Pick& pick : result.picks)
        if (!known.contains(pick.image) && int64_t(kept.picks.size()) < budget)
            kept.picks.push_back(pick);
    return kept;
}

SelectionResult withIncludedFirst(const SelectionResult& drawn, const PoolPatterns& patterns,
                                  const ContinuedRound& round) {
    SelectionResult result;
    for (int usable : round.included)
        result.picks.push_back(Pick{patterns.poolIndex[size_t(usable)]});
    result.picks.insert(result.picks.end(), drawn.picks.begin(), drawn.picks.end());
    return result;
}

SelectionResult selectElfs(const FeatureStore& store, const PoolPatterns& patterns,
                           const SelectionRequest& request, const ElfsParameters& params,
                           ElfsResult& elfs, const ElfsProgressCallback& progress,
                           const std::atomic<bool>* cancel, const std::vector<PoolEntry>* pool) {
    validateSelectionRequest(request, patterns.patterns.imageCount());
    ProxyInputs inputs = loadProxyInputs(store, patterns.storeIndex);
    if (params.proxy == ElfsProxy::ResNet18) {
        if (!pool)
            throw std::invalid_argument("--elfs-proxy resnet18 needs the pool's image files");
        std::vector<QString> paths;
        for (int poolIndex : patterns.poolIndex)
            paths.push_back((*pool)[size_t(poolIndex)].path);
        inputs.pixels = loadPixelImages(paths, params.imageSize);
    }
    elfs = runElfs(inputs, request.budget, params, request.seed, request.threads, progress, cancel);
    SelectionResult result;
    const std::vector<double>& score = params.score == ElfsScore::Aum ? elfs.scores.aum
                                       : params.score == ElfsScore::Forgetting
                                           ? elfs.scores.forgetting
                                           : elfs.scores.el2n;
    for (int k : elfs.selection.images)
        result.picks.push_back(Pick{patterns.poolIndex[size_t(k)], score[size_t(k)]});
    return result;
}

SelectionExport buildSelectionExport(const std::vector<PoolEntry>& pool, const FeatureStore& store,
                                     const std::vector<int>& records, const PoolPatterns& patterns,
                                     const SelectionResult& result, const Provenance& provenance,
                                     const ElfsResult* elfs) {
    SelectionExport out;
    out.provenance = provenance;
    out.picks = result.picks;
    out.images.resize(pool.size());
    for (size_t i = 0; i < pool.size(); ++i) {
        ExportImage& image = out.images[i];
        image.path = pool[i].path;
        image.relativePath = pool[i].relativePath;
        image.cocoId = pool[i].cocoId;
        image.width = pool[i].width;
        image.height = pool[i].height;
        if (records[i] < 0) {
            image.failed = true;
            image.error = QStringLiteral("not extracted");
        } else if (!store.entry(records[i]).ok) {
            image.failed = true;
            image.error = store.entry(records[i]).error;
        }
    }
    for (size_t k = 0; k < patterns.poolIndex.size(); ++k) {
        ExportImage& image = out.images[patterns.poolIndex[k]];
        image.patternCount = patterns.patterns.patternCountOf(static_cast<int>(k));
        const float* global = patterns.global.pattern(static_cast<int64_t>(k));
        image.embedding.assign(global, global + patterns.global.dims());
        if (elfs && k < elfs->pseudoLabels.size() && k < elfs->scores.aum.size()) {
            image.pseudoLabel = elfs->pseudoLabels[k];
            image.aum = elfs->scores.aum[k];
            image.forgetting = elfs->scores.forgetting[k];
            image.el2n = elfs->scores.el2n[k];
        }
    }
    out.hasElfsScores = elfs != nullptr && !elfs->scores.aum.empty();
    return out;
}

} // namespace freesel
