// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/demo_mode.h"

#include "image/demo_pool.h"
#include "pool/pool_browser.h"
#include "viewer/image_view.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QApplication>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextStream>
#include <QTimer>

namespace freesel {

QString startDemo(MainWindow& window, const QString& root) {
    const DemoFolders demo = demoFolders(root);
    const QString error = ensureDemoPool(demo);
    if (!error.isEmpty())
        return error;
    // The CLI demo's parameters exactly, not the last session's: both show the same picks.
    RunParameters p;
    p.source = demo.pool();
    p.backend = QStringLiteral("offline");
    p.budget = kDemoBudget;
    p.budgetPercent = false;
    p.storeDir = demo.store();
    window.setWeightsPromptEnabled(false);
    window.setAutoRerun(true);
    window.parametersPanel()->setParameters(p);
    window.openPool(p.source);
    OverlayOptions overlays = window.imageView()->overlayOptions();
    overlays.clusters = true;
    overlays.mask = true;
    overlays.heatmap = false; // the patterns read best without the heatmap under them
    window.imageView()->setOverlayOptions(overlays);
    window.plotTabs()->setCurrentIndex(0); // coverage against random
    QObject::connect(&window, &MainWindow::runFinished, &window, [&window] {
        const RunOutcome& outcome = window.lastOutcome();
        if (!outcome.picks.empty())
            window.poolBrowser()->showImage(outcome.picks.front());
        window.statusBar()->showMessage(
            // Short enough for the status bar beside the backend labels at 1,250 px.
            QObject::tr("Demo: %1 of %2 scenes picked offline (no weights: no better than random "
                        "on meaning). For DINO: freesel models download dino_vits16, then "
                        "Backend auto.")
                .arg(outcome.picks.size())
                .arg(outcome.pool.size()));
    });
    QTimer::singleShot(0, &window, &MainWindow::startRun);
    return QString();
}

void printSelectionAndQuit(MainWindow& window) {
    QObject::connect(&window, &MainWindow::runFinished, &window, [&window] {
        const RunOutcome& outcome = window.lastOutcome();
        QTextStream out(stdout);
        out << "backend " << outcome.backend.name << '\n';
        for (size_t r = 0; r < outcome.picks.size(); ++r)
            out << (r + 1) << ' '
                << (*outcome.pool.entries)[static_cast<size_t>(outcome.picks[r])].path << '\n';
        out.flush();
        window.setSaveQuestion({}); // quitting closes the window: no question to block it
        QTimer::singleShot(0, qApp, &QCoreApplication::quit);
    });
    // Any error, of a run or before one starts (no pool, a bad parameter): say why, exit 1.
    QObject::connect(&window, &MainWindow::errorShown, &window, [](const QString& message) {
        QTextStream(stderr) << "freesel-studio: " << message << '\n';
        QTimer::singleShot(0, qApp, [] { QCoreApplication::exit(1); });
    });
}

} // namespace freesel
