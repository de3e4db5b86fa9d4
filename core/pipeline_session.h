// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The one orchestrator of a run (README.md, "Architecture"). The CLI commands
// and the Studio's worker both drive it: it owns the scanned pool, the backend, the feature
// store and each stage's result, every one cached under the key of the parameters it was made
// with (RunParameters::scanKey() ... selectionKey()). A re-run after a tau, K, eps, budget,
// seed or strategy change therefore starts from the store and never runs the network, in the
// CLI and the Studio alike, and the rule that names the default store lives here only.
//
// One thread drives a session. Another may only set the cancel flag handed in; a stage that
// sees it throws StageCancelled after its current batch, and the next call resumes.

#include "backbone/backend_factory.h"
#include "clip_stage.h"
#include "patterns/pca_projection.h"
#include "pipeline.h"
#include "run_parameters.h"

#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace freesel {

class PipelineSession;

/// What a front end hears of a session. Every method has a default that does nothing.
class SessionObserver {
public:
    virtual ~SessionObserver() = default;
    /// A stage starts: "scan", "model", "extract", "patterns", "selection", "projection",
    /// "coverage"; within selection by strategy elfs, "elfs-cluster" and "elfs-proxy".
    virtual void stageStarted(const QString& /*stage*/) {}
    /// Progress within a stage; returning false stops it as cancel does.
    virtual bool stageProgress(const QString& /*stage*/, int64_t /*done*/, int64_t /*total*/) {
        return true;
    }
    virtual void stageFinished(const QString& /*stage*/) {}
    /// A line about the stage in flight (the ELFS proxy's epoch loss), shown next to its
    /// progress.
    virtual void stageDetail(const QString& /*stage*/, const QString& /*detail*/) {}
    /// A line the user should read now, before a long stage (the ResNet proxy's estimate).
    virtual void notice(const QString& /*line*/) {}
    /// One training epoch finished: `stage` "elfs-cluster" (TEMI; accuracy NaN) or
    /// "elfs-proxy" (accuracy = agreement of the forward passes with the pseudo-labels).
    virtual void trainingEpoch(const QString& /*stage*/, int /*epoch*/, int /*epochs*/,
                               double /*loss*/, double /*accuracy*/) {}
    /// The pool was (re)scanned: session.pool(), session.poolWarnings() hold it.
    virtual void poolScanned(const PipelineSession& /*session*/) {}
    /// A backend was created: session.backend() holds it, with its fallback note.
    virtual void backendReady(const PipelineSession& /*session*/) {}
};

/// Thrown when the cancel flag (or an observer) stopped a stage.
class StageCancelled : public std::runtime_error {
public:
    explicit StageCancelled(const QString& stage)
        : std::runtime_error("cancelled during " + stage.toStdString()), stage_(stage) {}
    QString stage() const { return stage_; }

private:
    QString stage_;
};

/// Which stages a run() actually ran (the others reused their cached results).
struct StagesRun {
    bool scan = false;
    bool extraction = false;
    bool patterns = false;
    bool selection = false;
};

/// Coverage of the selection's order and of a seeded random order, measured the same way
/// (D^2 replay over the patterns): one value after each pick.
struct CoverageCurves {
    std::vector<double> selection;
    std::vector<double> random;
};

enum class StoreAccess { Write, Read };

/// Where the pattern stage puts the rows of `records` (store records, -1 or failed ones
/// skipped): the store's folder when --pattern-rows sends them to a file
/// (patterns/pattern_rows.h), "" for memory.
std::string patternRowsFolderFor(const RunParameters& p, const FeatureStore& store,
                                 const std::vector<int>& records);

class PipelineSession {
public:
    explicit PipelineSession(SessionObserver* observer = nullptr,
                             const std::atomic<bool>* cancel = nullptr);
    ~PipelineSession();
    PipelineSession(const PipelineSession&) = delete;
    PipelineSession& operator=(const PipelineSession&) = delete;

    /// The default store of a pool and backend: <cache>/freesel/stores/<backend>-<first 16 hex
    /// of sha1(absolute pool path | backend fingerprint | input size)>. One store per pool and
    /// backend, so switching backends never mixes features (the store refuses that anyway).
    static QString defaultStoreFolder(const QString& pool, const FeatureBackend& backend,
                                      int inputSize);

    // The stages, in data-flow order. Each returns true when it ran, false when its cached
    // result still holds for `p`; each needs the ones before it (std::logic_error otherwise).
    // User errors throw std::invalid_argument naming the file or parameter, a failing disk
    // StoreError, a cancel StageCancelled.

    /// Scans p.source (p.imageRoot for a COCO json).
    bool scan(const RunParameters& p);
    /// Creates the backend (auto falls back to offline with a note) and checks p.inputSize
    /// against its patch size.
    bool prepareBackend(const RunParameters& p);
    /// p.storeDir, or the default store of the pool and the prepared backend.
    QString storeFolderFor(const RunParameters& p) const;
    /// Write: opens or creates the store for the backend (resuming a killed run). Read: opens
    /// an existing store (the backend is needed only to name the default folder).
    bool openStore(const RunParameters& p, StoreAccess access);
    /// Runs the backend on every image of the shard the store lacks.
    bool extract(const RunParameters& p, const Shard& shard = {});
    /// The semantic patterns of every usable image, from the store.
    bool computePatterns(const RunParameters& p);
    /// The strategy p.strategy with p.budget (a count, or a percentage of the usable images).
    bool select(const RunParameters& p);
    /// scan, prepareBackend, openStore(Write), extract, computePatterns, select.
    StagesRun run(const RunParameters& p);

    /// Drops the store and everything computed from it (before the store is deleted or reset);
    /// the next run reopens it.
    void closeStore();

    /// Of the current selection / patterns; computed on first use and cached.
    const CoverageCurves& coverage();
    const PatternProjection& projection();

    // Results (valid after their stage ran).
    std::shared_ptr<const std::vector<PoolEntry>> pool() const { return pool_; }
    QString poolRoot() const { return poolRoot_; }
    QStringList poolWarnings() const { return poolWarnings_; }
    /// What the last selection left out of a continued round (names not in the pool, images
    /// without features).
    QStringList selectionWarnings() const { return selectionWarnings_; }
    const BackendSelection& backend() const { return backend_; }
    bool hasBackend() const { return backend_.backend != nullptr; }
    bool hasStore() const { return store_ != nullptr; }
    const FeatureStore& store() const;
    const std::vector<int>& records() const { return records_; }
    const ExtractionReport& extraction() const { return extraction_; }
    const PoolPatterns& patterns() const { return patterns_; }
    quint64 patternSeed() const { return patternSeed_; }
    const SelectionResult& selection() const { return selection_; }
    /// Pseudo-labels, scores, training curve and notes of an elfs selection (else empty).
    const ElfsResult& elfs() const { return elfs_; }
    /// Per pool image labels and scores of a clip selection (else empty), with its notes.
    const ClipSelectionScores& clipScores() const { return clipScores_; }
    /// The candidates of the last selection with --within (pool indices, pool order; else
    /// empty).
    const std::vector<int>& withinImages() const { return withinImages_; }
    bool hasSelection() const { return !selectionKey_.isEmpty(); }
    /// The budget the selection ran with (resolved from a percentage).
    int64_t budget() const { return budget_; }
    const RunParameters& parameters() const { return parameters_; }

    /// Every pool image the store holds as unusable (could not be decoded), with its reason, in
    /// pool order; valid once the store is open.
    std::vector<std::pair<QString, QString>> skippedImages() const;

    /// The provenance of the current selection (what every export's sidecar records).
    Provenance provenance() const;
    /// The export model of the current selection, image sizes filled in.
    SelectionExport selectionExport() const;

private:
    ProgressCallback progressFor(const QString& stage);
    void checkCancel(const QString& stage) const;
    void require(bool done, const char* stage) const;
    void forgetFrom(int stage);
    void openForWriting(FeatureStore& store, const QString& folder, const RunParameters& p);
    /// The strategy's own picks, around the round's labelled and included images.
    SelectionResult drawSelection(const RunParameters& p, StrategyKind strategy,
                                  const SelectionRequest& request, const PoolPatterns& candidates,
                                  const ContinuedRound& round);
    SelectionResult runElfsStage(const RunParameters& p, const SelectionRequest& request,
                                 const PoolPatterns& candidates);
    SelectionResult runClipStage(const RunParameters& p, int64_t budget,
                                 const PoolPatterns& candidates);
    /// --within: the pool indices of the query's matches (empty without a query).
    std::vector<int> withinCandidates(const RunParameters& p) const;

    SessionObserver* observer_;
    const std::atomic<bool>* cancel_;
    // Keys of the cached results; empty: not computed.
    QString scanKey_, backendKey_, storeKey_, extractionKey_, patternKey_, selectionKey_;
    QString projectionKey_, coverageKey_;
    std::shared_ptr<const std::vector<PoolEntry>> pool_;
    QString poolRoot_;
    QStringList poolWarnings_;
    QStringList selectionWarnings_;
    BackendSelection backend_;
    std::unique_ptr<FeatureStore> store_;
    bool storeWritable_ = false; ///< holds the write lock (only while extracting)
    std::vector<int> records_;
    ExtractionReport extraction_;
    PoolPatterns patterns_;
    quint64 patternSeed_ = 0;
    SelectionResult selection_;
    ElfsResult elfs_;
    ClipSelectionScores clipScores_;
    std::vector<int> withinImages_;
    int64_t budget_ = 0;
    RunParameters parameters_;
    PatternProjection projection_;
    CoverageCurves coverage_;
};

} // namespace freesel
