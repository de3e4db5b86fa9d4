// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The FreeSel Studio main window (docs/GUI.md): dataset and parameters on the left, the
// thumbnail grid in the centre, the image with its overlays on the right, plots and the log in
// bottom tabs, the Issues dock below, stage / progress / ETA / device / backend in the status
// bar. Every long stage runs on the PipelineWorker's thread.

#include "pool/pool_marks.h"
#include "window/project_file.h"
#include "worker/pipeline_worker.h"

#include <QMainWindow>
#include <QSet>

#include <QThread>
#include <QTimer>
#include <functional>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace freesel {

class IssuesDock;
class ImagePreview;
class RunStatusBar;

class AttentionMassPlot;
class ComparePanel;
class ElfsPanel;
class CoveragePlot;
class ImageView;
class ParametersPanel;
class PoolBrowser;
class ProjectionPlot;
struct ImageDetail;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override; ///< cancels the run, quits and waits for the worker thread

    ParametersPanel* parametersPanel() const { return params_; }
    PoolBrowser* poolBrowser() const { return browser_; }
    ImageView* imageView() const { return imageView_; }
    CoveragePlot* coveragePlot() const { return coverage_; }
    ProjectionPlot* projectionPlot() const { return projection_; }
    AttentionMassPlot* attentionMassPlot() const { return mass_; }
    ElfsPanel* elfsPanel() const { return elfs_; }
    ComparePanel* comparePanel() const { return compare_; }
    QTabWidget* plotTabs() const { return tabs_; }
    IssuesDock* issuesDock() const { return issues_; }
    QLabel* backendLabel() const;

    bool isRunning() const { return running_; }
    bool hasOutcome() const { return hasOutcome_; }
    const RunOutcome& lastOutcome() const { return outcome_; }
    QString lastError() const { return lastError_; }
    QString logText() const;

    /// Asks before running without DINO weights (off for --run and tests).
    void setWeightsPromptEnabled(bool enabled) { weightsPrompt_ = enabled; }
    /// Re-runs (from the store) when tau/K/eps/budget/strategy change after a run.
    void setAutoRerun(bool enabled) { autoRerun_ = enabled; }
    /// Replaces the question asked before the store is deleted (tests answer it).
    void setStoreResetQuestion(std::function<bool(const QString& folder)> ask) {
        storeResetQuestion_ = std::move(ask);
    }
    /// Replaces the question asked before quitting with unsaved changes (a QMessageBox
    /// button: Save, Discard or Cancel; tests answer it).
    void setSaveQuestion(std::function<int()> ask) { saveQuestion_ = std::move(ask); }
    bool isProjectDirty() const { return projectDirty_; }
    QString projectPath() const { return projectPath_; }

public Q_SLOTS:
    void openPool(const QString& source);
    void startRun();
    void cancelRun();
    void showImage(int poolIndex);
    /// Starts an export on the worker; exportFinished follows.
    void exportSelection(const QString& format, const QString& path,
                         const freesel::ExportOptions& options);
    void openExportDialog();
    bool saveProject(const QString& path);
    bool openProject(const QString& path);
    /// Deletes the store of the last run after asking (Run > Reset feature store).
    void resetStore();
    // Curation (main_window_curation.cpp)
    void previewImage(int poolIndex); ///< the full-size preview of a pool image
    /// Excludes, marks as labelled or includes again (PoolMark::None) pool images; the next
    /// selection's parameters carry the lists.
    void markImages(const QList<int>& poolIndices, freesel::PoolMark mark);
    bool markLabelledFromFile(const QString& file);
    /// Marks the current selection as labelled and selects `count` more.
    void selectNext(int count);

Q_SIGNALS:
    void runFinished();
    void runCancelled(); ///< by the user, or stopped for newer parameters
    void runEnded();     ///< finished, failed or cancelled
    void exportFinished(const freesel::ExportResult& result);
    void storeWasReset();
    void errorShown(const QString& message); ///< every error the window shows, run or not

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void buildStatusBar();
    void buildCuration();
    // Project state (main_window_project.cpp)
    void buildProjectState();
    void updateTitle();
    void setProjectDirty(bool dirty);
    std::vector<ProjectPick> projectSelection() const;
    void showProjectSelection(); ///< the selection an opened project saved, once scanned
    bool maybeSave();            ///< false: the user cancelled
    void requestWhyPicked(int poolIndex);
    void dispatchRun(const RunParameters& parameters);
    bool askForWeights(const RunParameters& parameters);
    void onParametersChanged();
    void onStage(const QString& stage);
    void onProgress(const QString& stage, qint64 done, qint64 total, double eta);
    void onPoolScanned(const PoolSnapshot& pool);
    void onBackendReady(const BackendInfo& backend);
    void onRunFinished(const RunOutcome& outcome);
    void onRunFailed(const QString& message);
    void onRunCancelled(const QString& stage);
    void onRunEnded();
    void onDetail(const ImageDetail& detail);
    void onExportFinished(const ExportResult& result);
    void onStoreReset(const QString& folder, const QString& error);
    void showPredictedBackend();
    void showBackend(const BackendInfo& backend); ///< the status bar labels and tooltip
    /// An issue's file: opened when it is part of the pool, else named in the status bar.
    void showIssuePath(const QString& path);
    void log(const QString& line);
    void rememberPool(const QString& source);
    void loadSettings();
    void saveSettings() const;

    QThread workerThread_;
    PipelineWorker* worker_;
    ParametersPanel* params_;
    PoolBrowser* browser_;
    ImageView* imageView_;
    QTabWidget* tabs_;
    CoveragePlot* coverage_;
    ProjectionPlot* projection_;
    AttentionMassPlot* mass_;
    ElfsPanel* elfs_;
    ComparePanel* compare_;
    QPlainTextEdit* log_;
    IssuesDock* issues_;
    RunStatusBar* status_ = nullptr;
    std::function<bool(const QString&)> storeResetQuestion_;
    QSet<QString> offlineChosenFor_; ///< models whose weights prompt was answered "offline"
    QTimer rerunTimer_;
    RunOutcome outcome_;
    RunParameters running_params_;
    QString currentStage_;        ///< of the run in progress
    bool superseded_ = false;     ///< the run in progress was stopped for newer parameters
    bool userChoseImage_ = false; ///< an image of this pool was chosen by hand (kept on re-runs)
    bool showingRankOne_ = false; ///< the window itself is opening rank 1
    bool hasOutcome_ = false;
    bool running_ = false;
    bool rerunPending_ = false;
    bool weightsPrompt_ = true;
    bool autoRerun_ = true;
    QString lastError_;
    QStringList recentPools_;
    ImagePreview* preview_ = nullptr;
    QTimer settingsTimer_;
    std::function<int()> saveQuestion_;
    QString projectPath_;
    std::vector<ProjectPick> projectSelection_; ///< of the opened project, until shown
    bool projectDirty_ = false;
    bool loadingProject_ = false;
};

} // namespace freesel
