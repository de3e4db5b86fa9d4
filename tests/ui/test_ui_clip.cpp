// SPDX-License-Identifier: GPL-3.0-or-later
// The Studio runs the clip strategy: picked in the parameter panel (its box appears, the class
// names file is typed into it), run on the worker thread with a generated CLIP checkpoint, and
// the picks equal the core's selectClip on the store the run wrote; then a query typed into the
// content search ranks the grid as the cosines computed here do. The "train adapters" box reaches
// the run parameters and the stage options and survives a project round trip.
#include "backbone/clip_backend.h"
#include "clip_stage.h"
#include "image/demo_pool.h"
#include "pipeline_session.h"
#include "pool/pool_browser.h"
#include "pool/pool_model.h"
#include "support/clip_test_support.h"
#include "support/run_watcher.h"
#include "weights/clip_checkpoint.h"
#include "window/clip_parameters_box.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace freesel;

namespace {
const int kRunTimeout = 300000;
}

class TestUiClip : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void trainAdaptersReachesRunParameters() {
        QTemporaryDir dir;
        const QString project = dir.filePath(QStringLiteral("adapters.freesel"));
        {
            MainWindow window;
            window.setWeightsPromptEnabled(false);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            ParametersPanel* panel = window.parametersPanel();
            panel->strategyBox()->setCurrentIndex(
                panel->strategyBox()->findData(QStringLiteral("clip")));
            QCheckBox* box = panel->clipBox()->trainAdaptersBox();
            QVERIFY(box->isVisible());
            QVERIFY(!box->isChecked());
            QVERIFY(!panel->parameters().clipTrainAdapters);
            const QString before = panel->parameters().selectionKey();
            QTest::mouseClick(box, Qt::LeftButton);
            QVERIFY(panel->parameters().clipTrainAdapters);
            // Without labels the stage refuses, naming the option.
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, panel->parameters().clipOptions());
            panel->clipBox()->labelsEdit()->setText(dir.path());
            const RunParameters chosen = panel->parameters();
            QVERIFY(chosen.clipTrainAdapters);
            QVERIFY(chosen.clipOptions().trainAdapters); // what the clip stage receives
            QVERIFY(chosen.selectionKey() != before);    // a new selection, not a cached one
            QVERIFY(window.saveProject(project));
        }
        MainWindow reopened;
        reopened.setWeightsPromptEnabled(false);
        QVERIFY(reopened.openProject(project));
        ParametersPanel* panel = reopened.parametersPanel();
        QVERIFY(panel->clipBox()->trainAdaptersBox()->isChecked());
        QVERIFY(panel->parameters().clipTrainAdapters);
        panel->clipBox()->trainAdaptersBox()->setChecked(false);
        QVERIFY(!panel->parameters().clipTrainAdapters);
    }

    void clipRunMatchesCore() {
        QTemporaryDir dir;
        const QString pool = dir.filePath(QStringLiteral("pool"));
        const QString store = dir.filePath(QStringLiteral("store"));
        const QString checkpoint = dir.filePath(QStringLiteral("clip.bin"));
        const QString classes = dir.filePath(QStringLiteral("names.txt"));
        QCOMPARE(writeDemoPool(pool, 12, 5), QString());
        QVERIFY(test::writeClipCheckpoint(checkpoint,
                                          test::seededClipTensors(test::smallClipConfig(), 3)));
        QFile names(classes);
        QVERIFY(names.open(QIODevice::WriteOnly));
        names.write("road\nsky\ntree\n");
        names.close();
        RunParameters p;
        p.source = pool;
        p.weights = checkpoint;
        p.checkModel = false;
        p.budget = 4;
        p.storeDir = store;
        MainWindow window;
        uitest::RunWatcher runs(window);
        window.setWeightsPromptEnabled(false);
        window.parametersPanel()->setParameters(p);
        window.openPool(pool);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        ParametersPanel* panel = window.parametersPanel();
        QVERIFY(!panel->clipBox()->isVisible());
        panel->strategyBox()->setCurrentIndex(
            panel->strategyBox()->findData(QStringLiteral("clip")));
        QVERIFY(panel->clipBox()->isVisible());
        QLineEdit* edit = panel->clipBox()->classesEdit();
        edit->setFocus();
        QTest::keyClicks(edit, classes);
        QTest::keyClick(edit, Qt::Key_Return);
        const RunParameters chosen = panel->parameters();
        QCOMPARE(chosen.strategy, QStringLiteral("clip"));
        QCOMPARE(chosen.clipClasses, classes);
        QCOMPARE(chosen.clipPromptTemplate, QStringLiteral("A photo of a {}"));
        QCOMPARE(chosen.effectiveBackend(), QStringLiteral("clip"));
        // Before the run the status bar predicts CLIP (the strategy needs its embeddings) ...
        QVERIFY2(window.backendLabel()->text().startsWith(QStringLiteral("Backend: CLIP")),
                 qPrintable(window.backendLabel()->text()));

        QTest::mouseClick(panel->runButton(), Qt::LeftButton);
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        const RunOutcome& outcome = window.lastOutcome();
        QCOMPARE(int(outcome.picks.size()), 4);
        // ... and after it names the backend that ran, never "offline".
        QCOMPARE(outcome.backend.name, QStringLiteral("clip"));
        QVERIFY2(window.backendLabel()->text().startsWith(QStringLiteral("Backend: CLIP")),
                 qPrintable(window.backendLabel()->text()));

        // The core on the same store: the CLIP stage over the embeddings the run stored.
        const PoolScan scan = scanPool(pool);
        FeatureStore features;
        QVERIFY(features.openForReading(store));
        const std::vector<int> records = storeRecordsFor(scan.entries, features);
        const ClipBackend clip(checkpoint.toStdString(), QStringLiteral("test"));
        ClipSelectionScores scores;
        const SelectionResult expected = selectClip(clip, features, scan.entries, scan.root,
                                                    records, 4, chosen.clipOptions(), scores);
        QCOMPARE(int(expected.picks.size()), 4);
        for (size_t r = 0; r < 4; ++r)
            QCOMPARE(outcome.picks[r], expected.picks[r].image);
        QVERIFY(scores.zeroShot);

        // Search by content: type a query, press Enter; the grid shows the pool ranked by the
        // cosine of the stored embeddings with the query's text embedding, computed here.
        const QString query = QStringLiteral("a photo of a tree");
        QLineEdit* search = window.poolBrowser()->contentSearchField();
        search->setFocus();
        QTest::keyClicks(search, query);
        QTest::keyClick(search, Qt::Key_Return);
        PoolModel* model = window.poolBrowser()->model();
        QTRY_VERIFY_WITH_TIMEOUT(model->isRanked(), 60000);
        const ClipWeights weights = loadClipCheckpoint(checkpoint.toStdString());
        const std::vector<int> ids = ClipTokenizer::shipped().tokenize(query);
        const torch::Tensor text =
            clipEncodeText(
                weights,
                torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).reshape({1, -1}))[0]
                .to(torch::kFloat64);
        std::vector<std::pair<double, int>> expectedOrder;
        for (size_t i = 0; i < records.size(); ++i) {
            const std::vector<float> e = features.loadClipEmbedding(records[i]);
            const torch::Tensor image = torch::tensor(e).to(torch::kFloat64);
            expectedOrder.push_back(
                {(image.dot(text) / (image.norm() * text.norm())).item<double>(), int(i)});
        }
        std::stable_sort(expectedOrder.begin(), expectedOrder.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        QCOMPARE(model->rowCount(), 12);
        for (int row = 0; row < 12; ++row)
            QCOMPARE(model->poolIndexAt(row), expectedOrder[size_t(row)].second);

        // "Select within" these results: a random selection of 3 among the top half (6 of 12).
        QVERIFY(expectedOrder[5].first > expectedOrder[6].first); // a clear boundary
        window.poolBrowser()->withinTopBox()->setValue(50);
        QTest::mouseClick(window.poolBrowser()->withinBox(), Qt::LeftButton);
        QVERIFY(window.poolBrowser()->withinBox()->isChecked());
        panel->strategyBox()->setCurrentIndex(
            panel->strategyBox()->findData(QStringLiteral("random")));
        RunParameters scoped = panel->parameters();
        scoped.budget = 3;
        scoped.budgetPercent = false;
        panel->setParameters(scoped);
        QTest::mouseClick(panel->runButton(), Qt::LeftButton);
        QVERIFY2(runs.waitForFinished(2, kRunTimeout), qPrintable(window.lastError()));
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        const RunOutcome& within = window.lastOutcome();
        QCOMPARE(within.parameters.withinQuery, query);
        QCOMPARE(int(within.picks.size()), 3);
        std::vector<int> topHalf;
        for (size_t k = 0; k < 6; ++k)
            topHalf.push_back(expectedOrder[k].second);
        for (int pick : within.picks)
            QVERIFY2(std::count(topHalf.begin(), topHalf.end(), pick) == 1,
                     qPrintable(QString::number(pick)));
        QTest::mouseClick(window.poolBrowser()->withinBox(), Qt::LeftButton); // off again
        search->clear(); // the selection order again
        QVERIFY(!model->isRanked());
        QCOMPARE(model->poolIndexAt(0), outcome.picks[0]);
    }
};

QTEST_MAIN(TestUiClip)
#include "test_ui_clip.moc"
