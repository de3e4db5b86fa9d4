#include "pipeline_worker.h"

#include "distance_sampling.h"
#include "export_image_sizes.h"
#include "random_stream.h"
#include "version.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFileInfo>
#include <QStandardPaths>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace freesel {

namespace {

/// Thrown inside a run when the user cancelled; carries the stage for the message.
struct Cancelled {
    QString stage;
};

} // namespace

PipelineWorker::PipelineWorker(QObject* parent) : QObject(parent) {
    qRegisterMetaType<RunParameters>();
    qRegisterMetaType<PoolSnapshot>();
    qRegisterMetaType<BackendInfo>();
    qRegisterMetaType<RunOutcome>();
    qRegisterMetaType<ExportResult>();
    qRegisterMetaType<ExportOptions>();
    qRegisterMetaType<DownloadResult>();
}

PipelineWorker::~PipelineWorker() = default;

QString PipelineWorker::defaultStoreFolder(const QString& pool, const FeatureBackend& backend,
                                           int inputSize) {
    const QByteArray key = (QFileInfo(pool).absoluteFilePath() + QLatin1Char('|') +
                            backend.fingerprint() + QLatin1Char('|') + QString::number(inputSize))
                               .toUtf8();
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
    return base + QStringLiteral("/freesel/stores/") + backend.name() + QLatin1Char('-') +
           QString::fromLatin1(
               QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex().left(16));
}

ProgressCallback PipelineWorker::progressFor(const QString& stage) {
    Q_EMIT stageChanged(stage);
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    return [this, stage, timer](int64_t done, int64_t total) {
        double eta = -1.0;
        if (done > 0 && total > done)
            eta = timer->elapsed() / 1000.0 / double(done) * double(total - done);
        else if (done >= total)
            eta = 0.0;
        Q_EMIT progress(stage, done, total, eta);
        return !cancel_.load();
    };
}

void PipelineWorker::run(const RunParameters& parameters) {
    cancel_.store(false);
    QElapsedTimer timer;
    timer.start();
    RunOutcome outcome;
    try {
        runStages(parameters, outcome);
    } catch (const Cancelled& cancelled) {
        Q_EMIT runCancelled(cancelled.stage);
        return;
    } catch (const std::exception& error) {
        Q_EMIT runFailed(QString::fromUtf8(error.what()));
        return;
    } catch (...) {
        Q_EMIT runFailed(tr("internal error (unknown exception)"));
        return;
    }
    outcome.seconds = timer.nsecsElapsed() * 1e-9;
    Q_EMIT runFinished(outcome);
}

void PipelineWorker::runStages(const RunParameters& p, RunOutcome& outcome) {
    if (p.source.isEmpty())
        throw std::invalid_argument("no pool: open a folder, a list file or a COCO json first");
    // 1. Scan.
    if (scanKey_ != p.scanKey() || !pool_.entries) {
        scanKey_.clear();
        extractionKey_.clear();
        Q_EMIT stageChanged(tr("scan"));
        Q_EMIT progress(tr("scan"), 0, 0, -1.0);
        PoolScan scan = scanPool(p.source, p.imageRoot);
        if (!scan.ok())
            throw std::invalid_argument(scan.error.toStdString());
        if (scan.entries.empty())
            throw std::invalid_argument(tr("no images found in %1").arg(p.source).toStdString());
        pool_.entries = std::make_shared<const std::vector<PoolEntry>>(std::move(scan.entries));
        pool_.root = scan.root;
        pool_.warnings = scan.warnings;
        scanKey_ = p.scanKey();
        Q_EMIT poolScanned(pool_);
    }
    // 2. Backend, store, extraction: the only stage that runs the network.
    if (extractionKey_ != p.extractionKey() || !store_) {
        patternKey_.clear();
        store_.reset();
        Q_EMIT stageChanged(tr("model"));
        BackendChoice choice;
        choice.backend = p.backend;
        choice.model = p.model;
        choice.weights = p.weights;
        choice.device = p.device;
        choice.precision = p.precision;
        backend_ = createBackend(choice);
        backendInfo_ = {backend_.backend->name(), backend_.modelName,
                        backend_.backend->deviceDescription(), backend_.note};
        Q_EMIT backendReady(backendInfo_);
        const int patch = backend_.backend->patchSize();
        if (p.inputSize < patch || p.inputSize % patch != 0)
            throw std::invalid_argument(
                tr("input size must be a positive multiple of the patch size %1, got %2")
                    .arg(patch)
                    .arg(p.inputSize)
                    .toStdString());
        ExtractionOptions options;
        options.resize = ResizeSpec::fixed(p.inputSize, p.inputSize);
        const QString folder = p.storeDir.isEmpty()
                                   ? defaultStoreFolder(p.source, *backend_.backend, p.inputSize)
                                   : p.storeDir;
        auto store = std::make_unique<FeatureStore>();
        if (!store->openForWriting(folder, storeHeaderFor(*backend_.backend, options.resize)))
            throw std::runtime_error(store->errorString().toStdString());
        store_ = std::move(store);
        extraction_ = extractFeatures(*pool_.entries, *backend_.backend, *store_, options,
                                      progressFor(tr("extract")), &cancel_);
        if (extraction_.cancelled) {
            store_.reset(); // reopened (and resumed) by the next run
            throw Cancelled{tr("extract")};
        }
        records_ = storeRecordsFor(*pool_.entries, *store_);
        extractionKey_ = p.extractionKey();
        outcome.extractionRan = true;
    }
    outcome.extraction = extraction_;
    // 3. Patterns (tau, K, eps, seed) from the store.
    if (patternKey_ != p.patternKey()) {
        selectionKey_.clear();
        PatternParameters params;
        params.tau = p.tau;
        params.clusters = p.clusters;
        params.eps = p.eps;
        validatePatternParameters(params, store_->header().fingerprint.radius);
        PoolPatterns patterns = computePatterns(*store_, records_, params, p.seed, 0,
                                                progressFor(tr("patterns")), &cancel_);
        if (cancel_.load() ||
            patterns.patterns.imageCount() < static_cast<int>(patterns.poolIndex.size()))
            throw Cancelled{tr("patterns")};
        if (patterns.poolIndex.empty())
            throw std::invalid_argument(tr("none of the %1 images could be read (see the log)")
                                            .arg(pool_.size())
                                            .toStdString());
        patterns_ = std::move(patterns);
        // The same derivation computePatterns uses, so the image view reproduces each image.
        patternSeed_ = patternStageSeed(p.seed);
        Q_EMIT stageChanged(tr("projection"));
        projection_ = projectPatternsPca(patterns_.patterns);
        for (int& image : projection_.image)
            image = patterns_.poolIndex[static_cast<size_t>(image)];
        patternKey_ = p.patternKey();
        outcome.patternsRan = true;
    }
    // 4. Selection (budget, strategy, seed) and the coverage curves.
    if (selectionKey_ != p.selectionKey()) {
        Q_EMIT stageChanged(tr("selection"));
        Q_EMIT progress(tr("selection"), 0, 0, -1.0);
        const int usable = static_cast<int>(patterns_.poolIndex.size());
        int64_t budget = p.budgetPercent ? std::llround(usable * p.budget / 100.0)
                                         : static_cast<int64_t>(std::llround(p.budget));
        if (p.budget < 0 || (p.budgetPercent && p.budget > 100))
            throw std::invalid_argument(
                tr("budget must be a count >= 0 or a percentage in [0, 100]").toStdString());
        budget = std::min<int64_t>(budget, usable);
        SelectionRequest request;
        request.budget = budget;
        request.seed = p.seed;
        selection_ = selectImages(patterns_, parseStrategyKind(p.strategy.toStdString()), request);
        if (cancel_.load())
            throw Cancelled{tr("selection")};
        // Coverage of this order and of a random one, measured the same way (Replay).
        std::vector<int> poolToUsable(static_cast<size_t>(pool_.size()), -1);
        for (int k = 0; k < usable; ++k)
            poolToUsable[static_cast<size_t>(patterns_.poolIndex[static_cast<size_t>(k)])] = k;
        DistanceSamplingOptions replay;
        replay.rule = SamplingRule::Replay;
        for (const Pick& pick : selection_.picks)
            replay.replayOrder.push_back(poolToUsable[static_cast<size_t>(pick.image)]);
        Q_EMIT stageChanged(tr("coverage"));
        coverage_ = distanceSampling(patterns_.patterns, budget, p.seed, replay).coverage;
        std::vector<int> order(static_cast<size_t>(usable));
        std::iota(order.begin(), order.end(), 0);
        RandomStream random = RandomStream::forItem(p.seed, 0xc0fe);
        for (int i = usable - 1; i > 0; --i)
            std::swap(order[static_cast<size_t>(i)],
                      order[static_cast<size_t>(random.next() % uint64_t(i + 1))]);
        order.resize(static_cast<size_t>(budget));
        replay.replayOrder = order;
        randomCoverage_ = distanceSampling(patterns_.patterns, budget, p.seed, replay).coverage;
        budget_ = budget;
        selectionKey_ = p.selectionKey();
        outcome.selectionRan = true;
    }
    parameters_ = p;
    fillOutcome(outcome);
}

void PipelineWorker::fillOutcome(RunOutcome& outcome) const {
    const size_t n = static_cast<size_t>(pool_.size());
    outcome.parameters = parameters_;
    outcome.pool = pool_;
    outcome.backend = backendInfo_;
    outcome.storeFolder = store_->folder();
    outcome.patternSeed = patternSeed_;
    outcome.storeRecords = records_;
    outcome.failures.assign(n, QString());
    outcome.patternCounts.assign(n, 0);
    outcome.usableIndex.assign(n, -1);
    for (size_t i = 0; i < n; ++i) {
        if (records_[i] < 0)
            outcome.failures[i] = tr("not extracted");
        else if (!store_->entry(records_[i]).ok)
            outcome.failures[i] = store_->entry(records_[i]).error;
    }
    for (size_t k = 0; k < patterns_.poolIndex.size(); ++k) {
        const size_t i = static_cast<size_t>(patterns_.poolIndex[k]);
        outcome.usableIndex[i] = static_cast<int>(k);
        outcome.patternCounts[i] = patterns_.patterns.patternCountOf(static_cast<int>(k));
    }
    for (const Pick& pick : selection_.picks) {
        outcome.picks.push_back(pick.image);
        outcome.scores.push_back(pick.score);
    }
    outcome.coverage = coverage_;
    outcome.randomCoverage = randomCoverage_;
    outcome.projection = projection_;
}

void PipelineWorker::exportSelection(const QString& format, const QString& path,
                                     const ExportOptions& options) {
    ExportResult result;
    try {
        if (selectionKey_.isEmpty() || !store_)
            throw std::invalid_argument("nothing to export yet: run a selection first");
        const ExportFormat kind = parseExportFormat(format);
        Provenance provenance;
        provenance.appVersion = applicationVersion();
        provenance.backend = backendInfo_.name;
        provenance.model = backend_.modelName;
        provenance.modelChecksum = backend_.modelChecksum;
        provenance.tau = parameters_.tau;
        provenance.clusters = parameters_.clusters;
        provenance.eps = parameters_.eps;
        provenance.budget = budget_;
        provenance.seed = parameters_.seed;
        provenance.strategy = parameters_.strategy;
        provenance.inputSize = QStringLiteral("%1x%1").arg(parameters_.inputSize);
        provenance.device = backendInfo_.device;
        provenance.created = QDateTime::currentDateTimeUtc();
        provenance.poolSource = QFileInfo(parameters_.source).absoluteFilePath();
        SelectionExport exported = buildSelectionExport(*pool_.entries, *store_, records_,
                                                        patterns_, selection_, provenance);
        fillExportImageSizes(exported);
        result = freesel::exportSelection(exported, kind, path, options);
    } catch (const std::exception& error) {
        result.ok = false;
        result.error = QString::fromUtf8(error.what());
    }
    Q_EMIT exportFinished(result);
}

void PipelineWorker::startDownload(const QString& model) {
    DownloadResult failure;
    const ModelManifest manifest = ModelManifest::builtin();
    const ModelInfo* info = manifest.find(model);
    const WeightCache cache;
    QString error;
    if (!info) {
        failure.error = tr("unknown model %1").arg(model);
    } else if (!cache.ensureDirectory(&error)) {
        failure.error = error;
    } else {
        if (!downloader_) {
            downloader_ = new WeightDownloader(this);
            connect(downloader_, &WeightDownloader::progress, this,
                    &PipelineWorker::downloadProgress);
            connect(downloader_, &WeightDownloader::finished, this,
                    &PipelineWorker::downloadFinished);
        }
        downloader_->start(DownloadRequest::forModel(*info, cache));
        return;
    }
    Q_EMIT downloadFinished(failure);
}

void PipelineWorker::cancelDownload() {
    if (downloader_)
        downloader_->cancel();
}

} // namespace freesel
