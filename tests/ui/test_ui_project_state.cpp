// SPDX-License-Identifier: GPL-3.0-or-later
// What the Studio keeps and says around a run, offscreen: a pool scanned (thumbnails) before
// Run, the project's selection reopened without re-running, the title, the question before
// quitting, settings written as they change, presets and reset to defaults, the CUDA note,
// the budget's decimals, Label Studio scores without float noise.
#include "image/demo_pool.h"
#include "plots/coverage_plot.h"
#include "plots/qcustomplot_include.h"
#include "pool/pool_browser.h"
#include "pool/pool_model.h"
#include "support/run_watcher.h"
#include "util/torch_info.h"
#include "viewer/overlay_renderer.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMessageBox>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace freesel;

namespace {
const int kRunTimeout = 300000;
}

class TestUiProjectState : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString pool_;

    RunParameters parameters() const {
        RunParameters p;
        p.source = pool_;
        p.backend = QStringLiteral("offline");
        p.budget = 4;
        p.seed = 2;
        p.storeDir = dir_.filePath(QStringLiteral("store"));
        return p;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        pool_ = dir_.filePath(QStringLiteral("pool"));
        QCOMPARE(writeDemoPool(pool_, 12, 3), QString());
    }

    void openingAPoolScansItBeforeRun() {
        MainWindow window;
        window.setWeightsPromptEnabled(false);
        window.parametersPanel()->setParameters(parameters());
        window.openPool(pool_);
        // The grid fills (and thumbnails load) with no run at all.
        QTRY_COMPARE_WITH_TIMEOUT(window.poolBrowser()->model()->poolSize(), 12, 30000);
        QVERIFY(!window.isRunning());
        QVERIFY(!window.hasOutcome());
        QTRY_VERIFY_WITH_TIMEOUT(!window.poolBrowser()
                                      ->model()
                                      ->index(0)
                                      .data(PoolModel::ThumbnailRole)
                                      .value<QImage>()
                                      .isNull(),
                                 30000);
        // The title names the pool; the recent pools are written at once (a kill keeps them).
        QVERIFY(window.windowTitle().contains(QStringLiteral("pool")));
        QCOMPARE(QSettings().value(QStringLiteral("pools/recent")).toStringList().value(0), pool_);
    }

    void projectKeepsTheSelectionAndReopensWithoutRunning() {
        const QString project = dir_.filePath(QStringLiteral("p.freesel"));
        std::vector<int> picks;
        std::vector<double> scores;
        {
            MainWindow window;
            uitest::RunWatcher runs(window);
            window.setWeightsPromptEnabled(false);
            window.parametersPanel()->setParameters(parameters());
            window.openPool(pool_);
            window.startRun();
            QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
            picks = window.lastOutcome().picks;
            scores = window.lastOutcome().scores;
            QVERIFY(window.isProjectDirty());
            QVERIFY(window.saveProject(project));
            QVERIFY(!window.isProjectDirty());
            QVERIFY(window.windowTitle().contains(QStringLiteral("p.freesel")));
        }
        MainWindow reopened;
        uitest::RunWatcher runs(reopened);
        reopened.setWeightsPromptEnabled(false);
        QVERIFY(reopened.openProject(project));
        PoolModel* model = reopened.poolBrowser()->model();
        QTRY_COMPARE_WITH_TIMEOUT(model->selectedCount(), int(picks.size()), 30000);
        for (size_t r = 0; r < picks.size(); ++r)
            QCOMPARE(model->rankOf(picks[r]), int(r) + 1);
        // Rank 2's score as saved, in the tooltip; no run happened.
        const QString tip = model->index(model->rowOf(picks[1])).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QString::number(scores[1], 'g', 4)), qPrintable(tip));
        QCOMPARE(runs.ended(), 0);
        QVERIFY(!reopened.isProjectDirty());
    }

    void quittingWithChangesAsks() {
        MainWindow window;
        window.setWeightsPromptEnabled(false);
        window.setAutoRerun(false);
        window.parametersPanel()->setParameters(parameters());
        window.parametersPanel()->clustersBox()->setValue(7);
        QVERIFY(window.isProjectDirty());
        QVERIFY(window.windowTitle().contains(QStringLiteral("[*]")));
        int asked = 0;
        window.setSaveQuestion([&asked] {
            ++asked;
            return int(QMessageBox::Cancel);
        });
        window.show();
        QVERIFY(!window.close()); // cancelled: the window stays
        QCOMPARE(asked, 1);
        QVERIFY(window.isVisible());
        window.setSaveQuestion([] { return int(QMessageBox::Discard); });
        QVERIFY(window.close());
        // The parameters were saved as they changed (a killed app keeps them).
        QTRY_VERIFY(
            QSettings().value(QStringLiteral("parameters/last")).toByteArray().contains("\"K\":7"));
    }

    void presetsSetEveryParameterAndResetRestoresDefaults() {
        MainWindow window;
        window.setAutoRerun(false);
        ParametersPanel* panel = window.parametersPanel();
        panel->setParameters(parameters());
        panel->epsBox()->setValue(1);
        panel->tauSlider()->setValue(30);
        panel->applyPreset(TaskPreset::Detection);
        QCOMPARE(panel->parameters().eps, 2); // was left at 1 before
        QCOMPARE(panel->parameters().tau, 0.5);
        panel->applyPreset(TaskPreset::Segmentation);
        panel->applyPreset(TaskPreset::Classification);
        QCOMPARE(panel->parameters().inputSize, 224); // not Segmentation's 448
        panel->clustersBox()->setValue(9);
        panel->seedBox()->setValue(77);
        panel->resetToDefaults();
        const RunParameters defaults;
        QCOMPARE(panel->parameters().clusters, defaults.clusters);
        QCOMPARE(panel->parameters().seed, defaults.seed);
        QCOMPARE(panel->parameters().backend, defaults.backend);
        QCOMPARE(panel->parameters().source, pool_); // the pool stays
    }

    void cudaWithoutCudaSaysSo() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ParametersPanel* panel = window.parametersPanel();
        QComboBox* device = panel->findChild<QComboBox*>(QStringLiteral("device"));
        QVERIFY(device);
        device->setCurrentIndex(device->findData(QStringLiteral("cuda")));
        QCOMPARE(panel->deviceNote()->isVisible(), !cudaAvailable());
        device->setCurrentIndex(device->findData(QStringLiteral("cpu")));
        QVERIFY(!panel->deviceNote()->isVisible());
    }

    void budgetShowsWholeImages() {
        ParametersPanel panel;
        panel.budgetUnitBox()->setCurrentIndex(1);
        QCOMPARE(panel.budgetBox()->decimals(), 1);
        panel.budgetUnitBox()->setCurrentIndex(0);
        panel.budgetBox()->setValue(1000);
        QCOMPARE(panel.budgetBox()->decimals(), 0);
        QCOMPARE(panel.budgetBox()->text(), QStringLiteral("1000"));
    }
};

QTEST_MAIN(TestUiProjectState)
#include "test_ui_project_state.moc"
