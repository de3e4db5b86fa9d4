// SPDX-License-Identifier: GPL-3.0-or-later
// The main window driven like a user would, offscreen: open a generated pool, run, compare
// with the core's own result for the same seed, change tau (patterns and overlays update from
// the store, no extraction), cancel mid-run, export and read back, project round trip.
#include "backbone/backend_factory.h"
#include "image/demo_pool.h"
#include "pipeline_session.h"
#include "plots/coverage_plot.h"
#include "pool/pool_browser.h"
#include "pool/pool_model.h"
#include "support/hostile_corpus.h"
#include "support/run_watcher.h"
#include "viewer/image_view.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"
#include "window/project_file.h"
#include "window/weights_dialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace freesel;

namespace {
const int kRunTimeout = qEnvironmentVariableIntValue("FREESEL_TEST_TIMEOUT_MS") > 0
                            ? qEnvironmentVariableIntValue("FREESEL_TEST_TIMEOUT_MS")
                            : 300000;
}

class TestUiMainWindow : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString pool_;
    QString store_;

    RunParameters baseParameters() const {
        RunParameters p;
        p.source = pool_;
        p.backend = QStringLiteral("offline");
        p.budget = 6;
        p.seed = 3;
        p.storeDir = store_;
        return p;
    }

    /// The base parameters on another pool and store.
    RunParameters parametersFor(const QString& source, const QString& storeDir) const {
        RunParameters p = baseParameters();
        p.source = source;
        p.storeDir = storeDir;
        return p;
    }

    static void configure(MainWindow& window, const RunParameters& p) {
        window.setWeightsPromptEnabled(false);
        window.parametersPanel()->setParameters(p);
        window.openPool(p.source);
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(dir_.isValid());
        pool_ = dir_.filePath(QStringLiteral("pool"));
        store_ = dir_.filePath(QStringLiteral("store"));
        QCOMPARE(writeDemoPool(pool_, 20, 11), QString());
    }

    void runMatchesCore() {
        MainWindow window;
        uitest::RunWatcher runs(window);
        // An empty grid says what to do first; it goes once there is a pool.
        auto* placeholder = window.findChild<QLabel*>(QStringLiteral("poolPlaceholder"));
        QVERIFY(placeholder);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(placeholder->isVisible());
        QVERIFY(placeholder->text().contains(QStringLiteral("Ctrl+O")));
        // Opening the pool scans it at once: the grid fills before Run (issue 15, item 11).
        configure(window, baseParameters());
        QTRY_VERIFY_WITH_TIMEOUT(!placeholder->isVisible(), 30000);
        QTest::mouseClick(window.parametersPanel()->runButton(), Qt::LeftButton);
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        const RunOutcome& outcome = window.lastOutcome();
        QCOMPARE(int(outcome.picks.size()), 6);
        QVERIFY(outcome.extractionRan);
        QVERIFY(!placeholder->isVisible());
        QCOMPARE(outcome.backend.name, QStringLiteral("offline"));
        QVERIFY(window.backendLabel()->text().contains(QStringLiteral("offline")));

        // The core on the same store, the same parameters and seed.
        const PoolScan scan = scanPool(pool_);
        FeatureStore store;
        QVERIFY(store.openForReading(store_));
        const std::vector<int> records = storeRecordsFor(scan.entries, store);
        PatternParameters params;
        const PoolPatterns patterns = computePatterns(store, records, params, 3, 0);
        SelectionRequest request;
        request.budget = 6;
        request.seed = 3;
        const SelectionResult expected = selectImages(patterns, StrategyKind::FreeSel, request);
        QCOMPARE(int(expected.picks.size()), 6);
        for (size_t r = 0; r < expected.picks.size(); ++r)
            QCOMPARE(outcome.picks[r], expected.picks[r].image);

        // The grid shows the selected images first, in rank order, with their rank.
        PoolModel* model = window.poolBrowser()->model();
        QCOMPARE(model->rowCount(), 20);
        for (int r = 0; r < 6; ++r) {
            const QModelIndex index = model->index(r);
            QCOMPARE(index.data(PoolModel::PoolIndexRole).toInt(), outcome.picks[size_t(r)]);
            QCOMPARE(index.data(PoolModel::RankRole).toInt(), r + 1);
        }
        QCOMPARE(model->index(6).data(PoolModel::RankRole).toInt(), 0);
        // Filters and search.
        window.poolBrowser()->filterBox()->setCurrentIndex(1);
        QCOMPARE(model->rowCount(), 6);
        window.poolBrowser()->filterBox()->setCurrentIndex(2);
        QCOMPARE(model->rowCount(), 14);
        window.poolBrowser()->filterBox()->setCurrentIndex(3);
        QCOMPARE(model->rowCount(), 0);
        window.poolBrowser()->filterBox()->setCurrentIndex(0);
        const QString name = QFileInfo(scan.entries[5].path).fileName();
        QTest::keyClicks(window.poolBrowser()->searchField(), name);
        QCOMPARE(model->rowCount(), 1);
        QCOMPARE(model->index(0).data(PoolModel::PoolIndexRole).toInt(), 5);
        window.poolBrowser()->searchField()->clear();
        // Thumbnails arrive from the decoder threads.
        QTRY_VERIFY_WITH_TIMEOUT(
            !model->index(0).data(PoolModel::ThumbnailRole).value<QImage>().isNull(),
            kRunTimeout / 10);
        // The coverage curve has one point per pick, and random is not better at the end.
        QCOMPARE(window.coveragePlot()->pointCount(), 6);
        QVERIFY(outcome.coverage.back() <= outcome.randomCoverage.back() + 1e-9);
    }

    void tauChangeUpdatesPatternsWithoutExtraction() {
        MainWindow window;
        uitest::RunWatcher runs(window);
        configure(window, baseParameters());
        window.show();
        window.startRun();
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        // A new window resumes the store of the first test: nothing goes through the network.
        QCOMPARE(window.lastOutcome().extraction.extracted, 0);
        QCOMPARE(window.lastOutcome().extraction.reused, 20);
        const int first = window.lastOutcome().picks.front();
        ImageView* view = window.imageView();
        QTRY_VERIFY_WITH_TIMEOUT(view->detail().poolIndex == first && view->detail().hasFeatures,
                                 20000);
        const size_t keptBefore = view->detail().kept.size();
        QCOMPARE(view->detail().patternCount, window.lastOutcome().patternCounts[size_t(first)]);

        // Drag tau down: the image view re-clusters at once, the pool re-runs from the store.
        window.parametersPanel()->tauSlider()->setValue(20);
        QTRY_VERIFY_WITH_TIMEOUT(qAbs(view->detail().parameters.tau - 0.2) < 1e-9,
                                 kRunTimeout / 10);
        QVERIFY(view->detail().kept.size() < keptBefore);
        QVERIFY2(runs.waitForFinished(2, kRunTimeout), qPrintable(window.lastError()));
        const RunOutcome& outcome = window.lastOutcome();
        QVERIFY(!outcome.extractionRan);
        QVERIFY(outcome.patternsRan);
        QCOMPARE(outcome.parameters.tau, 0.2);
        // The overlay reproduces exactly the patterns the pool run made for that image.
        QTRY_VERIFY_WITH_TIMEOUT(view->detail().poolIndex == first &&
                                     view->detail().patternCount ==
                                         outcome.patternCounts[size_t(first)],
                                 20000);
        const QImage withMask = view->composedImage();
        QTest::mouseClick(view->maskToggle(), Qt::LeftButton);
        QVERIFY(!view->overlayOptions().mask);
        QVERIFY(view->composedImage() != withMask);

        // K changes the cluster count of the image; budget re-runs only the selection.
        window.parametersPanel()->clustersBox()->setValue(2);
        QTRY_VERIFY_WITH_TIMEOUT(view->detail().parameters.clusters == 2, kRunTimeout / 10);
        QVERIFY(view->detail().patternCount <= 2);
        QVERIFY2(runs.waitForFinished(3, kRunTimeout), qPrintable(window.lastError()));
        window.parametersPanel()->budgetBox()->setValue(4);
        QVERIFY2(runs.waitForFinished(4, kRunTimeout), qPrintable(window.lastError()));
        QVERIFY(!window.lastOutcome().patternsRan);
        QCOMPARE(int(window.lastOutcome().picks.size()), 4);
    }

    void cancelMidRun() {
        const QString bigPool = dir_.filePath(QStringLiteral("big"));
        QCOMPARE(writeDemoPool(bigPool, 96, 5), QString());
        const QString bigStore = dir_.filePath(QStringLiteral("big-store"));
        MainWindow window;
        uitest::RunWatcher runs(window);
        configure(window, parametersFor(bigPool, bigStore));
        window.show();
        auto* stage = window.findChild<QLabel*>(QStringLiteral("stageLabel"));
        QVERIFY(stage);
        window.startRun();
        QTRY_VERIFY_WITH_TIMEOUT(stage->text().contains(QStringLiteral("extract")), kRunTimeout);
        QTest::mouseClick(window.parametersPanel()->cancelButton(), Qt::LeftButton);
        QVERIFY(runs.waitForCancelled(1, kRunTimeout));
        QCOMPARE(runs.finished(), 0);
        QVERIFY(!window.isRunning());
        QVERIFY(window.parametersPanel()->runButton()->isEnabled());
        FeatureStore store;
        QVERIFY(store.openForReading(bigStore));
        QVERIFY2(store.count() < 96, qPrintable(QString::number(store.count())));
    }

    void missingWeightsNoteIsLoggedOnce() {
        RunParameters p = baseParameters();
        p.backend = QStringLiteral("auto"); // no weights in the test-mode cache: offline, noted
        MainWindow window;
        uitest::RunWatcher runs(window);
        configure(window, p);
        window.startRun();
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        QCOMPARE(window.logText().count(QStringLiteral("note: DINO weights not found")), 1);
        QVERIFY(window.backendLabel()->text().contains(QStringLiteral("no DINO weights")));
    }

    void errorsAreShownNotThrown() {
        MainWindow window;
        RunParameters p = baseParameters();
        p.source = dir_.filePath(QStringLiteral("does-not-exist"));
        configure(window, p);
        window.startRun();
        QTRY_VERIFY_WITH_TIMEOUT(!window.isRunning(), kRunTimeout);
        QVERIFY(!window.lastError().isEmpty());
        QVERIFY(window.logText().contains(QStringLiteral("error")));
    }

    void hostileInputsAreLoggedWithTheirReasons() {
        QTemporaryDir hostileDir;
        const QString pool = hostileDir.filePath(QStringLiteral("pool"));
        // In-process as root the permission bits would not bite: no unreadable file then.
        hostile::CorpusOptions options;
        options.unreadableFile = ::geteuid() != 0;
        const std::vector<hostile::Case> cases = hostile::writeCorpus(pool, options);
        MainWindow window;
        uitest::RunWatcher runs(window);
        configure(window, parametersFor(pool, hostileDir.filePath(QStringLiteral("store"))));
        window.startRun();
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        hostile::prepareRemoval(pool);
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        QCOMPARE(int(window.lastOutcome().picks.size()), 6);
        const QString log = window.logText();
        int failed = 0;
        for (const hostile::Case& c : cases) {
            const QString path = QDir(pool).filePath(c.relativePath);
            if (c.outcome == hostile::Outcome::Failed) {
                ++failed;
                const QString line = QStringLiteral("skipped %1: ").arg(path);
                const qsizetype at = log.indexOf(line);
                QVERIFY2(at >= 0, qPrintable(c.kind + QStringLiteral(" not logged")));
                const QString reason = log.mid(at).section(QLatin1Char('\n'), 0, 0);
                QVERIFY2(reason.contains(c.reason, Qt::CaseInsensitive),
                         qPrintable(c.kind + QStringLiteral(": ") + reason));
            } else if (c.outcome == hostile::Outcome::Warned) {
                QVERIFY2(log.contains(path) && log.contains(c.reason), qPrintable(c.kind));
            } else {
                QVERIFY2(!log.contains(QStringLiteral("skipped %1: ").arg(path)),
                         qPrintable(c.kind));
            }
        }
        QCOMPARE(window.poolBrowser()->model()->failedCount(), failed);
    }

    void exportAndReadBack() {
        MainWindow window;
        uitest::RunWatcher runs(window);
        configure(window, baseParameters());
        window.startRun();
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        QSignalSpy spy(&window, &MainWindow::exportFinished);
        const QString txt = dir_.filePath(QStringLiteral("out/selection.txt"));
        window.exportSelection(QStringLiteral("txt"), txt, {});
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 1, kRunTimeout / 10);
        const ExportResult result = spy.takeFirst().at(0).value<ExportResult>();
        QVERIFY2(result.ok(), qPrintable(result.message()));
        QFile file(txt);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QStringList lines =
            QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        lines.erase(std::remove_if(lines.begin(), lines.end(),
                                   [](const QString& l) { return l.startsWith(QLatin1Char('#')); }),
                    lines.end());
        const RunOutcome& outcome = window.lastOutcome();
        QCOMPARE(lines.size(), int(outcome.picks.size()));
        for (int r = 0; r < lines.size(); ++r)
            QVERIFY2(lines[r].endsWith(
                         QFileInfo((*outcome.pool.entries)[size_t(outcome.picks[size_t(r)])].path)
                             .fileName()),
                     qPrintable(lines[r]));
        QVERIFY(QFile::exists(provenanceSidecarPath(ExportFormat::Txt, txt)));
        // Every CLI format goes through the same path.
        for (const QString& format : exportFormatNames()) {
            const QString out = dir_.filePath(QStringLiteral("out/all.") + format);
            window.exportSelection(format, out, {});
            QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 1, kRunTimeout / 10);
            const ExportResult each = spy.takeFirst().at(0).value<ExportResult>();
            if (format == QLatin1String("suspects")) { // CLIP label errors: not of this run
                QVERIFY(!each.ok());
                QVERIFY2(each.message().contains(QStringLiteral("--strategy clip")),
                         qPrintable(each.message()));
                continue;
            }
            QVERIFY2(each.ok(), qPrintable(format + QStringLiteral(": ") + each.message()));
        }
    }

    void projectRoundTrip() {
        const QString path = dir_.filePath(QStringLiteral("demo.freesel"));
        RunParameters p = baseParameters();
        p.tau = 0.35;
        p.clusters = 7;
        p.budget = 25;
        p.budgetPercent = true;
        p.strategy = QStringLiteral("kcenter");
        {
            MainWindow window;
            configure(window, p);
            QVERIFY(window.saveProject(path));
        }
        MainWindow reopened;
        reopened.setAutoRerun(false);
        QVERIFY(reopened.openProject(path));
        const RunParameters q = reopened.parametersPanel()->parameters();
        QCOMPARE(q.source, p.source);
        QCOMPARE(q.storeDir, p.storeDir);
        QCOMPARE(q.tau, 0.35);
        QCOMPARE(q.clusters, 7);
        QCOMPARE(q.budget, 25.0);
        QVERIFY(q.budgetPercent);
        QCOMPARE(q.strategy, QStringLiteral("kcenter"));
        QCOMPARE(q.backend, QStringLiteral("offline"));
        QCOMPARE(q.seed, quint64(3));
        // A broken project is refused with a message, not a crash.
        QFile bad(dir_.filePath(QStringLiteral("bad.freesel")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\"format\": \"something else\"}");
        bad.close();
        ProjectFile project;
        QString error;
        QVERIFY(!project.load(bad.fileName(), &error));
        QVERIFY(error.contains(QStringLiteral("bad.freesel")));
    }

    void defaultStoreFollowsThePool() {
        // With no store set, each pool gets its own default store, also after a project was
        // saved and reopened: saving once wrote the first pool's store into the project, so a
        // second pool opened in it put its features there.
        const QString second = dir_.filePath(QStringLiteral("second-pool"));
        QCOMPARE(writeDemoPool(second, 8, 5), QString());
        const QString path = dir_.filePath(QStringLiteral("default-store.freesel"));
        QString firstStore;
        {
            MainWindow window;
            uitest::RunWatcher runs(window);
            configure(window, parametersFor(pool_, QString()));
            QTest::mouseClick(window.parametersPanel()->runButton(), Qt::LeftButton);
            QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
            QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
            firstStore = window.lastOutcome().storeFolder;
            QVERIFY(window.saveProject(path));
        }
        MainWindow reopened;
        uitest::RunWatcher reopenedRuns(reopened);
        reopened.setWeightsPromptEnabled(false);
        reopened.setAutoRerun(false);
        QVERIFY(reopened.openProject(path));
        QCOMPARE(reopened.parametersPanel()->parameters().storeDir, QString());
        reopened.openPool(second);
        QTest::mouseClick(reopened.parametersPanel()->runButton(), Qt::LeftButton);
        QVERIFY2(reopenedRuns.waitForFinished(1, kRunTimeout), qPrintable(reopened.lastError()));
        QVERIFY2(reopened.lastError().isEmpty(), qPrintable(reopened.lastError()));
        const QString secondStore = reopened.lastOutcome().storeFolder;
        BackendChoice offline;
        offline.backend = QStringLiteral("offline");
        const BackendSelection backend = createBackend(offline);
        QCOMPARE(firstStore, PipelineSession::defaultStoreFolder(pool_, *backend.backend, 224));
        QCOMPARE(secondStore, PipelineSession::defaultStoreFolder(second, *backend.backend, 224));
        QVERIFY(secondStore != firstStore);
    }

    void imageViewFollowsRankOneUnlessTheUserChoseAnImage() {
        MainWindow window;
        uitest::RunWatcher runs(window);
        configure(window, baseParameters());
        window.setAutoRerun(false);
        QTest::mouseClick(window.parametersPanel()->runButton(), Qt::LeftButton);
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        QCOMPARE(window.imageView()->poolIndex(), window.lastOutcome().picks.front());
        // A re-run with other picks: the view follows the new rank 1 (it was not chosen).
        RunParameters p = baseParameters();
        p.seed = 11;
        window.parametersPanel()->setParameters(p);
        window.startRun();
        QVERIFY2(runs.waitForFinished(2, kRunTimeout), qPrintable(window.lastError()));
        QCOMPARE(window.imageView()->poolIndex(), window.lastOutcome().picks.front());
        // An image the user opens stays open across re-runs.
        const std::vector<int>& picks = window.lastOutcome().picks;
        int unselected = 0;
        while (std::find(picks.begin(), picks.end(), unselected) != picks.end())
            ++unselected;
        window.poolBrowser()->showImage(unselected); // as a click on its thumbnail
        p.seed = 12;
        window.parametersPanel()->setParameters(p);
        window.startRun();
        QVERIFY2(runs.waitForFinished(3, kRunTimeout), qPrintable(window.lastError()));
        QCOMPARE(window.imageView()->poolIndex(), unselected);
        // Another pool: its own rank 1, never the old pool's index.
        const QString other = dir_.filePath(QStringLiteral("view-pool"));
        QCOMPARE(writeDemoPool(other, 7, 21), QString());
        window.parametersPanel()->setParameters(
            parametersFor(other, dir_.filePath(QStringLiteral("view-store"))));
        window.openPool(other);
        QCOMPARE(window.imageView()->poolIndex(), -1);
        window.startRun();
        QVERIFY2(runs.waitForFinished(4, kRunTimeout), qPrintable(window.lastError()));
        QCOMPARE(window.lastOutcome().parameters.source, other);
        QCOMPARE(window.imageView()->poolIndex(), window.lastOutcome().picks.front());
    }

    void storeIsShownAndCanBeReset() {
        MainWindow window;
        uitest::RunWatcher runs(window);
        const RunParameters p = parametersFor(pool_, dir_.filePath(QStringLiteral("reset-store")));
        configure(window, p);
        window.setAutoRerun(false);
        QTest::mouseClick(window.parametersPanel()->runButton(), Qt::LeftButton);
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        const QString folder = window.lastOutcome().storeFolder;
        auto* label = window.findChild<QLabel*>(QStringLiteral("storeLabel"));
        QVERIFY(label);
        QVERIFY2(label->toolTip().contains(folder), qPrintable(label->toolTip()));
        QVERIFY(FeatureStore::sizeOnDisk(folder) > 0);
        QVERIFY2(label->text().contains(QStringLiteral("kB")) ||
                     label->text().contains(QStringLiteral("MB")),
                 qPrintable(label->text()));
        // Asked first; "no" keeps it.
        QStringList asked;
        bool answer = false;
        window.setStoreResetQuestion([&](const QString& which) {
            asked << which;
            return answer;
        });
        window.resetStore();
        QCOMPARE(asked, QStringList{folder});
        QTest::qWait(50);
        QVERIFY(QFileInfo::exists(folder + QStringLiteral("/records.bin")));
        // "yes" deletes it; the next run extracts every image again.
        answer = true;
        QSignalSpy reset(&window, &MainWindow::storeWasReset);
        window.resetStore();
        QTRY_COMPARE(reset.count(), 1);
        QVERIFY(!QFileInfo::exists(folder + QStringLiteral("/records.bin")));
        window.startRun();
        QVERIFY2(runs.waitForFinished(2, kRunTimeout), qPrintable(window.lastError()));
        QVERIFY(window.lastOutcome().extractionRan);
        QCOMPARE(window.lastOutcome().extraction.extracted, 20);
    }

    void useOfflineIsForNowNotForGood() {
        MainWindow window;
        uitest::RunWatcher runs(window);
        RunParameters p = parametersFor(pool_, dir_.filePath(QStringLiteral("prompt-store")));
        p.backend = QStringLiteral("auto"); // no weights in the test cache: the prompt comes
        window.parametersPanel()->setParameters(p);
        window.openPool(p.source);
        window.setAutoRerun(false);
        window.startRun();
        WeightsDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = window.findChild<WeightsDialog*>()) != nullptr);
        auto* offline = dialog->findChild<QPushButton*>(QStringLiteral("useOffline"));
        QVERIFY(offline);
        offline->click();
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        QCOMPARE(window.lastOutcome().backend.name, QStringLiteral("offline"));
        // The choice stays auto (DINO once the weights are there), with the note's tooltip.
        QCOMPARE(window.parametersPanel()->parameters().backend, QStringLiteral("auto"));
        QVERIFY(
            window.backendLabel()->toolTip().contains(QStringLiteral("freesel models download")));
        // And the question is not asked again this session.
        RunParameters again = window.parametersPanel()->parameters();
        again.seed = 9;
        window.parametersPanel()->setParameters(again);
        window.startRun();
        QVERIFY2(runs.waitForFinished(2, kRunTimeout), qPrintable(window.lastError()));
        QTest::qWait(20);
        const QList<WeightsDialog*> dialogs = window.findChildren<WeightsDialog*>();
        for (WeightsDialog* each : dialogs)
            QVERIFY(!each->isVisible());
    }
};

QTEST_MAIN(TestUiMainWindow)
#include "test_ui_main_window.moc"
