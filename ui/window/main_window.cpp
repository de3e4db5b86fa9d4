// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/main_window.h"
#include "window/compare_panel.h"
#include "window/elfs_panel.h"
#include "window/run_status_bar.h"
#include "window/shortcut_priority.h"

#include "image/image_decoder.h"
#include "plots/attention_mass_plot.h"
#include "plots/coverage_plot.h"
#include "plots/projection_plot.h"
#include "pool/pool_browser.h"
#include "pool/pool_model.h"
#include "util/version.h"
#include "viewer/image_view.h"
#include "weights/weight_cache.h"
#include "window/export_dialog.h"
#include "window/issues_dock.h"
#include "window/parameters_panel.h"
#include "window/project_file.h"
#include "window/theme.h"
#include "window/weights_dialog.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTime>

namespace freesel {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), worker_(new PipelineWorker), params_(new ParametersPanel(this)),
      browser_(new PoolBrowser(this)), imageView_(new ImageView(this)), tabs_(new QTabWidget(this)),
      coverage_(new CoveragePlot(this)), projection_(new ProjectionPlot(this)),
      mass_(new AttentionMassPlot(this)), elfs_(new ElfsPanel(this)),
      compare_(new ComparePanel([this] { return params_->parameters(); }, this)),
      log_(new QPlainTextEdit(this)), issues_(new IssuesDock(this)) {
    setWindowTitle(tr("FreeSel Studio"));
    setWindowIcon(QIcon(QStringLiteral(":/freesel/icons/freesel.svg")));
    // The worker lives on its own thread; the thread's end deletes it (Tiled's pattern).
    worker_->moveToThread(&workerThread_);
    connect(&workerThread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(worker_, &PipelineWorker::stageChanged, this, &MainWindow::onStage);
    connect(worker_, &PipelineWorker::progress, this, &MainWindow::onProgress);
    connect(worker_, &PipelineWorker::poolScanned, this, &MainWindow::onPoolScanned);
    connect(worker_, &PipelineWorker::backendReady, this, &MainWindow::onBackendReady);
    connect(worker_, &PipelineWorker::runFinished, this, &MainWindow::onRunFinished);
    connect(worker_, &PipelineWorker::runFailed, this, &MainWindow::onRunFailed);
    connect(worker_, &PipelineWorker::runCancelled, this, &MainWindow::onRunCancelled);
    connect(worker_, &PipelineWorker::exportFinished, this, &MainWindow::onExportFinished);
    connect(worker_, &PipelineWorker::storeReset, this, &MainWindow::onStoreReset);
    connect(browser_, &PoolBrowser::contentSearchRequested, worker_, &PipelineWorker::search);
    connect(worker_, &PipelineWorker::searchFinished, this,
            [this](const QString& text, const QList<int>& ranking, const QString& error) {
                browser_->model()->setRanking(ranking);
                statusBar()->showMessage(
                    error.isEmpty()
                        ? tr("%1 images ranked for \"%2\"").arg(ranking.size()).arg(text)
                        : error,
                    8000);
            });
    storeResetQuestion_ = [this](const QString& folder) {
        return QMessageBox::question(
                   this, tr("Reset the feature store?"),
                   tr("Delete the features stored in %1? The next run extracts every image again "
                      "(with DINO, minutes to hours).")
                       .arg(folder)) == QMessageBox::Yes;
    };
    workerThread_.setObjectName(QStringLiteral("freesel-pipeline"));
    workerThread_.start();

    log_->setReadOnly(true);
    log_->setObjectName(QStringLiteral("log"));
    log_->setMaximumBlockCount(20000);
    tabs_->addTab(coverage_, tr("Coverage"));
    tabs_->addTab(projection_, tr("Patterns (PCA)"));
    tabs_->addTab(mass_, tr("Attention mass"));
    tabs_->addTab(log_, tr("Log"));
    tabs_->addTab(compare_, tr("Compare"));
    tabs_->addTab(elfs_, tr("ELFS"));
    connect(worker_, &PipelineWorker::trainingEpoch, elfs_, &ElfsPanel::onTrainingEpoch);
    connect(worker_, &PipelineWorker::notice, this, [this](const QString& line) {
        log(line);
        elfs_->showNotice(line);
    });
    connectToWorker(compare_, worker_);

    auto* scroll = new QScrollArea(this);
    scroll->setWidget(params_);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(params_->sizeHint().width() + 20);
    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(browser_);
    top->addWidget(imageView_);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 4);
    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(top);
    right->addWidget(tabs_);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);
    auto* outer = new QSplitter(Qt::Horizontal, this);
    outer->setObjectName(QStringLiteral("mainSplitter"));
    outer->addWidget(scroll);
    outer->addWidget(right);
    outer->setStretchFactor(1, 1);
    setCentralWidget(outer);
    addDockWidget(Qt::BottomDockWidgetArea, issues_);
    // After the first layout: before it, the dock area takes whatever the window leaves.
    QTimer::singleShot(0, this, [this] { resizeDocks({issues_}, {120}, Qt::Vertical); });
    connect(issues_, &IssuesDock::pathActivated, this, &MainWindow::showIssuePath);

    buildMenus();
    new ShortcutPriority(this, {QKeySequence(tr("Ctrl+E")), QKeySequence(tr("Ctrl+R")),
                                QKeySequence::Find, QKeySequence(tr("Ctrl+1")),
                                QKeySequence(tr("Ctrl+2")), QKeySequence(tr("Ctrl+3")),
                                QKeySequence(tr("Ctrl+4"))});
    buildStatusBar();
    buildCuration();
    buildProjectState();

    rerunTimer_.setSingleShot(true);
    rerunTimer_.setInterval(250);
    connect(&rerunTimer_, &QTimer::timeout, this, &MainWindow::startRun);
    connect(params_, &ParametersPanel::runRequested, this, &MainWindow::startRun);
    connect(params_, &ParametersPanel::cancelRequested, this, &MainWindow::cancelRun);
    connect(params_, &ParametersPanel::sourceChanged, this, &MainWindow::openPool);
    connect(params_, &ParametersPanel::parametersChanged, this, &MainWindow::onParametersChanged);
    connect(browser_, &PoolBrowser::imageChosen, this, [this](int poolIndex) {
        userChoseImage_ = userChoseImage_ || !showingRankOne_;
        showImage(poolIndex);
    });
    connect(projection_, &ProjectionPlot::imageClicked, this,
            [this](int poolIndex) { browser_->showImage(poolIndex); });
    connect(imageView_, &ImageView::detailChanged, this, &MainWindow::onDetail);

    // At first start (no saved geometry) the window fits the screen, even a small one.
    const QRect available = screen() ? screen()->availableGeometry() : QRect(0, 0, 1500, 950);
    resize(std::min(1500, available.width() * 9 / 10), std::min(950, available.height() * 9 / 10));
    loadSettings();
    if (QSettings().value(QStringLiteral("view/dark"), false).toBool()) {
        applyTheme(true);
        if (auto* dark = findChild<QAction*>(QStringLiteral("darkTheme")))
            dark->setChecked(true);
    } else {
        restylePlots(); // the plots take the palette's colours in the light theme too
    }
    onParametersChanged();
    showPredictedBackend();
}

MainWindow::~MainWindow() {
    worker_->requestCancel();
    QMetaObject::invokeMethod(worker_, &PipelineWorker::cancelDownload, Qt::QueuedConnection);
    workerThread_.quit();
    workerThread_.wait();
}

void MainWindow::buildStatusBar() {
    status_ = new RunStatusBar(statusBar());
    connect(status_, &RunStatusBar::cancelClicked, this, &MainWindow::cancelRun);
}

void MainWindow::showPredictedBackend() {
    if (!hasOutcome_ && !running_)
        status_->showPredictedBackend(params_->parameters());
}

void MainWindow::openPool(const QString& source) {
    if (source.isEmpty())
        return;
    if (params_->sourceField()->text() != source) {
        params_->sourceField()->setText(source);
    }
    rememberPool(source);
    if (hasOutcome_ && outcome_.parameters.source == source)
        return; // the same pool again (e.g. the field lost focus): keep the results
    hasOutcome_ = false;
    imageView_->showImage(-1, QString(), 0); // an index of the old pool names another image here
    userChoseImage_ = false;
    log(tr("Pool: %1").arg(source));
    // Scanned at once in the background, so the thumbnails show before Run; a stale
    // "Failed: ..." of the previous pool goes.
    status_->showMessage(tr("Scanning %1...").arg(source));
    RunParameters parameters = params_->parameters();
    parameters.source = source;
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, parameters] { worker->scan(parameters); },
        Qt::QueuedConnection);
}

void MainWindow::startRun() {
    rerunTimer_.stop();
    if (running_) {
        rerunPending_ = true;
        // A re-run from the store that new parameters have made obsolete stops now instead of
        // finishing first; a network stage (scan, model, extract) goes on, its work is kept.
        const bool fromStore = currentStage_ != QLatin1String("scan") &&
                               currentStage_ != QLatin1String("model") &&
                               currentStage_ != QLatin1String("extract");
        if (fromStore && params_->parameters().extractionKey() == running_params_.extractionKey()) {
            superseded_ = true;
            worker_->requestCancel();
        }
        return;
    }
    RunParameters p = params_->parameters();
    if (p.source.isEmpty()) {
        onRunFailed(tr("Open a folder, a list file or a COCO json first (Ctrl+O)."));
        return;
    }
    if (!askForWeights(p))
        return;
    dispatchRun(params_->parameters());
}

bool MainWindow::askForWeights(const RunParameters& p) {
    if (!weightsPrompt_ || p.backend == QStringLiteral("offline") || !p.weights.isEmpty() ||
        offlineChosenFor_.contains(p.model))
        return true;
    const ModelManifest manifest = ModelManifest::builtin();
    const ModelInfo* model = manifest.find(p.model);
    const WeightCache cache;
    if (!model || cache.isCached(*model))
        return true;
    auto* dialog = new WeightsDialog(*model, cache.pathFor(*model), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &WeightsDialog::downloadRequested, worker_, &PipelineWorker::startDownload);
    connect(dialog, &WeightsDialog::cancelRequested, worker_, &PipelineWorker::cancelDownload);
    connect(worker_, &PipelineWorker::downloadProgress, dialog, &WeightsDialog::onProgress);
    connect(worker_, &PipelineWorker::downloadFinished, dialog, &WeightsDialog::onFinished);
    connect(dialog, &QDialog::finished, this, [this, name = p.model](int result) {
        // "Use offline" is for now, not for good: the backend stays auto (which falls back to
        // offline, with its note), and the question is not asked again this session; once the
        // weights are there, auto runs DINO.
        if (result == WeightsDialog::UseOffline)
            offlineChosenFor_.insert(name);
        if (result == WeightsDialog::UseOffline || result == WeightsDialog::Downloaded)
            dispatchRun(params_->parameters());
    });
    dialog->open();
    return false;
}

void MainWindow::dispatchRun(const RunParameters& given) {
    RunParameters parameters = given;
    browser_->applySearchScope(parameters); // "Select within" the content search's matches
    running_ = true;
    running_params_ = parameters;
    if (parameters.strategy == QLatin1String("elfs")) // its live training curves
        tabs_->setCurrentWidget(elfs_);
    lastError_.clear();
    params_->setRunning(true);
    status_->showRunning(true);
    status_->showMessage(tr("Starting..."));
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, parameters] { worker->run(parameters); }, Qt::QueuedConnection);
}

void MainWindow::cancelRun() {
    rerunTimer_.stop();
    rerunPending_ = false;
    if (!running_)
        return;
    worker_->requestCancel();
    status_->showMessage(tr("Cancelling after the current batch..."));
}

void MainWindow::onParametersChanged() {
    const RunParameters p = params_->parameters();
    PatternParameters patterns;
    patterns.tau = p.tau;
    patterns.clusters = p.clusters;
    patterns.eps = p.eps;
    imageView_->setPatternParameters(patterns);
    showPredictedBackend();
    // After a run, a change that the store can answer re-runs at once (no network).
    if (autoRerun_ && hasOutcome_ && p.extractionKey() == outcome_.parameters.extractionKey() &&
        p.selectionKey() != outcome_.parameters.selectionKey())
        rerunTimer_.start();
}

void MainWindow::onStage(const QString& stage) {
    currentStage_ = stage;
    status_->showStage(stage);
}

void MainWindow::onProgress(const QString& stage, qint64 done, qint64 total, double eta) {
    status_->showProgress(stage, done, total, eta);
}

void MainWindow::onPoolScanned(const PoolSnapshot& pool) {
    browser_->model()->setPool(pool);
    log(tr("Scanned %1 images from %2").arg(pool.size()).arg(pool.root));
    for (const QString& warning : pool.warnings)
        log(tr("warning: %1").arg(warning));
    issues_->reportScanWarnings(pool.warnings);
    if (!running_ && !hasOutcome_)
        status_->showMessage(
            tr("%1 images in %2: Run (Ctrl+R) selects from them").arg(pool.size()).arg(pool.root));
    showProjectSelection();
}

void MainWindow::onBackendReady(const BackendInfo& backend) {
    showBackend(backend);
    if (!backend.note.isEmpty()) {
        log(tr("note: %1").arg(backend.note));
        issues_->reportNote(backend.note);
        if (!backend.details.isEmpty())
            log(backend.details);
        statusBar()->showMessage(backend.note, 8000);
    }
}

QLabel* MainWindow::backendLabel() const {
    return status_->backendLabel();
}

void MainWindow::showBackend(const BackendInfo& backend) {
    status_->showBackend(backend);
}

void MainWindow::onRunFinished(const RunOutcome& outcome) {
    outcome_ = outcome;
    hasOutcome_ = true;
    showBackend(outcome.backend); // the note was logged when the backend became ready
    browser_->model()->setOutcome(outcome);
    DetailContext context{outcome.storeFolder, outcome.patternSeed, outcome.storeRecords,
                          outcome.usableIndex};
    imageView_->setContext(context);
    coverage_->setCurves(outcome.coverage, outcome.randomCoverage, outcome.parameters.strategy);
    elfs_->showOutcome(outcome);
    std::vector<char> selected(static_cast<size_t>(outcome.pool.size()), 0);
    for (int pick : outcome.picks)
        selected[static_cast<size_t>(pick)] = 1;
    projection_->setProjection(outcome.projection, selected);
    projection_->setCurrentImage(imageView_->poolIndex());
    for (size_t i = 0; i < outcome.failures.size(); ++i)
        if (!outcome.failures[i].isEmpty() && outcome.extractionRan)
            log(skippedImageLine((*outcome.pool.entries)[i].path, outcome.failures[i]));
    issues_->reportFailures(outcome);
    const QString how = outcome.extractionRan
                            ? tr("%1 extracted, %2 from the store")
                                  .arg(outcome.extraction.extracted)
                                  .arg(outcome.extraction.reused)
                            : tr("patterns and selection from the store, no network");
    const RunParameters& p = outcome.parameters;
    log(tr("Selected %1 of %2 images (%3) in %4 s; tau %5, K %6, eps %7, %8, budget %9, seed %10")
            .arg(outcome.picks.size())
            .arg(outcome.pool.size())
            .arg(how)
            .arg(outcome.seconds, 0, 'f', 2)
            .arg(p.tau)
            .arg(p.clusters)
            .arg(p.eps)
            .arg(p.strategy)
            .arg(p.budgetPercent ? QStringLiteral("%1%").arg(p.budget) : QString::number(p.budget))
            .arg(p.seed));
    status_->showStore(outcome.storeFolder);
    status_->showMessage(tr("Selected %1 of %2 images (%3)")
                             .arg(outcome.picks.size())
                             .arg(outcome.pool.size())
                             .arg(how));
    // Rank 1 opens unless the user picked an image of this pool to look at: that one stays.
    if (!outcome.picks.empty() && (!userChoseImage_ || imageView_->poolIndex() < 0)) {
        showingRankOne_ = true;
        browser_->showImage(outcome.picks.front());
        showingRankOne_ = false;
    } else if (imageView_->poolIndex() >= 0) {
        showImage(imageView_->poolIndex());
    }
    setProjectDirty(true); // a new selection, not in the project yet
    onRunEnded();
    Q_EMIT runFinished();
}

void MainWindow::resetStore() {
    if (running_ || !hasOutcome_) {
        onRunFailed(tr("Reset feature store: run a selection first (and let it finish); the store "
                       "of that run is the one reset."));
        return;
    }
    const QString folder = outcome_.storeFolder;
    if (storeResetQuestion_ && !storeResetQuestion_(folder))
        return;
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, folder] { worker->resetStore(folder); }, Qt::QueuedConnection);
}

void MainWindow::onStoreReset(const QString& folder, const QString& error) {
    if (!error.isEmpty()) {
        onRunFailed(tr("Reset feature store: %1").arg(error));
        return;
    }
    hasOutcome_ = false;
    status_->showStore(QString());
    log(tr("Deleted the feature store %1; the next run extracts every image again").arg(folder));
    Q_EMIT storeWasReset();
}

void MainWindow::onRunFailed(const QString& message) {
    lastError_ = message;
    log(tr("error: %1").arg(message));
    issues_->reportError(message);
    status_->showMessage(tr("Failed: %1").arg(message));
    if (running_)
        onRunEnded();
    auto* box =
        new QMessageBox(QMessageBox::Warning, tr("FreeSel Studio"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("errorBox"));
    box->open(); // window-modal, never blocks the event loop (or a test)
    Q_EMIT errorShown(message);
}

void MainWindow::onRunCancelled(const QString& stage) {
    if (superseded_)
        log(tr("Stopped during %1: the parameters changed, re-running").arg(stage));
    else
        log(tr("Cancelled during %1; the store keeps what was extracted").arg(stage));
    status_->showMessage(tr("Cancelled during %1").arg(stage));
    Q_EMIT runCancelled();
    onRunEnded();
}

void MainWindow::onRunEnded() {
    running_ = false;
    superseded_ = false;
    currentStage_.clear();
    params_->setRunning(false);
    status_->showRunning(false);
    Q_EMIT runEnded();
    if (rerunPending_) {
        rerunPending_ = false;
        RunParameters now = params_->parameters();
        browser_->applySearchScope(now);
        if (now.selectionKey() != running_params_.selectionKey())
            startRun();
    }
}

void MainWindow::showIssuePath(const QString& path) {
    const int poolIndex = browser_->model()->poolIndexOf(path);
    if (poolIndex >= 0)
        browser_->showImage(poolIndex); // selects it in the grid, which opens it in the view
    else
        statusBar()->showMessage(tr("Not in the pool (skipped): %1").arg(path), 15000);
}

void MainWindow::showImage(int poolIndex) {
    PoolModel* model = browser_->model();
    if (poolIndex < 0 || poolIndex >= model->poolSize())
        return;
    imageView_->showImage(poolIndex, model->entry(poolIndex).path, model->rankOf(poolIndex));
    projection_->setCurrentImage(poolIndex);
    requestWhyPicked(poolIndex);
}

void MainWindow::onDetail(const ImageDetail& detail) {
    mass_->setCurve(detail.mass, detail.parameters.tau, static_cast<int>(detail.kept.size()));
}

void MainWindow::exportSelection(const QString& format, const QString& path,
                                 const ExportOptions& options) {
    QMetaObject::invokeMethod(
        worker_,
        [worker = worker_, format, path, options] {
            worker->exportSelection(format, path, options);
        },
        Qt::QueuedConnection);
}

void MainWindow::openExportDialog() {
    if (!hasOutcome_) {
        onRunFailed(tr("Nothing to export yet: run a selection first (Ctrl+R)."));
        return;
    }
    ExportDialog dialog(this);
    QSettings settings;
    dialog.setFormat(
        settings.value(QStringLiteral("export/format"), QStringLiteral("txt")).toString());
    dialog.setOutputPath(settings.value(QStringLiteral("export/path")).toString());
    if (dialog.exec() != QDialog::Accepted)
        return;
    settings.setValue(QStringLiteral("export/format"), dialog.format());
    settings.setValue(QStringLiteral("export/path"), dialog.outputPath());
    exportSelection(dialog.format(), dialog.outputPath(), dialog.options());
}

void MainWindow::onExportFinished(const ExportResult& result) {
    if (result.ok()) {
        log(tr("Exported: %1").arg(result.value().join(QStringLiteral(", "))));
        statusBar()->showMessage(tr("Exported %1 file(s)").arg(result.value().size()), 8000);
    } else {
        onRunFailed(tr("Export failed: %1").arg(result.message()));
    }
    Q_EMIT exportFinished(result);
}

QString MainWindow::logText() const {
    return log_->toPlainText();
}

void MainWindow::log(const QString& line) {
    log_->appendPlainText(QTime::currentTime().toString(QStringLiteral("HH:mm:ss ")) + line);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    saveSettings();
    worker_->requestCancel();
    event->accept();
}

} // namespace freesel
