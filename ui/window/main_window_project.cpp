// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's project state (docs/GUI.md, "Projects"): the window title with the pool
// and project, unsaved changes and the question before quitting, the selection a project
// keeps and shows again without re-running, saving and opening projects, and the settings
// (window, parameters, overlays, recent pools) saved as they change.
#include "window/main_window.h"

#include "pool/pool_browser.h"
#include "pool/pool_model.h"
#include "viewer/image_view.h"
#include "window/parameters_panel.h"
#include "window/project_file.h"
#include "window/run_status_bar.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

#include <cmath>

namespace freesel {

void MainWindow::buildProjectState() {
    settingsTimer_.setSingleShot(true);
    settingsTimer_.setInterval(1000); // a burst of changes is one write
    connect(&settingsTimer_, &QTimer::timeout, this, &MainWindow::saveSettings);
    connect(params_, &ParametersPanel::parametersChanged, this, [this] {
        settingsTimer_.start();
        if (!loadingProject_ && !params_->parameters().source.isEmpty())
            setProjectDirty(true);
        updateTitle();
    });
    saveQuestion_ = [this] {
        return QMessageBox::question(
            this, tr("Save the project?"),
            tr("The parameters, marks or selection changed since the project was last saved. "
               "Save them before quitting?"),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    };
    updateTitle();
}

void MainWindow::updateTitle() {
    const QString source = params_->parameters().source;
    QString title = tr("FreeSel Studio");
    if (!source.isEmpty()) {
        const QString name = QFileInfo(source).fileName();
        title = QStringLiteral("%1 \u2014 %2").arg(name.isEmpty() ? source : name, title);
    }
    if (!projectPath_.isEmpty())
        title = QStringLiteral("%1 (%2)").arg(title, QFileInfo(projectPath_).fileName());
    setWindowTitle(title + QStringLiteral("[*]"));
    setWindowModified(projectDirty_);
}

void MainWindow::setProjectDirty(bool dirty) {
    projectDirty_ = dirty;
    updateTitle();
}

std::vector<ProjectPick> MainWindow::projectSelection() const {
    std::vector<ProjectPick> picks;
    // Only a selection of the parameters being saved: a stale one would reopen as theirs.
    if (!hasOutcome_ || outcome_.parameters.selectionKey() != params_->parameters().selectionKey())
        return picks;
    for (size_t r = 0; r < outcome_.picks.size(); ++r)
        picks.push_back({(*outcome_.pool.entries)[static_cast<size_t>(outcome_.picks[r])].path,
                         r < outcome_.scores.size() ? outcome_.scores[r] : std::nan("")});
    return picks;
}

void MainWindow::showProjectSelection() {
    if (projectSelection_.empty() || hasOutcome_)
        return;
    PoolModel* model = browser_->model();
    QHash<QString, int> indexOf;
    for (int i = 0; i < model->poolSize(); ++i)
        indexOf.insert(model->entry(i).path, i);
    RunOutcome shown;
    shown.parameters = params_->parameters();
    shown.pool = model->snapshot();
    const size_t n = static_cast<size_t>(model->poolSize());
    shown.failures.assign(n, QString());
    shown.patternCounts.assign(n, 0);
    int missing = 0;
    for (const ProjectPick& pick : projectSelection_) {
        const int i = indexOf.value(pick.path, -1);
        if (i < 0) {
            ++missing;
            continue;
        }
        shown.picks.push_back(i);
        shown.scores.push_back(pick.score);
    }
    projectSelection_.clear();
    model->setOutcome(shown);
    log(tr("The project's selection: %1 images shown as saved%2; Run recomputes the plots and "
           "overlays from the store")
            .arg(shown.picks.size())
            .arg(missing ? tr(" (%1 no longer in the pool)").arg(missing) : QString()));
    status_->showMessage(tr("Selection of the project: %1 images (as saved; Run for the plots)")
                             .arg(shown.picks.size()));
    if (!shown.picks.empty())
        browser_->showImage(shown.picks.front());
}

bool MainWindow::maybeSave() {
    if (!projectDirty_ || !saveQuestion_)
        return true;
    switch (saveQuestion_()) {
    case QMessageBox::Save: {
        QString path = projectPath_;
        if (path.isEmpty())
            path = QFileDialog::getSaveFileName(this, tr("Save project"), {},
                                                tr("FreeSel projects (*.freesel)"));
        if (path.isEmpty())
            return false;
        if (!path.endsWith(QStringLiteral(".freesel")))
            path += QStringLiteral(".freesel");
        return saveProject(path);
    }
    case QMessageBox::Discard:
        return true;
    default:
        return false;
    }
}

bool MainWindow::saveProject(const QString& path) {
    ProjectFile project;
    // The store stays as the user set it: empty means the pool's own default store, which the
    // pipeline session derives again from the pool and backend. Writing the resolved folder
    // here pinned the first pool's store to the project, so a second pool opened in it wrote
    // its features there.
    project.parameters = params_->parameters();
    project.selection = projectSelection();
    QString error;
    if (!project.save(path, &error)) {
        onRunFailed(error);
        return false;
    }
    log(tr("Saved project %1 (%2 selected images)").arg(path).arg(project.selection.size()));
    projectPath_ = path;
    setProjectDirty(false);
    return true;
}

bool MainWindow::openProject(const QString& path) {
    ProjectFile project;
    QString error;
    if (!project.load(path, &error)) {
        onRunFailed(error);
        return false;
    }
    hasOutcome_ = false;
    loadingProject_ = true;
    params_->setParameters(project.parameters);
    loadingProject_ = false;
    projectPath_ = path;
    projectSelection_ = project.selection;
    log(tr("Opened project %1").arg(path));
    openPool(project.parameters.source); // scans it; the saved selection shows once scanned
    setProjectDirty(false);
    return true;
}

void MainWindow::rememberPool(const QString& source) {
    recentPools_.removeAll(source);
    recentPools_.prepend(source);
    while (recentPools_.size() > 10)
        recentPools_.removeLast();
    params_->setRecentPools(recentPools_);
    QSettings().setValue(QStringLiteral("pools/recent"), recentPools_); // kept if killed
}

void MainWindow::loadSettings() {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    recentPools_ = settings.value(QStringLiteral("pools/recent")).toStringList();
    params_->setRecentPools(recentPools_);
    const QByteArray json = settings.value(QStringLiteral("parameters/last")).toByteArray();
    if (!json.isEmpty()) {
        RunParameters p = RunParameters::fromJson(QJsonDocument::fromJson(json).object());
        p.source.clear(); // a pool is opened explicitly (recent list, project or --open)
        params_->setParameters(p);
    }
    OverlayOptions overlays;
    overlays.heatmap = settings.value(QStringLiteral("overlay/heatmap"), false).toBool();
    overlays.mask = settings.value(QStringLiteral("overlay/mask"), true).toBool();
    overlays.clusters = settings.value(QStringLiteral("overlay/clusters"), true).toBool();
    overlays.opacity = settings.value(QStringLiteral("overlay/opacity"), 0.55).toDouble();
    imageView_->setOverlayOptions(overlays);
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("pools/recent"), recentPools_);
    settings.setValue(QStringLiteral("parameters/last"),
                      QJsonDocument(params_->parameters().toJson()).toJson(QJsonDocument::Compact));
    const OverlayOptions& overlays = imageView_->overlayOptions();
    settings.setValue(QStringLiteral("overlay/heatmap"), overlays.heatmap);
    settings.setValue(QStringLiteral("overlay/mask"), overlays.mask);
    settings.setValue(QStringLiteral("overlay/clusters"), overlays.clusters);
    settings.setValue(QStringLiteral("overlay/opacity"), overlays.opacity);
}

} // namespace freesel
