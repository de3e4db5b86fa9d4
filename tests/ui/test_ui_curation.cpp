// SPDX-License-Identifier: GPL-3.0-or-later
// The curation tools of the Studio, offscreen: zoom and pan, the full-size preview, the
// manual override (exclude / labelled / include, badges, what the worker's run receives),
// "why was this picked" against core's explainPick, and the near-duplicates filter.
#include "image/demo_pool.h"
#include "pool/pool_browser.h"
#include "pool/pool_marks.h"
#include "pool/pool_model.h"
#include "pool/pool_view_actions.h"
#include "selection/pick_explanation.h"
#include "support/run_watcher.h"
#include "viewer/image_canvas.h"
#include "viewer/image_preview.h"
#include "viewer/image_view.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QListView>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace freesel;

namespace {
const int kRunTimeout = 300000;
}

class TestUiCuration : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString pool_;

    RunParameters parameters(const QString& store) const {
        RunParameters p;
        p.source = pool_;
        p.backend = QStringLiteral("offline");
        p.budget = 5;
        p.seed = 4;
        p.storeDir = dir_.filePath(store);
        return p;
    }

    /// A window on the pool, run once.
    bool runOnce(MainWindow& window, const RunParameters& p) {
        uitest::RunWatcher runs(window);
        window.setWeightsPromptEnabled(false);
        window.setAutoRerun(false);
        window.parametersPanel()->setParameters(p);
        window.openPool(p.source);
        window.startRun();
        return runs.waitForFinished(1, kRunTimeout);
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        pool_ = dir_.filePath(QStringLiteral("pool"));
        QCOMPARE(writeDemoPool(pool_, 16, 5), QString());
    }

    void canvasZoomsAboutTheCursorAndPans() {
        ImageCanvas canvas;
        canvas.resize(400, 400);
        QImage image(200, 100, QImage::Format_RGB32);
        image.fill(Qt::red);
        canvas.setImage(image, QString());
        QVERIFY(canvas.isFitted());
        QCOMPARE(canvas.scale(), 2.0); // 400 / 200 wide, 400 / 100 tall: the smaller
        // The image point under the anchor stays under it: at scale 2 and offset (0, 100),
        // widget (100, 200) is image (50, 50); zoomed x2 it must still be.
        canvas.zoomBy(2.0, QPointF(100, 200));
        QVERIFY(!canvas.isFitted());
        QCOMPARE(canvas.scale(), 4.0);
        const QPointF imagePoint = (QPointF(100, 200) - canvas.offset()) / canvas.scale();
        QCOMPARE(imagePoint, QPointF(50, 50));
        canvas.panBy(QPointF(30, -10));
        QCOMPARE(canvas.offset(), QPointF(100 - 50 * 4 + 30, 200 - 50 * 4 - 10));
        canvas.actualSize();
        QCOMPARE(canvas.scale(), 1.0);
        QCOMPARE(canvas.offset(), QPointF(100, 150)); // centred
        canvas.fitToWindow();
        QVERIFY(canvas.isFitted());
        QCOMPARE(canvas.scale(), 2.0);
        // The wheel zooms too (one notch: 1.25).
        QWheelEvent wheel(QPointF(200, 200), QPointF(200, 200), QPoint(), QPoint(0, 120),
                          Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(&canvas, &wheel);
        QCOMPARE(canvas.scale(), 2.5);
    }

    void previewShowsTheFileAtFullSize() {
        MainWindow window;
        window.setWeightsPromptEnabled(false);
        window.parametersPanel()->setParameters(parameters(QStringLiteral("s-preview")));
        window.openPool(pool_);
        QTRY_VERIFY_WITH_TIMEOUT(window.poolBrowser()->model()->poolSize() == 16, 30000);
        window.poolBrowser()->showImage(2);
        window.poolBrowser()->actions()->previewAction()->trigger();
        auto* preview = window.findChild<ImagePreview*>();
        QVERIFY(preview);
        QSignalSpy loaded(preview, &ImagePreview::imageLoaded);
        QVERIFY(loaded.wait(10000) || !preview->canvas()->image().isNull());
        const QString path = window.poolBrowser()->model()->entry(2).path;
        QCOMPARE(preview->canvas()->image().size(), QImageReader(path).size());
    }

    void marksReachTheRunAndTheBadges() {
        MainWindow window;
        QVERIFY(runOnce(window, parameters(QStringLiteral("s-marks"))));
        PoolModel* model = window.poolBrowser()->model();
        const QString first = model->entry(0).path, second = model->entry(1).path;
        window.markImages({0, 1}, PoolMark::Excluded);
        window.markImages({1}, PoolMark::Labelled); // moves it from excluded to labelled
        const RunParameters p = window.parametersPanel()->parameters();
        QCOMPARE(p.excludedImages, QStringList{first});
        QCOMPARE(p.labeledImages, QStringList{second});
        QCOMPARE(model->markOf(0), int(PoolMark::Excluded));
        QCOMPARE(model->markOf(1), int(PoolMark::Labelled));
        const QModelIndex row = model->index(model->rowOf(0));
        QCOMPARE(row.data(PoolModel::MarkRole).toInt(), int(PoolMark::Excluded));
        QVERIFY(row.data(Qt::ToolTipRole).toString().contains(QStringLiteral("excluded by hand")));
        // The next run's parameters, as the worker's session received them, carry both lists.
        uitest::RunWatcher runs(window);
        window.startRun();
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        QCOMPARE(window.lastOutcome().parameters.excludedImages, QStringList{first});
        QCOMPARE(window.lastOutcome().parameters.labeledImages, QStringList{second});
        // Include again: off both lists.
        window.markImages({0, 1}, PoolMark::None);
        QVERIFY(window.parametersPanel()->parameters().excludedImages.isEmpty());
        QVERIFY(window.parametersPanel()->parameters().labeledImages.isEmpty());
        QCOMPARE(model->markOf(0), 0);
    }

    void imagesIncludedByHandAreSelectedFirst() {
        MainWindow window;
        QVERIFY(runOnce(window, parameters(QStringLiteral("s-include"))));
        PoolModel* model = window.poolBrowser()->model();
        // Two images the first run did not pick, included by hand.
        QList<int> unpicked;
        for (int i = 0; i < model->poolSize() && unpicked.size() < 2; ++i)
            if (model->rankOf(i) == 0)
                unpicked << i;
        QCOMPARE(unpicked.size(), 2);
        window.markImages(unpicked, PoolMark::Included);
        QCOMPARE(model->markOf(unpicked[0]), int(PoolMark::Included));
        uitest::RunWatcher runs(window);
        window.startRun();
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        const RunOutcome& outcome = window.lastOutcome();
        const int budget = static_cast<int>(outcome.parameters.budget);
        QCOMPARE(int(outcome.picks.size()), budget); // they count in the budget
        QSet<int> firstTwo{outcome.picks[0], outcome.picks[1]};
        QCOMPARE(firstTwo, QSet<int>(unpicked.begin(), unpicked.end()));
        QCOMPARE(QSet<int>(outcome.picks.begin(), outcome.picks.end()).size(), budget);
        ImageView* view = window.imageView();
        window.poolBrowser()->showImage(unpicked[0]);
        QTRY_VERIFY(view->whyPickedText().contains(QStringLiteral("included by hand")));
    }

    void selectTheNextNMarksTheSelectionAsLabelled() {
        MainWindow window;
        QVERIFY(runOnce(window, parameters(QStringLiteral("s-next"))));
        QStringList picked;
        for (int pick : window.lastOutcome().picks)
            picked << window.poolBrowser()->model()->entry(pick).path;
        picked.sort();
        uitest::RunWatcher runs(window);
        window.selectNext(3);
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        const RunParameters& ran = window.lastOutcome().parameters;
        QCOMPARE(ran.labeledImages, picked); // the first round, now labelled
        QCOMPARE(ran.budget, 3.0);
        QVERIFY(!ran.budgetPercent);
    }

    void keysAndAFileMarkImages() {
        MainWindow window;
        window.setWeightsPromptEnabled(false);
        window.parametersPanel()->setParameters(parameters(QStringLiteral("s-keys")));
        window.openPool(pool_);
        PoolModel* model = window.poolBrowser()->model();
        QTRY_VERIFY_WITH_TIMEOUT(model->poolSize() == 16, 30000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QListView* view = window.poolBrowser()->view();
        window.poolBrowser()->showImage(3);
        view->setFocus();
        QTest::keyClick(view, Qt::Key_X);
        QCOMPARE(model->markOf(3), int(PoolMark::Excluded));
        QTest::keyClick(view, Qt::Key_I);
        QCOMPARE(model->markOf(3), int(PoolMark::Included));
        QCOMPARE(window.parametersPanel()->parameters().includedImages,
                 QStringList{model->entry(3).path});
        QVERIFY(window.parametersPanel()->parameters().excludedImages.isEmpty());
        QTest::keyClick(view, Qt::Key_U);
        QCOMPARE(model->markOf(3), 0);
        QVERIFY(window.parametersPanel()->parameters().includedImages.isEmpty());
        QTest::keyClick(view, Qt::Key_L);
        QCOMPARE(model->markOf(3), int(PoolMark::Labelled));
        // A list file: one pool-relative name, one absolute path, one that is not in the pool.
        const QString list = dir_.filePath(QStringLiteral("labelled.txt"));
        QFile file(list);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(model->entry(5).relativePath.toUtf8() + "\n# a comment\n" +
                   model->entry(6).path.toUtf8() + "\nnot/in/the/pool.png\n");
        file.close();
        QVERIFY(window.markLabelledFromFile(list));
        QCOMPARE(model->markOf(5), int(PoolMark::Labelled));
        QCOMPARE(model->markOf(6), int(PoolMark::Labelled));
        QCOMPARE(window.parametersPanel()->parameters().labeledImages.size(), 3);
    }

    void whyPickedMatchesTheCore() {
        MainWindow window;
        QVERIFY(runOnce(window, parameters(QStringLiteral("s-why"))));
        const RunOutcome& outcome = window.lastOutcome();
        QVERIFY(outcome.picks.size() >= 3);
        ImageView* view = window.imageView();
        window.poolBrowser()->showImage(outcome.picks[0]);
        QTRY_VERIFY(view->whyPickedText().contains(QStringLiteral("first pick, drawn uniformly")));
        // Rank 3: the D it was drawn with is the score the run recorded.
        window.poolBrowser()->showImage(outcome.picks[2]);
        const QString expected = QStringLiteral("D = %1").arg(outcome.scores[2], 0, 'f', 4);
        QTRY_VERIFY2(view->whyPickedText().contains(expected), qPrintable(view->whyPickedText()));
        QVERIFY(view->whyPickedText().contains(QStringLiteral("nearest already-selected image")));
        // An unselected image has no explanation.
        int unselected = 0;
        while (window.poolBrowser()->model()->rankOf(unselected) > 0)
            ++unselected;
        window.poolBrowser()->showImage(unselected);
        QTest::qWait(200);
        QVERIFY(view->whyPickedText().isEmpty());
        // The grid's tooltip explains the scores, rank 1's included.
        PoolModel* model = window.poolBrowser()->model();
        const QString tip =
            model->index(model->rowOf(outcome.picks[0])).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("first pick, drawn uniformly")), qPrintable(tip));
    }

    void duplicatesFilterShowsTheCopies() {
        // A pool with one exact copy: the filter shows that pair only, kept image first.
        const QString pool = dir_.filePath(QStringLiteral("dups"));
        QCOMPARE(writeDemoPool(pool, 10, 9), QString());
        const QStringList names = QDir(pool).entryList(QDir::Files, QDir::Name);
        QVERIFY(QFile::copy(pool + QLatin1Char('/') + names[4], pool + QStringLiteral("/zz.png")));
        MainWindow window;
        RunParameters p = parameters(QStringLiteral("s-dups"));
        p.source = pool;
        QVERIFY(runOnce(window, p));
        PoolBrowser* browser = window.poolBrowser();
        browser->filterBox()->setCurrentIndex(
            browser->filterBox()->findData(int(PoolModel::Filter::Duplicates)));
        browser->duplicateThresholdBox()->setValue(0.999);
        QTRY_COMPARE(browser->model()->duplicates().threshold, 0.999);
        QCOMPARE(browser->model()->rowCount(), 2);
        QStringList shown;
        for (int row = 0; row < 2; ++row)
            shown << QFileInfo(browser->model()->index(row).data(PoolModel::PathRole).toString())
                         .fileName();
        shown.sort();
        QCOMPARE(shown, (QStringList{names[4], QStringLiteral("zz.png")}));
    }
};

QTEST_MAIN(TestUiCuration)
#include "test_ui_curation.moc"
