// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's menus (docs/GUI.md, "Keyboard"), apart from the window's run logic.
#include "window/main_window.h"

#include "plots/attention_mass_plot.h"
#include "plots/coverage_plot.h"
#include "plots/projection_plot.h"
#include "pool/pool_browser.h"
#include "util/torch_info.h"
#include "util/version.h"
#include "viewer/image_view.h"
#include "window/help_menu.h"
#include "window/issues_dock.h"
#include "window/parameters_panel.h"
#include "window/shortcut_priority.h"
#include "window/theme.h"

#include <QAction>
#include <QApplication>
#include <QFileDialog>
#include <QKeySequence>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QTabWidget>

namespace freesel {

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open &folder..."), QKeySequence::Open, params_,
                    &ParametersPanel::browseFolder);
    file->addAction(tr("Open &list file..."), params_, &ParametersPanel::browseListFile);
    file->addAction(tr("Open &COCO json..."), params_, &ParametersPanel::browseCocoJson);
    file->addSeparator();
    file->addAction(tr("Open &project..."), QKeySequence(tr("Ctrl+Shift+O")), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open project"), {},
                                                          tr("FreeSel projects (*.freesel)"));
        if (!path.isEmpty())
            openProject(path);
    });
    file->addAction(tr("&Save project..."), QKeySequence::Save, this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Save project"), {},
                                                    tr("FreeSel projects (*.freesel)"));
        if (path.isEmpty())
            return;
        if (!path.endsWith(QStringLiteral(".freesel")))
            path += QStringLiteral(".freesel");
        saveProject(path);
    });
    file->addAction(tr("&Export selection..."), QKeySequence(tr("Ctrl+E")), this,
                    &MainWindow::openExportDialog);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(tr("&Run selection"), QKeySequence(tr("Ctrl+R")), this, &MainWindow::startRun);
    run->addAction(tr("&Cancel"), QKeySequence(Qt::Key_Escape), this, &MainWindow::cancelRun);
    run->addAction(tr("Reset feature &store..."), this, &MainWindow::resetStore);
    run->addAction(tr("Reset parameters to &defaults"), params_, &ParametersPanel::resetToDefaults);
    QMenu* presets = run->addMenu(tr("Task &preset"));
    presets->addAction(tr("&Detection"), this,
                       [this] { params_->applyPreset(TaskPreset::Detection); });
    presets->addAction(tr("&Segmentation"), this,
                       [this] { params_->applyPreset(TaskPreset::Segmentation); });
    presets->addAction(tr("&Classification"), this,
                       [this] { params_->applyPreset(TaskPreset::Classification); });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("Find image by name"), QKeySequence::Find, this, [this] {
        browser_->searchField()->setFocus();
        browser_->searchField()->selectAll();
    });
    for (int tab = 0; tab < 4; ++tab)
        view->addAction(tabs_->tabText(tab), QKeySequence(QStringLiteral("Ctrl+%1").arg(tab + 1)),
                        this, [this, tab] { tabs_->setCurrentIndex(tab); });
    view->addSeparator();
    view->addAction(issues_->toggleViewAction());
    QAction* dark = view->addAction(tr("&Dark theme"));
    dark->setObjectName(QStringLiteral("darkTheme"));
    dark->setCheckable(true);
    dark->setChecked(isDarkTheme());
    connect(dark, &QAction::toggled, this, [this](bool on) {
        applyTheme(on);
        QSettings().setValue(QStringLiteral("view/dark"), on);
    });
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    addHelpPages(help, this);
    help->addAction(tr("&About FreeSel Studio"), this, [this] {
        QMessageBox::about(this, tr("About FreeSel Studio"),
                           tr("<b>FreeSel Studio %1</b><p>Selects the images of an unlabeled "
                              "pool most worth annotating, in one pass of a self-supervised "
                              "vision transformer.</p><p>%2</p><p>%3</p>")
                               .arg(applicationVersion(), buildDescription().toHtmlEscaped(),
                                    torchDescription().toHtmlEscaped()));
    });
}

} // namespace freesel
