// SPDX-License-Identifier: GPL-3.0-or-later
// The Studio's command line and start-up (app/freesel_studio_main.cpp is only main()).
#include "window/studio_launcher.h"

#include "pool/pool_browser.h"
#include "util/version.h"
#include "viewer/image_view.h"
#include "window/compare_panel.h"
#include "window/demo_mode.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QPushButton>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace {

/// --help and --version need no display: they are answered by a QCoreApplication, before a
/// QApplication would try to connect to one (and abort without it).
bool asksOnlyForHelpOrVersion(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const QByteArray argument(argv[i]);
        if (argument == "-h" || argument == "--help" || argument == "--help-all" ||
            argument == "-?" || argument == "-v" || argument == "--version")
            return true;
    }
    return false;
}

/// "N" images or "P%" of the pool, as the CLI's --budget; false when it is neither.
bool applyBudget(const QString& text, freesel::RunParameters& p) {
    bool ok = false;
    const bool percent = text.endsWith(QLatin1Char('%'));
    const double value = (percent ? text.chopped(1) : text).toDouble(&ok);
    if (!ok || value <= 0 || (percent && value > 100))
        return false;
    p.budget = value;
    p.budgetPercent = percent;
    return true;
}

} // namespace

namespace freesel {

int runStudio(int argc, char** argv) {
    std::unique_ptr<QCoreApplication> application;
    if (asksOnlyForHelpOrVersion(argc, argv))
        application = std::make_unique<QCoreApplication>(argc, argv);
    else
        application = std::make_unique<QApplication>(argc, argv);
    QCoreApplication& app = *application;
    QCoreApplication::setOrganizationName(QStringLiteral("FreeSel"));
    QCoreApplication::setApplicationName(QStringLiteral("FreeSel Studio"));
    QCoreApplication::setApplicationVersion(applicationVersion());
    // Lets Wayland and X11 desktops match the window to the installed desktop entry and icon
    // (packaging/CMakeLists.txt, FREESEL_APP_ID).
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.freesel.Studio"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Select the images of a pool most worth annotating."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption open(QStringLiteral("open"),
                                  QStringLiteral("Open a pool (folder, list file or COCO json)."),
                                  QStringLiteral("POOL"));
    const QCommandLineOption project(QStringLiteral("project"),
                                     QStringLiteral("Open a .freesel project."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption run(QStringLiteral("run"),
                                 QStringLiteral("Start the selection at once (no weights prompt: "
                                                "auto falls back to the offline backend)."));
    const QCommandLineOption budget(
        QStringLiteral("budget"),
        QStringLiteral("Images to select: a count, or a percentage like 10%."),
        QStringLiteral("N|P%"));
    const QCommandLineOption overlays(
        QStringLiteral("overlays"),
        QStringLiteral("Overlays to start with, comma separated: heatmap, mask, clusters."),
        QStringLiteral("LIST"));
    const QCommandLineOption tab(QStringLiteral("tab"),
                                 QStringLiteral("Bottom tab to show: 0 coverage, 1 patterns, "
                                                "2 attention mass, 3 log, 4 compare."),
                                 QStringLiteral("N"));
    const QCommandLineOption image(QStringLiteral("image-rank"),
                                   QStringLiteral("After the run, show the image of this rank."),
                                   QStringLiteral("R"));
    const QCommandLineOption demo(
        QStringLiteral("demo"),
        QStringLiteral("Open the embedded demo pool (written to the user cache once) and run "
                       "the demo selection on the offline backend, as freesel demo does."));
    const QCommandLineOption printSelection(
        QStringLiteral("print-selection"),
        QStringLiteral("When the run finishes, print \"RANK PATH\" per pick and quit."));
    const QCommandLineOption compare(
        QStringLiteral("compare"),
        QStringLiteral("After the run, compare the strategies with the Compare tab's settings "
                       "and show that tab."));
    parser.addOptions(
        {open, project, run, budget, overlays, tab, image, demo, printSelection, compare});
    parser.process(app);

    MainWindow window;
    if (parser.isSet(printSelection))
        printSelectionAndQuit(window);
    if (parser.isSet(project))
        window.openProject(parser.value(project));
    if (parser.isSet(open))
        window.parametersPanel()->setSource(parser.value(open));
    if (parser.isSet(budget)) {
        RunParameters p = window.parametersPanel()->parameters();
        if (!applyBudget(parser.value(budget), p)) {
            std::fprintf(stderr,
                         "freesel-studio: --budget must be a count > 0 or a percentage in "
                         "(0%%, 100%%], got '%s'\n",
                         qPrintable(parser.value(budget)));
            return 2;
        }
        window.parametersPanel()->setParameters(p);
    }
    if (parser.isSet(overlays)) {
        const QStringList names = parser.value(overlays).split(QLatin1Char(','));
        OverlayOptions chosen = window.imageView()->overlayOptions();
        chosen.heatmap = names.contains(QStringLiteral("heatmap"));
        chosen.mask = names.contains(QStringLiteral("mask"));
        chosen.clusters = names.contains(QStringLiteral("clusters"));
        window.imageView()->setOverlayOptions(chosen);
    }
    if (parser.isSet(tab))
        window.plotTabs()->setCurrentIndex(parser.value(tab).toInt());
    if (parser.isSet(image)) {
        const int rank = parser.value(image).toInt();
        QObject::connect(&window, &MainWindow::runFinished, &window, [&window, rank] {
            const auto& picks = window.lastOutcome().picks;
            if (rank >= 1 && rank <= static_cast<int>(picks.size()))
                window.poolBrowser()->showImage(picks[static_cast<size_t>(rank - 1)]);
        });
    }
    if (parser.isSet(compare))
        QObject::connect(&window, &MainWindow::runFinished, &window, [&window] {
            window.plotTabs()->setCurrentWidget(window.comparePanel());
            window.comparePanel()->runButton()->click();
        });
    window.show();
    if (parser.isSet(demo)) {
        const QString error = startDemo(window);
        if (!error.isEmpty()) {
            std::fprintf(stderr, "freesel-studio: %s\n", qPrintable(error));
            return 1;
        }
    } else if (parser.isSet(run)) {
        window.setWeightsPromptEnabled(false);
        QTimer::singleShot(0, &window, &MainWindow::startRun);
    }
    return QApplication::exec();
}

} // namespace freesel
