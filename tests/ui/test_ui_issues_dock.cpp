// SPDX-License-Identifier: GPL-3.0-or-later
// The Issues dock, offscreen: a pool with a truncated JPEG and a symlink loop lists one error
// (the file and its reason) and one warning (the link); the title counts them; double-clicking
// the error opens that image, the warning's file (not in the pool) goes to the status bar;
// Clear empties the list and a re-run from the store does not bring it back; a run error is
// listed without a file.
#include "image/demo_pool.h"
#include "support/run_watcher.h"
#include "support/scene_pool.h"
#include "viewer/image_view.h"
#include "window/issues_dock.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <opencv2/imgcodecs.hpp>

using namespace freesel;

namespace {

const int kRunTimeout = 300000;

QImage iconImage(const QIcon& icon) {
    return icon.pixmap(16, 16).toImage();
}

QImage standardIconImage(QStyle::StandardPixmap which) {
    return iconImage(QApplication::style()->standardIcon(which));
}

} // namespace

class TestUiIssuesDock : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString pool_;
    QString broken_;
    QString loop_;

    RunParameters parameters(const QString& source) const {
        RunParameters p;
        p.source = source;
        p.backend = QStringLiteral("offline"); // no weights note: only the pool's problems
        p.budget = 3;
        p.seed = 5;
        p.storeDir = dir_.filePath(QStringLiteral("store"));
        return p;
    }

    static void doubleClick(QTreeView* view, int row) {
        // A widget's QTest::mouseDClick is the double-click event alone; the view acts on it
        // only after the press of the first click, as with a real mouse.
        const QPoint centre = view->visualRect(view->model()->index(row, 0)).center();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, centre);
        QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, centre);
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(dir_.isValid());
        pool_ = dir_.filePath(QStringLiteral("pool"));
        QCOMPARE(writeDemoPool(pool_, 6, 3), QString());
        std::vector<uchar> jpeg;
        QVERIFY(cv::imencode(".jpg", scenepool::sceneImage(4, 96, 64), jpeg));
        broken_ = QDir(pool_).filePath(QStringLiteral("broken.jpg"));
        QFile file(broken_);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(reinterpret_cast<const char*>(jpeg.data()), qint64(jpeg.size() / 2));
        file.close();
        // A link back to the pool folder: the scanner warns and does not loop.
        loop_ = QDir(pool_).filePath(QStringLiteral("loop"));
        QVERIFY(QFile::link(pool_, loop_));
    }

    void poolProblemsAreListed() {
        MainWindow window;
        uitest::RunWatcher runs(window);
        window.setWeightsPromptEnabled(false);
        window.setAutoRerun(false);
        window.parametersPanel()->setParameters(parameters(pool_));
        window.openPool(pool_);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        IssuesDock* dock = window.issuesDock();
        QVERIFY(dock->isVisible());
        // The pool is scanned on opening (issue 15, item 11): its scan warning is listed
        // before Run, the unreadable image once the run has tried it.
        QTRY_COMPARE(dock->windowTitle(), QStringLiteral("Issues (1)"));
        QVERIFY(dock->clearButton()->isEnabled());

        window.startRun();
        QVERIFY2(runs.waitForFinished(1, kRunTimeout), qPrintable(window.lastError()));
        IssuesModel* model = dock->model();
        QCOMPARE(model->rowCount(), 2);
        QCOMPARE(dock->windowTitle(), QStringLiteral("Issues (2)"));
        int errorRow = -1, warningRow = -1;
        for (int row = 0; row < model->rowCount(); ++row)
            (model->issue(row).severity == Issue::Severity::Error ? errorRow : warningRow) = row;
        QVERIFY(errorRow >= 0 && warningRow >= 0);

        // The error: the truncated file, with the decoder's reason, an error icon.
        const Issue& error = model->issue(errorRow);
        QCOMPARE(error.path, broken_);
        QVERIFY2(error.text.contains(QStringLiteral("truncated"), Qt::CaseInsensitive),
                 qPrintable(error.text));
        QVERIFY(!error.text.contains(broken_)); // the File column has the path
        QCOMPARE(model->index(errorRow, IssuesModel::PathColumn).data().toString(), broken_);
        QCOMPARE(iconImage(model->index(errorRow, 0).data(Qt::DecorationRole).value<QIcon>()),
                 standardIconImage(QStyle::SP_MessageBoxCritical));
        // The warning: the link, with the scanner's reason apart from the path.
        const Issue& warning = model->issue(warningRow);
        QCOMPARE(warning.path, loop_);
        QVERIFY2(warning.text.contains(QStringLiteral("already scanned")),
                 qPrintable(warning.text));
        QVERIFY(!warning.text.contains(pool_));
        QCOMPARE(iconImage(model->index(warningRow, 0).data(Qt::DecorationRole).value<QIcon>()),
                 standardIconImage(QStyle::SP_MessageBoxWarning));

        // Double-click: the broken image is part of the pool, so it opens; the link is not.
        doubleClick(dock->view(), errorRow);
        const int brokenIndex = window.imageView()->poolIndex();
        QVERIFY(brokenIndex >= 0);
        QVERIFY(brokenIndex != window.lastOutcome().picks.front());
        QCOMPARE((*window.lastOutcome().pool.entries)[size_t(brokenIndex)].path, broken_);
        // The view says why it has no patterns, rather than asking for a run.
        QTRY_COMPARE(window.imageView()->detail().poolIndex, brokenIndex);
        QVERIFY2(window.imageView()->detail().error.contains(QStringLiteral("truncated")),
                 qPrintable(window.imageView()->detail().error));
        doubleClick(dock->view(), warningRow);
        QVERIFY2(window.statusBar()->currentMessage().contains(loop_),
                 qPrintable(window.statusBar()->currentMessage()));
        QCOMPARE(window.imageView()->poolIndex(), brokenIndex);

        // A re-run from the store lists nothing twice.
        window.parametersPanel()->budgetBox()->setValue(2);
        window.startRun();
        QVERIFY2(runs.waitForFinished(2, kRunTimeout), qPrintable(window.lastError()));
        QVERIFY(!window.lastOutcome().extractionRan);
        QCOMPARE(model->rowCount(), 2);

        // Clear empties it, the title follows, and a re-run from the store keeps it empty.
        QTest::mouseClick(dock->clearButton(), Qt::LeftButton);
        QCOMPARE(model->rowCount(), 0);
        QCOMPARE(dock->view()->model()->rowCount(), 0);
        QCOMPARE(dock->windowTitle(), QStringLiteral("Issues"));
        window.parametersPanel()->budgetBox()->setValue(3);
        window.startRun();
        QVERIFY2(runs.waitForFinished(3, kRunTimeout), qPrintable(window.lastError()));
        QCOMPARE(model->rowCount(), 0);
        // The log keeps every line.
        QVERIFY(window.logText().contains(broken_));
    }

    void aRunErrorIsListedWithoutAFile() {
        MainWindow window;
        window.setWeightsPromptEnabled(false);
        QSignalSpy errors(&window, &MainWindow::errorShown);
        const QString missing = dir_.filePath(QStringLiteral("no-such-pool"));
        window.parametersPanel()->setParameters(parameters(missing));
        window.openPool(missing);
        window.startRun();
        QVERIFY(errors.wait(kRunTimeout));
        IssuesModel* model = window.issuesDock()->model();
        QCOMPARE(model->rowCount(), 1);
        QCOMPARE(model->issue(0).severity, Issue::Severity::Error);
        QCOMPARE(model->issue(0).text, window.lastError());
        QVERIFY(model->issue(0).path.isEmpty());
        QCOMPARE(window.issuesDock()->windowTitle(), QStringLiteral("Issues (1)"));
    }

    void aWarningNamingNoFileIsAllText() {
        const Issue plain = issueFromScanWarning(QStringLiteral("images[3] has no file_name"));
        QCOMPARE(plain.text, QStringLiteral("images[3] has no file_name"));
        QVERIFY(plain.path.isEmpty());
        // A path holding ": " is kept whole when that file exists.
        const QString odd = dir_.filePath(QStringLiteral("a: b.jpg"));
        QFile file(odd);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        const Issue issue = issueFromScanWarning(odd + QStringLiteral(": listed more than once"));
        QCOMPARE(issue.path, odd);
        QCOMPARE(issue.text, QStringLiteral("listed more than once"));
    }
};

QTEST_MAIN(TestUiIssuesDock)
#include "test_ui_issues_dock.moc"
