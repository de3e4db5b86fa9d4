// SPDX-License-Identifier: GPL-3.0-or-later
// The Studio runs the elfs strategy: picked in the parameter panel (its box appears), run on
// the worker thread, and the picks equal the core's selectElfs on the same store and seed.
#include "image/demo_pool.h"
#include "pipeline_session.h"
#include "support/run_watcher.h"
#include "window/elfs_parameters_box.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QApplication>
#include <QComboBox>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

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
        const RunParameters chosen = panel->parameters();
        QCOMPARE(chosen.strategy, QStringLiteral("elfs"));
        QCOMPARE(chosen.elfsClusters, 3);
        QCOMPARE(chosen.elfsEpochs, 4);
        QCOMPARE(chosen.elfsBeta, -1.0); // auto

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
    }
};

QTEST_MAIN(TestUiElfs)
#include "test_ui_elfs.moc"
