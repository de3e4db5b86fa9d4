#pragma once

// The one background worker of the window (DESIGN.md "GUI"): a QObject moved to a QThread the
// window owns. Requests come in as queued slot calls, results go out by value in signals; the
// worker never touches a widget. Each stage is cached by its inputs, so a re-run after a tau,
// K, eps, budget or strategy change starts from the feature store and never runs the network.

#include "backend_factory.h"
#include "feature_store.h"
#include "pca_projection.h"
#include "pipeline.h"
#include "run_parameters.h"
#include "weight_downloader.h"

#include <QElapsedTimer>
#include <QMetaType>
#include <QObject>
#include <QPointer>

#include <atomic>
#include <memory>
#include <vector>

namespace freesel {

/// The scanned pool, shared read-only between the worker and the views.
struct PoolSnapshot {
    std::shared_ptr<const std::vector<PoolEntry>> entries;
    QString root;
    QStringList warnings;
    int size() const { return entries ? static_cast<int>(entries->size()) : 0; }
};

/// What the status bar shows about the feature backend.
struct BackendInfo {
    QString name;   ///< "dino" or "offline"
    QString model;  ///< the DINO model, or "offline"
    QString device; ///< e.g. "CPU (2 threads, float32)"
    QString note;   ///< why auto fell back to the offline backend (empty otherwise)
};

/// Everything a finished run hands to the views.
struct RunOutcome {
    RunParameters parameters;
    PoolSnapshot pool;
    BackendInfo backend;
    QString storeFolder;
    std::vector<int> picks;         ///< pool indices, rank 1 first
    std::vector<double> scores;     ///< aligned with picks (NaN where none applies)
    std::vector<QString> failures;  ///< per pool image: why it could not be used (empty: ok)
    std::vector<int> patternCounts; ///< per pool image (0 for failed ones)
    std::vector<int> usableIndex;   ///< per pool image: its image index in the pattern pool, or -1
    std::vector<int> storeRecords;  ///< per pool image: its store record, or -1
    quint64 patternSeed = 0;        ///< base seed of the pattern stage (see imagePatternSeed)
    std::vector<double> coverage;   ///< after each pick of this selection
    std::vector<double> randomCoverage; ///< after each pick of a seeded random order
    PatternProjection projection;       ///< image = pool index
    ExtractionReport extraction;
    bool extractionRan = false; ///< false: the store already held every image (no network)
    bool patternsRan = false;
    bool selectionRan = false;
    double seconds = 0.0;
};

class PipelineWorker : public QObject {
    Q_OBJECT
public:
    explicit PipelineWorker(QObject* parent = nullptr);
    ~PipelineWorker() override;

    /// Thread-safe: the run in progress stops after its current batch.
    void requestCancel() { cancel_.store(true); }

    /// The default feature store folder for a pool and backend (shared with the CLI layout).
    static QString defaultStoreFolder(const QString& pool, const FeatureBackend& backend,
                                      int inputSize);

public Q_SLOTS:
    void run(const freesel::RunParameters& parameters);
    void exportSelection(const QString& format, const QString& path,
                         const freesel::ExportOptions& options);
    void startDownload(const QString& model);
    void cancelDownload();

Q_SIGNALS:
    void stageChanged(const QString& stage);
    void progress(const QString& stage, qint64 done, qint64 total, double etaSeconds);
    void poolScanned(const freesel::PoolSnapshot& pool);
    void backendReady(const freesel::BackendInfo& backend);
    void runFinished(const freesel::RunOutcome& outcome);
    void runFailed(const QString& message);
    void runCancelled(const QString& stage);
    void exportFinished(const freesel::ExportResult& result);
    void downloadProgress(qint64 received, qint64 total);
    void downloadFinished(const freesel::DownloadResult& result);

private:
    void runStages(const RunParameters& parameters, RunOutcome& outcome);
    ProgressCallback progressFor(const QString& stage);
    void fillOutcome(RunOutcome& outcome) const;

    std::atomic<bool> cancel_{false};
    // Stage caches, each valid for the key it was made with.
    QString scanKey_, extractionKey_, patternKey_, selectionKey_;
    PoolSnapshot pool_;
    BackendSelection backend_;
    BackendInfo backendInfo_;
    std::unique_ptr<FeatureStore> store_;
    std::vector<int> records_;
    ExtractionReport extraction_;
    PoolPatterns patterns_;
    quint64 patternSeed_ = 0;
    PatternProjection projection_;
    SelectionResult selection_;
    std::vector<double> coverage_, randomCoverage_;
    RunParameters parameters_;
    int64_t budget_ = 0;
    QPointer<WeightDownloader> downloader_;
};

} // namespace freesel

Q_DECLARE_METATYPE(freesel::PoolSnapshot)
Q_DECLARE_METATYPE(freesel::BackendInfo)
Q_DECLARE_METATYPE(freesel::RunOutcome)
Q_DECLARE_METATYPE(freesel::ExportResult)
Q_DECLARE_METATYPE(freesel::ExportOptions)
