// SPDX-License-Identifier: GPL-3.0-or-later
#include "pipeline_session.h"

#include "export/export_image_sizes.h"
#include "patterns/pattern_rows.h"
#include "search_candidates.h"
#include "selection/distance_sampling.h"
#include "util/random_stream.h"
#include "util/version.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFileInfo>
#include <QStandardPaths>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace freesel {

namespace {

// Stage order, for forgetting what an earlier stage's re-run invalidates.
enum Stage { ScanStage, BackendStage, StoreStage, ExtractionStage, PatternStage, SelectionStage };

/// The budget as a number of images: a count, or a percentage of the usable images.
int64_t resolveBudget(const RunParameters& p, int usable) {
    if (p.budget < 0 || (p.budgetPercent && p.budget > 100))
        throw std::invalid_argument(
            QStringLiteral("budget must be a count >= 0 or a percentage in [0, 100], got %1%2")
                .arg(p.budget)
                .arg(p.budgetPercent ? QStringLiteral("%") : QString())
                .toStdString());
    return p.budgetPercent ? static_cast<int64_t>(std::llround(usable * p.budget / 100.0))
                           : static_cast<int64_t>(std::llround(p.budget));
}

/// A seeded random order of `count` images, the first `budget` kept (the coverage baseline).
std::vector<int> randomOrder(int count, int64_t budget, uint64_t seed) {
    std::vector<int> order(static_cast<size_t>(count));
    std::iota(order.begin(), order.end(), 0);
    RandomStream random = RandomStream::forItem(seed, 0xc0fe);
    for (int i = count - 1; i > 0; --i)
        std::swap(order[static_cast<size_t>(i)],
                  order[static_cast<size_t>(random.next() % uint64_t(i + 1))]);
    order.resize(static_cast<size_t>(std::min<int64_t>(budget, count)));
    return order;
}

} // namespace

PipelineSession::PipelineSession(SessionObserver* observer, const std::atomic<bool>* cancel)
    : observer_(observer), cancel_(cancel) {}

PipelineSession::~PipelineSession() = default;

QString PipelineSession::defaultStoreFolder(const QString& pool, const FeatureBackend& backend,
                                            int inputSize) {
    const QByteArray key = (QFileInfo(pool).absoluteFilePath() + QLatin1Char('|') +
                            backend.fingerprint() + QLatin1Char('|') + QString::number(inputSize))
                               .toUtf8();
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
    return base + QStringLiteral("/freesel/stores/") + backend.name() + QLatin1Char('-') +
           QString::fromLatin1(
               QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex().left(16));
}

ProgressCallback PipelineSession::progressFor(const QString& stage) {
    return [this, stage](int64_t done, int64_t total) {
        const bool goOn = !observer_ || observer_->stageProgress(stage, done, total);
        return goOn && !(cancel_ && cancel_->load());
    };
}

void PipelineSession::checkCancel(const QString& stage) const {
    if (cancel_ && cancel_->load())
        throw StageCancelled(stage);
}

void PipelineSession::require(bool done, const char* stage) const {
    if (!done)
        throw std::logic_error(std::string("PipelineSession: run the ") + stage + " stage first");
}

void PipelineSession::forgetFrom(int stage) {
    if (stage <= BackendStage)
        backendKey_.clear();
    if (stage <= StoreStage) {
        storeKey_.clear();
        store_.reset();
    }
    if (stage <= ExtractionStage)
        extractionKey_.clear();
    if (stage <= PatternStage) {
        patternKey_.clear();
        projectionKey_.clear();
    }
    if (stage <= SelectionStage) {
        selectionKey_.clear();
        coverageKey_.clear();
    }
}

bool PipelineSession::scan(const RunParameters& p) {
    if (p.source.isEmpty())
        throw std::invalid_argument("no pool: open a folder, a list file or a COCO json first");
    if (scanKey_ == p.scanKey() && pool_)
        return false;
    scanKey_.clear();
    pool_.reset();
    forgetFrom(StoreStage); // the default store and every record index follow the pool
    if (observer_)
        observer_->stageStarted(QStringLiteral("scan"));
    PoolScan scan = scanPool(p.source, p.imageRoot);
    if (!scan.ok())
        throw std::invalid_argument(scan.error.toStdString());
    poolWarnings_ = scan.warnings;
    if (scan.entries.empty()) {
        if (observer_) // the warnings may say why (an unreadable folder, a symlink loop)
            observer_->poolScanned(*this);
        throw std::invalid_argument(
            QStringLiteral("no images found in %1").arg(p.source).toStdString());
    }
    pool_ = std::make_shared<const std::vector<PoolEntry>>(std::move(scan.entries));
    poolRoot_ = scan.root;
    scanKey_ = p.scanKey();
    if (observer_) {
        observer_->poolScanned(*this);
        observer_->stageFinished(QStringLiteral("scan"));
    }
    return true;
}

bool PipelineSession::prepareBackend(const RunParameters& p) {
    const bool ran = backendKey_ != p.backendKey() || !backend_.backend;
    if (ran) {
        forgetFrom(BackendStage);
        if (observer_)
            observer_->stageStarted(QStringLiteral("model"));
        backend_ = createBackend(p.backendChoice());
        backendKey_ = p.backendKey();
        if (observer_) {
            observer_->backendReady(*this);
            observer_->stageFinished(QStringLiteral("model"));
        }
    }
    const int patch = backend_.backend->patchSize();
    if (p.inputSize < patch || p.inputSize % patch != 0)
        throw std::invalid_argument(
            QStringLiteral("--input-size must be a positive multiple of the patch size %1, got %2")
                .arg(patch)
                .arg(p.inputSize)
                .toStdString());
    return ran;
}

QString PipelineSession::storeFolderFor(const RunParameters& p) const {
    if (!p.storeDir.isEmpty())
        return p.storeDir;
    require(hasBackend(), "backend");
    return defaultStoreFolder(p.source, *backend_.backend, p.inputSize);
}

bool PipelineSession::openStore(const RunParameters& p, StoreAccess access) {
    require(pool_ != nullptr, "scan");
    const QString key = p.extractionKey() + (access == StoreAccess::Write ? QStringLiteral("|w")
                                                                          : QStringLiteral("|r"));
    if (storeKey_ == key && store_)
        return false;
    forgetFrom(StoreStage);
    const QString folder = storeFolderFor(p);
    auto store = std::make_unique<FeatureStore>();
    if (access == StoreAccess::Write) {
        require(hasBackend(), "backend");
        openForWriting(*store, folder, p);
    } else {
        if (!QFileInfo(folder).isDir())
            throw std::invalid_argument(
                QStringLiteral("no feature store at %1").arg(folder).toStdString());
        store->openForReading(folder).throwIfFailed();
    }
    store_ = std::move(store);
    records_ = storeRecordsFor(*pool_, *store_);
    storeKey_ = key;
    return true;
}

void PipelineSession::openForWriting(FeatureStore& store, const QString& folder,
                                     const RunParameters& p) {
    const ResizeSpec resize = backend_.backend->inputResize(p.inputSize);
    store.openForWriting(folder, storeHeaderFor(*backend_.backend, resize)).throwIfFailed();
    storeWritable_ = true;
}

void PipelineSession::closeStore() {
    forgetFrom(StoreStage);
}

const FeatureStore& PipelineSession::store() const {
    require(hasStore(), "store");
    return *store_;
}

bool PipelineSession::extract(const RunParameters& p, const Shard& shard) {
    require(hasStore() && hasBackend(), "store");
    const QString key =
        p.extractionKey() + QStringLiteral("|%1/%2").arg(shard.index).arg(shard.count);
    if (extractionKey_ == key)
        return false;
    forgetFrom(ExtractionStage);
    if (!storeWritable_) // read-only since an earlier extraction: take the write lock again
        openForWriting(*store_, store_->folder(), p);
    if (observer_)
        observer_->stageStarted(QStringLiteral("extract"));
    ExtractionOptions options;
    options.resize = backend_.backend->inputResize(p.inputSize);
    options.batchSize = p.batchSize;
    options.shard = shard;
    extraction_ = extractFeatures(*pool_, *backend_.backend, *store_, options,
                                  progressFor(QStringLiteral("extract")), cancel_);
    if (extraction_.cancelled) {
        forgetFrom(StoreStage); // reopened, and resumed, by the next run
        throw StageCancelled(QStringLiteral("extract"));
    }
    // Hold the write lock only while writing: reopened read-only, the store can be extracted
    // into by another process (the CLI beside an idle Studio) while this session reads it.
    const QString folder = store_->folder();
    if (const Status reopened = store_->openForReading(folder); !reopened)
        throw StoreError(reopened.error());
    storeWritable_ = false;
    records_ = storeRecordsFor(*pool_, *store_);
    extractionKey_ = key;
    if (observer_)
        observer_->stageFinished(QStringLiteral("extract"));
    return true;
}

std::string patternRowsFolderFor(const RunParameters& p, const FeatureStore& store,
                                 const std::vector<int>& records) {
    int64_t usable = 0;
    int dims = 0;
    for (const int record : records) {
        if (record < 0 || !store.entry(record).ok)
            continue;
        ++usable;
        dims = std::max(dims, store.entry(record).dims);
    }
    return patternRowsFolder(p.patternRows, usable, p.clusters, dims, store.folder());
}

bool PipelineSession::computePatterns(const RunParameters& p) {
    require(hasStore(), "store");
    if (patternKey_ == p.patternKey())
        return false;
    forgetFrom(PatternStage);
    const PatternParameters params = p.patternParameters();
    validatePatternParameters(params, store_->header().fingerprint.radius);
    if (observer_)
        observer_->stageStarted(QStringLiteral("patterns"));
    PoolPatterns patterns = freesel::computePatterns(
        *store_, records_, params, p.seed, p.threads, progressFor(QStringLiteral("patterns")),
        cancel_, patternRowsFolderFor(p, *store_, records_));
    if (patterns.patterns.imageCount() < static_cast<int>(patterns.poolIndex.size()))
        throw StageCancelled(QStringLiteral("patterns"));
    checkCancel(QStringLiteral("patterns"));
    patterns_ = std::move(patterns);
    // The derivation computePatterns uses, so a view can reproduce any image's patterns.
    patternSeed_ = patternStageSeed(p.seed);
    patternKey_ = p.patternKey();
    if (observer_)
        observer_->stageFinished(QStringLiteral("patterns"));
    return true;
}

bool PipelineSession::select(const RunParameters& p) {
    require(!patternKey_.isEmpty(), "patterns");
    if (patterns_.poolIndex.empty())
        throw std::invalid_argument(
            QStringLiteral("none of the %1 images of %2 could be read (each is listed with its "
                           "reason)")
                .arg(pool_->size())
                .arg(p.source)
                .toStdString());
    const StrategyKind strategy = parseStrategyKind(p.strategy.toStdString());
    if (strategy == StrategyKind::Clip) // refuse bad options before any work
        p.clipOptions();
    const int64_t budget = resolveBudget(p, static_cast<int>(patterns_.poolIndex.size()));
    if (selectionKey_ == p.selectionKey()) {
        parameters_ = p;
        return false;
    }
    forgetFrom(SelectionStage);
    if (observer_)
        observer_->stageStarted(QStringLiteral("selection"));
    // --within: the strategy sees only the query's matches (a percentage budget counts them)
    withinImages_ = withinCandidates(p);
    const PoolPatterns within =
        withinImages_.empty() ? PoolPatterns() : restrictPatterns(patterns_, withinImages_);
    const PoolPatterns& candidates = withinImages_.empty() ? patterns_ : within;
    const int64_t candidateBudget =
        withinImages_.empty() ? budget : resolveBudget(p, int(candidates.poolIndex.size()));
    const ContinuedRound round = resolveContinuedRound(*pool_, candidates, p.labeledImages,
                                                       p.excludedImages, p.includedImages);
    selectionWarnings_ = round.warnings;
    // Images included by hand are selected first and count in the budget; the strategy draws
    // the rest around them, seeded by them as by labelled images.
    const auto included = static_cast<int64_t>(round.included.size());
    if (included > 0 && included >= candidateBudget)
        selectionWarnings_ << QStringLiteral("the %1 images included by hand fill the budget of "
                                             "%2: the strategy draws no image")
                                  .arg(included)
                                  .arg(candidateBudget);
    SelectionRequest request;
    request.budget = std::max<int64_t>(0, candidateBudget - included);
    request.seed = p.seed;
    request.threads = p.threads;
    request.labeled = round.labeled;
    request.labeled.insert(request.labeled.end(), round.included.begin(), round.included.end());
    request.excluded = round.excluded;
    elfs_ = ElfsResult();
    clipScores_ = ClipSelectionScores();
    selection_ = withIncludedFirst(drawSelection(p, strategy, request, candidates, round),
                                   candidates, round);
    checkCancel(QStringLiteral("selection"));
    budget_ = candidateBudget;
    parameters_ = p;
    selectionKey_ = p.selectionKey();
    if (observer_)
        observer_->stageFinished(QStringLiteral("selection"));
    return true;
}

SelectionResult PipelineSession::drawSelection(const RunParameters& p, StrategyKind strategy,
                                               const SelectionRequest& request,
                                               const PoolPatterns& candidates,
                                               const ContinuedRound& round) {
    // Strategies that rank the whole pool rank it for the known images too, then drop them.
    const auto known =
        static_cast<int64_t>(round.labeled.size() + round.excluded.size() + round.included.size());
    if (strategy == StrategyKind::Elfs) {
        SelectionRequest whole = request;
        whole.labeled.clear();
        whole.excluded.clear();
        whole.budget += known;
        return withoutKnownImages(runElfsStage(p, whole, candidates), candidates, round,
                                  request.budget);
    }
    if (strategy == StrategyKind::Clip)
        return withoutKnownImages(runClipStage(p, request.budget + known, candidates), candidates,
                                  round, request.budget);
    if (request.budget == 0) // the images included by hand fill the budget
        return {};
    return selectImages(candidates, strategy, request);
}

std::vector<int> PipelineSession::withinCandidates(const RunParameters& p) const {
    if (p.withinQuery.isEmpty())
        return {};
    const ClipBackend& clip = requireClipBackend(*backend_.backend, "--within");
    std::vector<int> usable(pool_->size(), -1); // the search ranks the usable images only
    for (size_t i = 0; i < patterns_.poolIndex.size(); ++i)
        usable[size_t(patterns_.poolIndex[i])] = patterns_.storeIndex[i];
    return searchCandidates(clip, *store_, usable, p.withinQuery, p.withinTop, p.withinPercent);
}

SelectionResult PipelineSession::runElfsStage(const RunParameters& p,
                                              const SelectionRequest& request,
                                              const PoolPatterns& candidates) {
    const ElfsParameters params = p.elfsParameters();
    QString current;
    auto progress = [&](const ElfsProgress& e) {
        const QString stage = QStringLiteral("elfs-") + QString::fromStdString(e.stage);
        if (stage != current) {
            if (observer_ && !current.isEmpty())
                observer_->stageFinished(current);
            current = stage;
            if (observer_)
                observer_->stageStarted(stage);
        }
        if (observer_ && !e.note.empty())
            observer_->notice(QString::fromStdString(e.note));
        const bool proxy = e.stage == "proxy";
        if (observer_ && e.done > 0 && (proxy || e.total > 1)) { // proxy or TEMI epochs
            const double accuracy = proxy ? e.accuracy : std::nan("");
            observer_->trainingEpoch(stage, e.done, e.total, e.loss, accuracy);
            observer_->stageDetail(stage, proxy ? QStringLiteral("loss %1, accuracy %2")
                                                      .arg(e.loss, 0, 'f', 4)
                                                      .arg(e.accuracy, 0, 'f', 3)
                                                : QStringLiteral("loss %1").arg(e.loss, 0, 'f', 4));
        }
        return progressFor(stage)(e.done, e.total);
    };
    ElfsResult result;
    SelectionResult selection =
        selectElfs(*store_, candidates, request, params, result, progress, cancel_, pool_.get());
    if (observer_ && !current.isEmpty())
        observer_->stageFinished(current);
    if (result.cancelled)
        throw StageCancelled(current.isEmpty() ? QStringLiteral("selection") : current);
    elfs_ = std::move(result);
    return selection;
}

SelectionResult PipelineSession::runClipStage(const RunParameters& p, int64_t budget,
                                              const PoolPatterns& candidates) {
    const ClipBackend& clip = requireClipBackend(*backend_.backend, "--strategy clip");
    std::vector<int> records = records_;
    if (!withinImages_.empty()) { // only the --within matches are scored and selectable
        records.assign(records_.size(), -1);
        for (size_t i = 0; i < candidates.poolIndex.size(); ++i)
            records[size_t(candidates.poolIndex[i])] = candidates.storeIndex[i];
    }
    ClipSelectionScores scores;
    SelectionResult result =
        selectClip(clip, *store_, *pool_, poolRoot_, records, budget, p.clipOptions(), scores);
    clipScores_ = std::move(scores);
    return result;
}

StagesRun PipelineSession::run(const RunParameters& p) {
    StagesRun ran;
    ran.scan = scan(p);
    prepareBackend(p);
    openStore(p, StoreAccess::Write);
    ran.extraction = extract(p);
    ran.patterns = computePatterns(p);
    ran.selection = select(p);
    return ran;
}

const PatternProjection& PipelineSession::projection() {
    require(!patternKey_.isEmpty(), "patterns");
    if (projectionKey_ != patternKey_) {
        if (observer_)
            observer_->stageStarted(QStringLiteral("projection"));
        projection_ = projectPatternsPca(patterns_.patterns);
        for (int& image : projection_.image) // pattern pool image -> pool index
            image = patterns_.poolIndex[static_cast<size_t>(image)];
        projectionKey_ = patternKey_;
    }
    return projection_;
}

const CoverageCurves& PipelineSession::coverage() {
    require(hasSelection(), "selection");
    if (coverageKey_ == selectionKey_)
        return coverage_;
    if (observer_)
        observer_->stageStarted(QStringLiteral("coverage"));
    const int usable = static_cast<int>(patterns_.poolIndex.size());
    const int64_t budget = std::min<int64_t>(budget_, usable);
    std::vector<int> poolToUsable(pool_->size(), -1);
    for (int k = 0; k < usable; ++k)
        poolToUsable[static_cast<size_t>(patterns_.poolIndex[static_cast<size_t>(k)])] = k;
    // Both orders measured the same way: D^2 sampling replaying a given order.
    DistanceSamplingOptions replay;
    replay.rule = SamplingRule::Replay;
    for (const Pick& pick : selection_.picks)
        replay.replayOrder.push_back(poolToUsable[static_cast<size_t>(pick.image)]);
    const uint64_t seed = parameters_.seed;
    coverage_.selection = distanceSampling(patterns_.patterns, budget, seed, replay).coverage;
    replay.replayOrder = randomOrder(usable, budget, seed);
    coverage_.random = distanceSampling(patterns_.patterns, budget, seed, replay).coverage;
    coverageKey_ = selectionKey_;
    return coverage_;
}

std::vector<std::pair<QString, QString>> PipelineSession::skippedImages() const {
    std::vector<std::pair<QString, QString>> skipped;
    if (!store_ || !pool_)
        return skipped;
    for (size_t i = 0; i < records_.size(); ++i)
        if (records_[i] >= 0 && !store_->entry(records_[i]).ok)
            skipped.emplace_back((*pool_)[i].path, store_->entry(records_[i]).error);
    return skipped;
}

Provenance PipelineSession::provenance() const {
    require(hasSelection() && hasBackend(), "selection");
    const RunParameters& p = parameters_;
    Provenance provenance;
    provenance.appVersion = applicationVersion();
    provenance.backend = backend_.backend->name();
    provenance.model = backend_.modelName;
    provenance.modelChecksum = backend_.modelChecksum;
    provenance.tau = p.tau;
    provenance.clusters = p.clusters;
    provenance.eps = p.eps;
    provenance.budget = budget_;
    provenance.seed = p.seed;
    provenance.strategy =
        QString::fromStdString(strategyName(parseStrategyKind(p.strategy.toStdString())));
    provenance.inputSize = QStringLiteral("%1x%1").arg(p.inputSize);
    provenance.device = backend_.backend->deviceDescription();
    provenance.precision = backend_.backend->precision();
    provenance.created = QDateTime::currentDateTimeUtc();
    provenance.poolSource = QFileInfo(p.source).absoluteFilePath();
    return provenance;
}

SelectionExport PipelineSession::selectionExport() const {
    SelectionExport exported =
        buildSelectionExport(*pool_, *store_, records_, patterns_, selection_, provenance(),
                             elfs_.scores.aum.empty() ? nullptr : &elfs_);
    if (!clipScores_.label.empty()) {
        exported.hasClipScores = true;
        for (size_t i = 0; i < exported.images.size() && i < clipScores_.label.size(); ++i) {
            ExportImage& image = exported.images[i];
            const int label = clipScores_.label[i];
            image.clipLabel = label >= 0 ? clipScores_.classNames.value(label) : QString();
            image.sas = clipScores_.sas[i];
            image.sds = clipScores_.sds[i];
            image.clipScore = clipScores_.combined[i];
            image.clipLabelGiven = clipScores_.labelGiven[i] != 0;
            image.clipLabelRank = clipScores_.labelRank[i];
            for (int c : clipScores_.topClasses[i])
                image.clipTopClasses << clipScores_.classNames.value(c);
        }
        exported.clipZeroShot = clipScores_.zeroShot;
    }
    fillExportImageSizes(exported);
    return exported;
}

} // namespace freesel
