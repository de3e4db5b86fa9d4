// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The one background worker of the window: a QObject moved to a QThread the window owns.
// Requests come in as queued slot calls, results go out by value in signals; the worker never
// touches a widget. The stages, their caching and the default store are core's PipelineSession
// (the same the CLI drives): the worker adds only the thread, the cancel flag and the signals.

#include "compare/comparison.h"
#include "pipeline_session.h"
#include "weights/weight_downloader.h"
#include "worker/pool_duplicates.h"
#include "worker/why_picked.h"

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
    QString name;    ///< "dino", "clip" or "offline"
    QString model;   ///< the DINO or CLIP model, or "offline"
    QString device;  ///< e.g. "CPU (2 threads, float32)"
    QString note;    ///< one line: auto fell back to the offline backend (empty otherwise)
    QString details; ///< why, and every way to get the weights (tooltip, log)
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
    ElfsResult elfs; ///< strategy elfs: pseudo-labels and scores by usable image (usableIndex)
    PatternProjection projection; ///< image = pool index
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

public Q_SLOTS:
    void run(const freesel::RunParameters& parameters);
    void exportSelection(const QString& format, const QString& path,
                         const freesel::ExportOptions& options);
    void startDownload(const QString& model);
    /// Closes and deletes the feature store in `folder` (the next run extracts anew).
    void resetStore(const QString& folder);
    void cancelDownload();
    /// Every strategy x budget x seed of `request` on this session's store and patterns.
    void compare(const freesel::ComparisonRequest& request);
    /// Writes a comparison's report into `folder`; exportFinished follows.
    void exportComparison(const freesel::ComparisonResult& result,
                          const freesel::ComparisonRequest& request, const QString& folder);
    /// Ranks the pool of the last run by CLIP similarity to `text` (its store must hold CLIP
    /// embeddings); answers with searchFinished.
    void search(const QString& text);
    /// Scans the pool at once (thumbnails before Run); poolScanned follows, or scanFailed.
    void scan(const freesel::RunParameters& parameters);
    /// "Why was this picked" for a pool image of the last selection; answers pickExplained.
    void explainPick(int poolIndex);
    /// Near-duplicate groups of the last run's pool; answers duplicatesFound.
    void findDuplicates(double threshold);

Q_SIGNALS:
    void stageChanged(const QString& stage);
    void progress(const QString& stage, qint64 done, qint64 total, double etaSeconds);
    /// An ELFS training epoch (SessionObserver::trainingEpoch), for the live curves.
    void trainingEpoch(const QString& stage, int epoch, int epochs, double loss, double accuracy);
    /// A line to show now (SessionObserver::notice: the ResNet proxy's estimated time).
    void notice(const QString& line);
    void poolScanned(const freesel::PoolSnapshot& pool);
    void backendReady(const freesel::BackendInfo& backend);
    void runFinished(const freesel::RunOutcome& outcome);
    void runFailed(const QString& message);
    void runCancelled(const QString& stage);
    void exportFinished(const freesel::ExportResult& result);
    void storeReset(const QString& folder, const QString& error); ///< error empty: done
    void downloadProgress(qint64 received, qint64 total);
    void downloadFinished(const freesel::DownloadResult& result);
    void comparisonFinished(const freesel::ComparisonResult& result);
    void comparisonFailed(const QString& message); ///< also when cancelled
    /// `ranking`: pool indices, best first; empty with `error` when the search could not run.
    void searchFinished(const QString& text, const QList<int>& ranking, const QString& error);
    void scanFailed(const QString& message); ///< of scan() alone (Run reports it again)
    void pickExplained(const freesel::WhyPicked& why);
    void duplicatesFound(const freesel::PoolDuplicates& duplicates);

private:
    class SessionSignals;
    void fillOutcome(RunOutcome& outcome);

    std::atomic<bool> cancel_{false};
    std::unique_ptr<SessionSignals> signals_;
    std::unique_ptr<PipelineSession> session_;
    QPointer<WeightDownloader> downloader_;
};

} // namespace freesel

Q_DECLARE_METATYPE(freesel::PoolSnapshot)
Q_DECLARE_METATYPE(freesel::BackendInfo)
Q_DECLARE_METATYPE(freesel::RunOutcome)
Q_DECLARE_METATYPE(freesel::ExportResult)
Q_DECLARE_METATYPE(freesel::ExportOptions)
Q_DECLARE_METATYPE(freesel::ComparisonRequest)
Q_DECLARE_METATYPE(freesel::ComparisonResult)
