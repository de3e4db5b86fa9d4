// SPDX-License-Identifier: GPL-3.0-or-later
#include "pipeline_worker.h"

#include "compare/comparison_report.h"
#include "weights/model_manifest.h"
#include "weights/weight_cache.h"

#include <QElapsedTimer>

#include <stdexcept>

namespace freesel {

/// Turns what the session reports into the worker's signals (on the worker's thread; queued
/// to the window), with an ETA per stage.
class PipelineWorker::SessionSignals : public SessionObserver {
public:
    explicit SessionSignals(PipelineWorker* worker) : worker_(worker) {}

    void stageStarted(const QString& stage) override {
        timer_.start();
        Q_EMIT worker_->stageChanged(stage);
        Q_EMIT worker_->progress(stage, 0, 0, -1.0); // busy until the first batch
    }
    bool stageProgress(const QString& stage, int64_t done, int64_t total) override {
        double eta = -1.0;
        if (done > 0 && total > done)
            eta = timer_.elapsed() / 1000.0 / double(done) * double(total - done);
        else if (done >= total)
            eta = 0.0;
        Q_EMIT worker_->progress(stage, done, total, eta);
        return true; // the session checks the cancel flag itself
    }
    void trainingEpoch(const QString& stage, int epoch, int epochs, double loss,
                       double accuracy) override {
        Q_EMIT worker_->trainingEpoch(stage, epoch, epochs, loss, accuracy);
    }
    void notice(const QString& line) override { Q_EMIT worker_->notice(line); }
    void poolScanned(const PipelineSession& session) override {
        if (session.pool())
            Q_EMIT worker_->poolScanned(snapshotOf(session));
    }
    void backendReady(const PipelineSession& session) override {
        Q_EMIT worker_->backendReady(infoOf(session));
    }

    static PoolSnapshot snapshotOf(const PipelineSession& session) {
        return {session.pool(), session.poolRoot(), session.poolWarnings()};
    }
    static BackendInfo infoOf(const PipelineSession& session) {
        const BackendSelection& backend = session.backend();
        return {backend.backend->name(), backend.modelName, backend.backend->deviceDescription(),
                backend.note, backend.noteDetails};
    }

private:
    PipelineWorker* worker_;
    QElapsedTimer timer_;
};

PipelineWorker::PipelineWorker(QObject* parent)
    : QObject(parent), signals_(std::make_unique<SessionSignals>(this)),
      session_(std::make_unique<PipelineSession>(signals_.get(), &cancel_)) {
    qRegisterMetaType<RunParameters>();
    qRegisterMetaType<PoolSnapshot>();
    qRegisterMetaType<BackendInfo>();
    qRegisterMetaType<RunOutcome>();
    qRegisterMetaType<ExportResult>();
    qRegisterMetaType<ExportOptions>();
    qRegisterMetaType<DownloadResult>();
    qRegisterMetaType<ComparisonRequest>();
    qRegisterMetaType<ComparisonResult>();
    qRegisterMetaType<WhyPicked>();
    qRegisterMetaType<PoolDuplicates>();
}

void PipelineWorker::scan(const RunParameters& parameters) {
    try {
        // Already scanned (the same pool again): the window still needs the pool.
        if (!session_->scan(parameters) && session_->pool())
            Q_EMIT poolScanned(SessionSignals::snapshotOf(*session_));
    } catch (const std::exception& error) {
        Q_EMIT scanFailed(QString::fromUtf8(error.what()));
    }
}

void PipelineWorker::explainPick(int poolIndex) {
    WhyPicked why;
    try {
        why = explainPoolImage(*session_, poolIndex);
    } catch (const std::exception& error) {
        why.poolIndex = poolIndex;
        why.error = QString::fromUtf8(error.what());
    }
    Q_EMIT pickExplained(why);
}

void PipelineWorker::findDuplicates(double threshold) {
    Q_EMIT duplicatesFound(findPoolDuplicates(*session_, threshold));
}

void PipelineWorker::compare(const ComparisonRequest& request) {
    cancel_.store(false);
    auto progressOf = [this](int done, int total, const QString&) {
        Q_EMIT progress(QStringLiteral("compare"), done, total, -1.0);
        return !cancel_.load();
    };
    try {
        Q_EMIT stageChanged(QStringLiteral("compare"));
        Q_EMIT comparisonFinished(runComparison(*session_, request, progressOf, &cancel_));
    } catch (const StageCancelled&) {
        Q_EMIT comparisonFailed(tr("comparison cancelled"));
    } catch (const std::exception& error) {
        Q_EMIT comparisonFailed(errorFromException(error).message);
    }
}

void PipelineWorker::exportComparison(const ComparisonResult& result,
                                      const ComparisonRequest& request, const QString& folder) {
    Q_EMIT exportFinished(writeComparisonReport(result, request, folder));
}

PipelineWorker::~PipelineWorker() = default;

void PipelineWorker::run(const RunParameters& parameters) {
    cancel_.store(false);
    QElapsedTimer timer;
    timer.start();
    RunOutcome outcome;
    try {
        const StagesRun ran = session_->run(parameters);
        outcome.extractionRan = ran.extraction;
        outcome.patternsRan = ran.patterns;
        outcome.selectionRan = ran.selection;
        fillOutcome(outcome);
    } catch (const StageCancelled& cancelled) {
        Q_EMIT runCancelled(cancelled.stage());
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

void PipelineWorker::fillOutcome(RunOutcome& outcome) {
    const PipelineSession& session = *session_;
    const FeatureStore& store = session.store();
    const std::vector<int>& records = session.records();
    const PoolPatterns& patterns = session.patterns();
    const size_t n = session.pool()->size();
    outcome.parameters = session.parameters();
    outcome.pool = SessionSignals::snapshotOf(session);
    outcome.backend = SessionSignals::infoOf(session);
    outcome.storeFolder = store.folder();
    outcome.patternSeed = session.patternSeed();
    outcome.storeRecords = records;
    outcome.extraction = session.extraction();
    outcome.failures.assign(n, QString());
    outcome.patternCounts.assign(n, 0);
    outcome.usableIndex.assign(n, -1);
    for (size_t i = 0; i < n; ++i) {
        if (records[i] < 0)
            outcome.failures[i] = tr("not extracted");
        else if (!store.entry(records[i]).ok)
            outcome.failures[i] = store.entry(records[i]).error;
    }
    for (size_t k = 0; k < patterns.poolIndex.size(); ++k) {
        const size_t i = static_cast<size_t>(patterns.poolIndex[k]);
        outcome.usableIndex[i] = static_cast<int>(k);
        outcome.patternCounts[i] = patterns.patterns.patternCountOf(static_cast<int>(k));
    }
    for (const Pick& pick : session.selection().picks) {
        outcome.picks.push_back(pick.image);
        outcome.scores.push_back(pick.score);
    }
    outcome.projection = session_->projection();
    const CoverageCurves& coverage = session_->coverage();
    outcome.coverage = coverage.selection;
    outcome.randomCoverage = coverage.random;
    outcome.elfs = session.elfs();
}

void PipelineWorker::exportSelection(const QString& format, const QString& path,
                                     const ExportOptions& options) {
    ExportResult result;
    try {
        if (!session_->hasSelection())
            throw std::invalid_argument("nothing to export yet: run a selection first");
        const ExportFormat kind = parseExportFormat(format);
        result = freesel::exportSelection(session_->selectionExport(), kind, path, options);
    } catch (const std::exception& error) {
        result = errorFromException(error);
    }
    Q_EMIT exportFinished(result);
}

void PipelineWorker::search(const QString& text) {
    QList<int> ranking;
    try {
        if (!session_->hasStore() || !session_->hasBackend())
            throw std::invalid_argument("run the pool with the CLIP backend first");
        const ClipBackend& clip =
            requireClipBackend(*session_->backend().backend, "Search by content");
        const PoolClipEmbeddings pool = poolClipEmbeddings(session_->store(), session_->records());
        for (const SearchHit& hit : searchPool(clip, pool, text, int64_t(pool.poolIndex.size())))
            ranking.append(hit.image);
    } catch (const std::exception& error) {
        Q_EMIT searchFinished(text, {}, QString::fromUtf8(error.what()));
        return;
    }
    Q_EMIT searchFinished(text, ranking, QString());
}

void PipelineWorker::resetStore(const QString& folder) {
    session_->closeStore(); // releases the files before they go
    Q_EMIT storeReset(folder, FeatureStore::remove(folder).message());
}

void PipelineWorker::startDownload(const QString& model) {
    DownloadResult failure;
    const ModelManifest manifest = ModelManifest::builtin();
    const ModelInfo* info = manifest.find(model);
    const WeightCache cache;
    if (!info) {
        failure.status = Error::userInput(tr("unknown model %1").arg(model));
    } else if (const Status folder = cache.ensureDirectory(); !folder) {
        failure.status = folder;
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
