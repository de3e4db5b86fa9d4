// SPDX-License-Identifier: GPL-3.0-or-later
// The Studio's Compare tab, driven as a user does: choose strategies, budgets and seeds, run on
// the worker, read the table and the plot, compare two selections, export the report.
#include "image/demo_pool.h"
#include "plots/comparison_plot.h"
#include "plots/qcustomplot_include.h"
#include "pool/selection_diff_view.h"
#include "window/compare_panel.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"

#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <set>

using namespace freesel;

class TestUiCompare : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCOMPARE(writeDemoPool(dir_.filePath(QStringLiteral("pool")), 16, 5), QString());
    }

    void compareTwoStrategiesAndTheirDifference() {
        MainWindow window;
        window.setWeightsPromptEnabled(false);
        RunParameters p;
        p.source = dir_.filePath(QStringLiteral("pool"));
        p.backend = QStringLiteral("offline");
        p.storeDir = dir_.filePath(QStringLiteral("store"));
        window.parametersPanel()->setParameters(p);
        ComparePanel* panel = window.comparePanel();
        panel->setStrategies({QStringLiteral("freesel"), QStringLiteral("random")});
        panel->budgetsEdit()->setText(QStringLiteral("4,8"));
        panel->seedsBox()->setValue(2);
        QSignalSpy shown(panel, &ComparePanel::resultShown);
        QSignalSpy failed(panel, &ComparePanel::failureShown);
        QTest::mouseClick(panel->runButton(), Qt::LeftButton);
        QVERIFY(!panel->runButton()->isEnabled()); // one comparison at a time
        QVERIFY2(shown.wait(300000),
                 failed.isEmpty() ? "no result" : qPrintable(failed.first().first().toString()));
        QVERIFY(panel->runButton()->isEnabled());

        // Table: one row per strategy and budget; the plot: one curve per strategy, as long as
        // the largest budget.
        QCOMPARE(panel->table()->rowCount(), 4);
        QCOMPARE(panel->table()->item(0, 0)->text(), QStringLiteral("freesel"));
        QCOMPARE(panel->plot()->plot()->graphCount(), 2);
        QCOMPARE(panel->plot()->plot()->graph(1)->dataCount(), 8);

        // A = freesel budget 4 seed 0, B = random budget 4 seed 0: the view follows the sets.
        const ComparisonResult& result = panel->result();
        auto runOf = [&](const QString& strategy, const QString& budget, int seed) {
            for (int i = 0; i < int(result.selections.size()); ++i)
                if (result.selections[size_t(i)].strategy == strategy &&
                    result.selections[size_t(i)].budget == budget &&
                    result.selections[size_t(i)].seedIndex == seed)
                    return i;
            return -1;
        };
        const int a = runOf(QStringLiteral("freesel"), QStringLiteral("4"), 0);
        const int b = runOf(QStringLiteral("random"), QStringLiteral("4"), 0);
        QVERIFY(a >= 0 && b >= 0);
        panel->selectionA()->setCurrentIndex(panel->selectionA()->findData(a));
        panel->selectionB()->setCurrentIndex(panel->selectionB()->findData(b));
        const std::vector<int>& picksA = result.selections[size_t(a)].poolImages;
        const std::vector<int>& picksB = result.selections[size_t(b)].poolImages;
        const std::set<int> setA(picksA.begin(), picksA.end()), setB(picksB.begin(), picksB.end());
        std::vector<int> onlyA, both;
        std::set_difference(setA.begin(), setA.end(), setB.begin(), setB.end(),
                            std::back_inserter(onlyA));
        std::set_intersection(setA.begin(), setA.end(), setB.begin(), setB.end(),
                              std::back_inserter(both));
        auto shownSet = [&](int modeRow) {
            panel->diffMode()->setCurrentIndex(modeRow);
            const std::vector<int>& s = panel->diffView()->shown();
            const std::set<int> unique(s.begin(), s.end());
            return std::vector<int>(unique.begin(), unique.end());
        };
        QCOMPARE(shownSet(1), onlyA);
        QCOMPARE(shownSet(3), both);
        QCOMPARE(int(panel->diffView()->count()), int(both.size()));
        QCOMPARE(int(shownSet(0).size()), int(setA.size() + setB.size() - both.size()));

        // The report, written on the worker, is the CLI's.
        const QString report = dir_.filePath(QStringLiteral("report"));
        QSignalSpy exported(&window, &MainWindow::exportFinished);
        panel->exportReportTo(report);
        QVERIFY(exported.wait(60000));
        QVERIFY(QFileInfo::exists(report + QStringLiteral("/index.html")));
        QVERIFY(QFileInfo::exists(report + QStringLiteral("/summary.csv")));
    }

    void aBadBudgetIsRefusedBeforeAnyWork() {
        MainWindow window;
        ComparePanel* panel = window.comparePanel();
        panel->budgetsEdit()->setText(QStringLiteral("150%"));
        QSignalSpy failed(panel, &ComparePanel::failureShown);
        QTest::mouseClick(panel->runButton(), Qt::LeftButton);
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.first().first().toString().contains(QStringLiteral("--budgets")));
        QVERIFY(panel->runButton()->isEnabled());
    }
};

QTEST_MAIN(TestUiCompare)
#include "test_ui_compare.moc"
