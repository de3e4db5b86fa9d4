// SPDX-License-Identifier: GPL-3.0-or-later
// The Studio runs the elfs strategy: picked in the parameter panel (its box appears), run on
// the worker thread, and the picks equal the core's selectElfs on the same store and seed.
#include "image/demo_pool.h"
#include "pipeline_session.h"
#include "plots/cluster_sizes_plot.h"
#include "plots/training_curve_plot.h"
#include "pool/pool_browser.h"
#include "pool/pool_model.h"
#include "support/run_watcher.h"
#include "window/elfs_panel.h"
#include "window/elfs_parameters_box.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QApplication>
#include <QComboBox>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace freesel;

namespace {
const int kRunTimeout = 300000;
}

class TestUiElfs : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void elfsRunMatchesCore() {
        QTemporaryDir dir;
        const QString pool = dir.filePath(QStringLiteral("pool"));
        const QString store = dir.filePath(QStringLiteral("store"));
        QCOMPARE(writeDemoPool(pool, 20, 11), QString());
        RunParameters p;
        p.source = pool;
        p.backend = QStringLiteral("offline");
        p.budget = 5;
        p.seed = 4;
        p.storeDir = store;
        MainWindow window;
        uitest::RunWatcher runs(window);
        window.setWeightsPromptEnabled(false);
        window.parametersPanel()->setParameters(p);
        window.openPool(pool);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        ParametersPanel* panel = window.parametersPanel();
        QVERIFY(!panel->elfsBox()->isVisible());
        panel->strategyBox()->setCurrentIndex(
            panel->strategyBox()->findData(QStringLiteral("elfs")));
        QVERIFY(panel->elfsBox()->isVisible());
        panel->elfsBox()->clustersBox()->setValue(3);
        panel->elfsBox()->epochsBox()->setValue(4);
        QComboBox* clusterer = panel->elfsBox()->clustererBox();
        clusterer->setCurrentIndex(clusterer->findData(QStringLiteral("temi")));
        QCOMPARE(panel->parameters().elfsClusterer, QStringLiteral("temi"));
        clusterer->setCurrentIndex(clusterer->findData(QStringLiteral("kmeans")));
        const RunParameters chosen = panel->parameters();
        QCOMPARE(chosen.strategy, QStringLiteral("elfs"));
        QCOMPARE(chosen.elfsClusters, 3);
        QCOMPARE(chosen.elfsEpochs, 4);
        QCOMPARE(chosen.elfsBeta, -1.0); // auto
        QCOMPARE(chosen.elfsClusterer, QStringLiteral("kmeans"));

        QTest::mouseClick(panel->runButton(), Qt::LeftButton);
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        const RunOutcome& outcome = window.lastOutcome();
        QCOMPARE(int(outcome.picks.size()), 5);

        // The core on the same store, parameters and seed (the window keeps the store open
        // for writing, so read it directly).
        const PoolScan scan = scanPool(pool);
        FeatureStore features;
        QVERIFY(features.openForReading(store));
        const std::vector<int> records = storeRecordsFor(scan.entries, features);
        const PoolPatterns patterns =
            computePatterns(features, records, chosen.patternParameters(), chosen.seed, 0);
        SelectionRequest request;
        request.budget = 5;
        request.seed = chosen.seed;
        ElfsResult elfs;
        const SelectionResult expected =
            selectElfs(features, patterns, request, chosen.elfsParameters(), elfs);
        QCOMPARE(int(expected.picks.size()), 5);
        for (size_t r = 0; r < 5; ++r)
            QCOMPARE(outcome.picks[r], expected.picks[r].image);
        QCOMPARE(int(elfs.pseudoLabels.size()), 20);
        checkElfsPanel(window, elfs);
    }

private:
    /// The ELFS tab after the run: live curves, cluster sizes, the histogram's cut and window,
    /// and the thumbnails' cluster colours, against the core's result.
    static void checkElfsPanel(MainWindow& window, const ElfsResult& elfs) {
        ElfsPanel* panel = window.elfsPanel();
        QCOMPARE(window.plotTabs()->currentWidget(), panel); // shown while it trains
        QCOMPARE(panel->liveEpochs(), 4);                    // one trainingEpoch per proxy epoch
        QCOMPARE(panel->curves()->epochCount(), 4);
        std::vector<int> sizes(3, 0);
        for (int label : elfs.pseudoLabels)
            ++sizes[size_t(label)];
        sizes.resize(
            size_t(*std::max_element(elfs.pseudoLabels.begin(), elfs.pseudoLabels.end()) + 1));
        QCOMPARE(panel->clusterSizes()->sizes(), sizes);
        ScoreHistogramPlot* histogram = panel->histogram();
        QCOMPARE(histogram->countedImages(), 20);
        QCOMPARE(histogram->countedKept(), 5);
        // r = 5/20: default beta 0.45, m = 9 dropped: a cut, then the window of the 5 kept.
        QVERIFY(histogram->cutShown());
        QVERIFY(histogram->windowShown());
        const ScoreHistogram h =
            elfsHistogram(window.lastOutcome().elfs, window.lastOutcome().parameters);
        QCOMPARE(h.windowLow, *std::min_element(h.kept.begin(), h.kept.end()));
        QCOMPARE(h.windowHigh, *std::max_element(h.kept.begin(), h.kept.end()));
        QVERIFY(h.cut < h.windowLow);
        QCOMPARE(
            int(std::count_if(h.all.begin(), h.all.end(), [&](double a) { return a < h.cut; })), 9);
        PoolModel* model = window.poolBrowser()->model();
        const std::vector<int>& usable = window.lastOutcome().usableIndex;
        for (int row = 0; row < model->rowCount(); ++row) {
            const int poolIndex = model->poolIndexAt(row);
            QCOMPARE(model->index(row).data(PoolModel::PseudoLabelRole).toInt(),
                     elfs.pseudoLabels[size_t(usable[size_t(poolIndex)])]);
        }
    }
};

QTEST_MAIN(TestUiElfs)
#include "test_ui_elfs.moc"
