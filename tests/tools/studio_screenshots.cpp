// SPDX-License-Identifier: GPL-3.0-or-later
// Writes the curation screenshots of docs/GUI.md: studio_screenshots POOL OUTDIR runs the
// offline backend on POOL in a MainWindow and grabs it after each step (why-picked, zoom,
// near-duplicates, marks and the store in the status bar). Run it under Xvfb (or offscreen):
//   xvfb-run -a build/tests/studio_screenshots /work/shared/datasets/coco128/train2017 docs
#include "pool/pool_browser.h"
#include "pool/pool_model.h"
#include "support/run_watcher.h"
#include "viewer/image_canvas.h"
#include "viewer/image_view.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QTabWidget>
#include <QTest>

#include <cstdio>

using namespace freesel;

namespace {

bool save(QWidget& window, const QString& file) {
    QTest::qWait(600); // thumbnails and the detail land
    const bool ok = window.grab().save(file);
    std::printf("%s %s\n", ok ? "wrote" : "could not write", qPrintable(file));
    return ok;
}

/// Spins the event loop until `done` or the timeout; false on the timeout.
template <typename Done> bool waitFor(Done done, int timeoutMs) {
    return QTest::qWaitFor(done, timeoutMs);
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("freesel-screenshots"));
    if (argc != 3) {
        std::fprintf(stderr, "usage: studio_screenshots POOL OUTDIR\n");
        return 2;
    }
    const QString pool = QString::fromLocal8Bit(argv[1]), out = QString::fromLocal8Bit(argv[2]);
    MainWindow window;
    uitest::RunWatcher runs(window);
    window.setWeightsPromptEnabled(false);
    window.setAutoRerun(false);
    window.setSaveQuestion([] { return 0; });
    window.resize(1500, 950);
    RunParameters p;
    p.source = pool;
    p.backend = QStringLiteral("offline");
    p.budget = 12;
    window.parametersPanel()->setParameters(p);
    window.show();
    window.openPool(pool);
    window.startRun();
    if (!runs.waitForFinished(1, 600000)) {
        std::fprintf(stderr, "run failed: %s\n", qPrintable(window.lastError()));
        return 1;
    }
    const RunOutcome outcome = window.lastOutcome();
    PoolBrowser* browser = window.poolBrowser();
    // Why picked: rank 4, with its D, farthest pattern and nearest selected image.
    browser->showImage(outcome.picks.at(3));
    waitFor([&] { return !window.imageView()->whyPickedText().isEmpty(); }, 20000);
    bool ok = save(window, out + QStringLiteral("/studio-why-picked.png"));
    // Zoom: x3 about the centre of the image, dragged a little.
    ImageCanvas* canvas = window.imageView()->canvas();
    canvas->zoomBy(3.0, QPointF(canvas->width() / 2.0, canvas->height() / 2.0));
    canvas->panBy(QPointF(-40, 20));
    ok = save(window, out + QStringLiteral("/studio-zoom.png")) && ok;
    canvas->fitToWindow();
    // Marks: two excluded, two labelled, two included by hand, then a re-run that honours
    // them; the status bar names the store and its size.
    window.markImages({outcome.picks.at(5), outcome.picks.at(6)}, PoolMark::Excluded);
    window.markImages({outcome.picks.at(7), outcome.picks.at(8)}, PoolMark::Labelled);
    QList<int> unpicked;
    for (int i = 0; i < browser->model()->poolSize() && unpicked.size() < 2; ++i)
        if (browser->model()->rankOf(i) == 0)
            unpicked << i;
    window.markImages(unpicked, PoolMark::Included);
    window.startRun();
    if (!runs.waitForFinished(2, 600000)) {
        std::fprintf(stderr, "re-run failed: %s\n", qPrintable(window.lastError()));
        return 1;
    }
    browser->showImage(unpicked.at(0));
    waitFor([&] { return !window.imageView()->whyPickedText().isEmpty(); }, 20000);
    ok = save(window, out + QStringLiteral("/studio-marks-store.png")) && ok;
    // Near-duplicates: the filter on, threshold 0.97.
    browser->duplicateThresholdBox()->setValue(0.97);
    browser->filterBox()->setCurrentIndex(
        browser->filterBox()->findData(int(PoolModel::Filter::Duplicates)));
    waitFor([&] { return browser->model()->duplicates().threshold == 0.97; }, 20000);
    if (browser->model()->rowCount() > 0)
        browser->showImage(browser->model()->poolIndexAt(0));
    ok = save(window, out + QStringLiteral("/studio-duplicates.png")) && ok;
    return ok ? 0 : 1;
}
