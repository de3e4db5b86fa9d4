// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The Studio's Compare tab (docs/GUI.md): choose strategies, budgets and seeds, run them all
// on the worker from the store, then read the coverage curves of every strategy in one plot,
// the metrics table, and two selections side by side or as their difference. Exports the same
// report as `freesel compare`.

#include "compare/comparison.h"

#include <QWidget>

#include <functional>
#include <map>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace freesel {

class ComparisonPlot;
class PipelineWorker;
class SelectionDiffView;

class ComparePanel : public QWidget {
    Q_OBJECT

public:
    /// `parameters` gives the run the comparison starts from (pool, backend, tau, K, eps, seed).
    explicit ComparePanel(std::function<RunParameters()> parameters, QWidget* parent = nullptr);

    /// The request the controls describe; throws std::invalid_argument naming the bad field.
    ComparisonRequest request() const;
    bool hasResult() const { return hasResult_; }
    const ComparisonResult& result() const { return result_; }
    QTableWidget* table() const { return table_; }
    SelectionDiffView* diffView() const { return diff_; }
    ComparisonPlot* plot() const { return plot_; }
    QComboBox* selectionA() const { return selectionA_; }
    QComboBox* selectionB() const { return selectionB_; }
    QComboBox* diffMode() const { return mode_; }
    QLineEdit* budgetsEdit() const { return budgets_; }
    QSpinBox* seedsBox() const { return seeds_; }
    QPushButton* runButton() const { return run_; }

public Q_SLOTS:
    void showResult(const freesel::ComparisonResult& result);
    void showFailure(const QString& message);
    void setStrategies(const QStringList& names);

Q_SIGNALS:
    void compareRequested(const freesel::ComparisonRequest& request);
    void cancelRequested();
    void reportRequested(const freesel::ComparisonResult& result,
                         const freesel::ComparisonRequest& request, const QString& folder);
    void resultShown();                        ///< after showResult
    void failureShown(const QString& message); ///< after showFailure

private:
    QWidget* buildControls();
    QWidget* buildSelections();
    void startComparison();
    void exportReport();

public:
    /// Writes the report of the result shown into `folder` (on the worker; the window's
    /// exportFinished follows). The button asks for the folder first.
    void exportReportTo(const QString& folder);

private:
    void fillTable();
    void fillSelectionChoices();
    void showSelections();
    void setRunning(bool running);

    std::function<RunParameters()> parameters_;
    std::map<QString, QCheckBox*> strategies_;
    QLineEdit* budgets_;
    QSpinBox* seeds_;
    QLineEdit* labels_;
    QPushButton* run_;
    QPushButton* cancel_;
    QPushButton* export_;
    QLabel* status_;
    ComparisonPlot* plot_;
    QTableWidget* table_;
    QComboBox* selectionA_;
    QComboBox* selectionB_;
    QComboBox* mode_;
    SelectionDiffView* diff_;
    ComparisonRequest lastRequest_;
    ComparisonResult result_;
    bool hasResult_ = false;
};

/// Requests go to the worker's thread as queued calls, results come back the same way.
void connectToWorker(ComparePanel* panel, PipelineWorker* worker);

} // namespace freesel
