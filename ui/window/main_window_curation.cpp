// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's curation tools (docs/GUI.md, "Curation"): the full-size preview, the
// manual override (exclude, labelled, include again, labelled from a file, select the next N),
// "why was this picked" and the near-duplicates filter. Apart from the window's run logic.
#include "window/main_window.h"

#include "pool/pool_browser.h"
#include "pool/pool_marks.h"
#include "pool/pool_model.h"
#include "pool/pool_view_actions.h"
#include "viewer/image_preview.h"
#include "viewer/image_view.h"
#include "window/parameters_panel.h"
#include "window/run_status_bar.h"

#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenu>
#include <QMenuBar>
#include <QStatusBar>

namespace freesel {

void MainWindow::buildCuration() {
    connect(browser_->actions(), &PoolViewActions::previewRequested, this,
            &MainWindow::previewImage);
    connect(browser_->actions(), &PoolViewActions::markRequested, this, &MainWindow::markImages);
    // A pool that cannot be scanned on opening is said in the status bar and the log; Run
    // reports it as an error (once, in the message box and the Issues dock).
    connect(worker_, &PipelineWorker::scanFailed, this, [this](const QString& message) {
        log(tr("warning: %1").arg(message));
        status_->showMessage(tr("Cannot open the pool: %1").arg(message));
    });
    connect(browser_, &PoolBrowser::duplicatesRequested, worker_, &PipelineWorker::findDuplicates);
    connect(worker_, &PipelineWorker::duplicatesFound, this,
            [this](const PoolDuplicates& duplicates) {
                browser_->model()->setDuplicates(duplicates);
                if (!duplicates.error.isEmpty()) {
                    statusBar()->showMessage(duplicates.error, 10000);
                    return;
                }
                size_t images = 0;
                for (const auto& group : duplicates.groups)
                    images += group.size();
                statusBar()->showMessage(tr("%1 groups of near-duplicates (%2 images, cosine >= "
                                            "%3); the first of each group is the one to keep")
                                             .arg(duplicates.groups.size())
                                             .arg(images)
                                             .arg(duplicates.threshold),
                                         10000);
            });
    connect(worker_, &PipelineWorker::pickExplained, this, [this](const WhyPicked& why) {
        if (why.poolIndex != imageView_->poolIndex())
            return; // the user moved on
        PoolModel* model = browser_->model();
        imageView_->setWhyPicked(describeWhyPicked(why, [model](int poolIndex) {
            return QFileInfo(model->entry(poolIndex).relativePath).fileName();
        }));
    });
    connect(params_, &ParametersPanel::parametersChanged, this, [this] {
        const RunParameters p = params_->parameters();
        browser_->model()->setMarks(ManualMarks::of(p));
    });

    auto* curate = new QMenu(tr("&Curate"), this);
    menuBar()->insertMenu(menuBar()->actions().last(), curate); // before Help
    curate->addAction(browser_->actions()->previewAction());
    curate->addAction(browser_->actions()->excludeAction());
    curate->addAction(browser_->actions()->labelledAction());
    curate->addAction(browser_->actions()->includeAction());
    curate->addSeparator();
    curate->addAction(tr("Mark as labelled from a &file..."), this, [this] {
        const QString file =
            QFileDialog::getOpenFileName(this, tr("Images already labelled"), {},
                                         tr("Path lists (*.txt *.csv *.lst);;All files (*)"));
        if (!file.isEmpty())
            markLabelledFromFile(file);
    });
    curate->addAction(tr("Select the &next N..."), QKeySequence(tr("Ctrl+N")), this, [this] {
        bool ok = false;
        const int n = QInputDialog::getInt(
            this, tr("Select the next N"),
            tr("The images selected now are marked as labelled; how many new images?"),
            static_cast<int>(params_->parameters().budget), 1, 100000000, 1, &ok);
        if (ok)
            selectNext(n);
    });
    curate->addAction(tr("&Clear all marks"), this, [this] { params_->setMarks(ManualMarks()); });
}

void MainWindow::previewImage(int poolIndex) {
    PoolModel* model = browser_->model();
    if (poolIndex < 0 || poolIndex >= model->poolSize())
        return;
    if (!preview_)
        preview_ = new ImagePreview(this);
    const PoolEntry& entry = model->entry(poolIndex);
    const int rank = model->rankOf(poolIndex);
    preview_->showFile(entry.path, rank > 0 ? tr("%1 (rank %2)").arg(entry.relativePath).arg(rank)
                                            : entry.relativePath);
    preview_->show();
    preview_->raise();
}

void MainWindow::markImages(const QList<int>& poolIndices, PoolMark mark) {
    PoolModel* model = browser_->model();
    QStringList paths;
    for (int i : poolIndices)
        if (i >= 0 && i < model->poolSize())
            paths.append(model->entry(i).path);
    ManualMarks marks = ManualMarks::of(params_->parameters());
    applyMark(marks, paths, mark);
    params_->setMarks(marks);
    const QString what = mark == PoolMark::None       ? tr("unmarked")
                         : mark == PoolMark::Excluded ? tr("excluded")
                         : mark == PoolMark::Included ? tr("included by hand")
                                                      : tr("marked as labelled");
    log(tr("%1 image(s) %2; %3 labelled, %4 excluded and %5 included in all")
            .arg(paths.size())
            .arg(what)
            .arg(marks.labelled.size())
            .arg(marks.excluded.size())
            .arg(marks.included.size()));
}

bool MainWindow::markLabelledFromFile(const QString& file) {
    QStringList paths, unmatched;
    QString error;
    if (!readPoolPathList(file, browser_->model()->snapshot(), &paths, &unmatched, &error)) {
        onRunFailed(error);
        return false;
    }
    ManualMarks marks = ManualMarks::of(params_->parameters());
    applyMark(marks, paths, PoolMark::Labelled);
    params_->setMarks(marks);
    log(tr("%1: %2 images marked as labelled").arg(file).arg(paths.size()));
    if (!unmatched.isEmpty())
        log(tr("%1: %2 lines name no image of the pool (first: %3)")
                .arg(file)
                .arg(unmatched.size())
                .arg(unmatched.first()));
    statusBar()->showMessage(tr("%1 images marked as labelled, %2 lines not in the pool")
                                 .arg(paths.size())
                                 .arg(unmatched.size()),
                             10000);
    return true;
}

void MainWindow::selectNext(int count) {
    if (!hasOutcome_) {
        onRunFailed(tr("Select the next N: run a selection first (Ctrl+R)."));
        return;
    }
    QStringList picked;
    for (int pick : outcome_.picks)
        picked.append((*outcome_.pool.entries)[static_cast<size_t>(pick)].path);
    RunParameters p = params_->parameters();
    ManualMarks marks = ManualMarks::of(p);
    applyMark(marks, picked, PoolMark::Labelled);
    marks.writeTo(p);
    p.budget = count;
    p.budgetPercent = false;
    log(tr("Next round: %1 selected images marked as labelled, selecting %2 more")
            .arg(picked.size())
            .arg(count));
    params_->setParameters(p);
    startRun();
}

void MainWindow::requestWhyPicked(int poolIndex) {
    imageView_->setWhyPicked(QString());
    if (!hasOutcome_ || browser_->model()->rankOf(poolIndex) == 0)
        return;
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, poolIndex] { worker->explainPick(poolIndex); },
        Qt::QueuedConnection);
}

} // namespace freesel
