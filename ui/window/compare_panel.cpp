// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/compare_panel.h"

#include "plots/comparison_plot.h"
#include "pool/selection_diff_view.h"
#include "worker/pipeline_worker.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <set>

namespace freesel {

namespace {

const char* const kStrategies[] = {"freesel", "fds", "kcenter", "kmeans", "random", "elfs"};

// The table's columns, in the report's order (docs/CLI.md, "freesel compare").
const char* const kColumns[] = {
    "pattern_coverage", "global_mean_distance", "global_radius", "redundancy",
    "classes_covered",  "label_entropy",        "label_kl",      "smallest_class_share",
    "instances",        "categories_covered",   "seconds"};

QString runName(const RunSelection& run) {
    return QStringLiteral("%1 %2 (seed %3)").arg(run.strategy, run.budget).arg(run.seedIndex);
}

} // namespace

ComparePanel::ComparePanel(std::function<RunParameters()> parameters, QWidget* parent)
    : QWidget(parent), parameters_(std::move(parameters)), plot_(new ComparisonPlot(this)),
      table_(new QTableWidget(this)) {
    setObjectName(QStringLiteral("comparePanel"));
    table_->setObjectName(QStringLiteral("compareTable"));
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    auto* results = new QSplitter(Qt::Vertical, splitter);
    results->addWidget(plot_);
    results->addWidget(table_);
    results->setStretchFactor(0, 3);
    results->setStretchFactor(1, 2);
    plot_->setMinimumHeight(150);
    splitter->addWidget(results);
    splitter->addWidget(buildSelections());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addWidget(splitter, 1);
    setRunning(false);
}

QWidget* ComparePanel::buildControls() {
    auto* box = new QWidget(this);
    auto* rows = new QVBoxLayout(box);
    rows->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    auto* second = new QHBoxLayout;
    rows->addLayout(row);
    rows->addLayout(second);
    for (const char* name : kStrategies) {
        auto* check = new QCheckBox(QString::fromLatin1(name), box);
        check->setObjectName(QStringLiteral("compare_") + QLatin1String(name));
        check->setChecked(QLatin1String(name) != QLatin1String("elfs")); // elfs trains: opt in
        strategies_[QString::fromLatin1(name)] = check;
        row->addWidget(check);
    }
    budgets_ = new QLineEdit(QStringLiteral("1%,5%,10%"), box);
    budgets_->setToolTip(tr("Comma-separated counts or percentages of the usable images"));
    seeds_ = new QSpinBox(box);
    seeds_->setRange(1, 100);
    seeds_->setValue(3);
    labels_ = new QLineEdit(box);
    labels_->setPlaceholderText(tr("labels: class folders, COCO json or CSV (optional)"));
    auto* browse = new QPushButton(tr("…"), box);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Labels"), labels_->text(),
                                                          tr("COCO json or CSV (*.json *.csv)"));
        if (!path.isEmpty())
            labels_->setText(path);
    });
    run_ = new QPushButton(tr("Compare"), box);
    run_->setObjectName(QStringLiteral("compareRun"));
    cancel_ = new QPushButton(tr("Cancel"), box);
    export_ = new QPushButton(tr("Export report…"), box);
    status_ = new QLabel(box);
    connect(run_, &QPushButton::clicked, this, &ComparePanel::startComparison);
    connect(cancel_, &QPushButton::clicked, this, &ComparePanel::cancelRequested);
    connect(export_, &QPushButton::clicked, this, &ComparePanel::exportReport);
    budgets_->setMinimumWidth(110);
    row->addWidget(new QLabel(tr("Budgets"), box));
    row->addWidget(budgets_);
    row->addWidget(new QLabel(tr("Seeds"), box));
    row->addWidget(seeds_);
    row->addStretch(1);
    second->addWidget(labels_, 1);
    second->addWidget(browse);
    second->addWidget(run_);
    second->addWidget(cancel_);
    second->addWidget(export_);
    second->addWidget(status_);
    return box;
}

QWidget* ComparePanel::buildSelections() {
    auto* box = new QWidget(this);
    selectionA_ = new QComboBox(box);
    selectionB_ = new QComboBox(box);
    mode_ = new QComboBox(box);
    mode_->addItem(tr("A and B"), int(SelectionDiffView::Mode::Union));
    mode_->addItem(tr("in A only"), int(SelectionDiffView::Mode::OnlyA));
    mode_->addItem(tr("in B only"), int(SelectionDiffView::Mode::OnlyB));
    mode_->addItem(tr("in both"), int(SelectionDiffView::Mode::Both));
    diff_ = new SelectionDiffView(box);
    auto* choose = new QFormLayout;
    choose->addRow(tr("A"), selectionA_);
    choose->addRow(tr("B"), selectionB_);
    choose->addRow(tr("Show"), mode_);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(choose);
    layout->addWidget(diff_, 1);
    const auto update = [this] { showSelections(); };
    connect(selectionA_, &QComboBox::currentIndexChanged, this, update);
    connect(selectionB_, &QComboBox::currentIndexChanged, this, update);
    connect(mode_, &QComboBox::currentIndexChanged, this, update);
    return box;
}

ComparisonRequest ComparePanel::request() const {
    ComparisonRequest request;
    request.run = parameters_();
    QStringList names;
    for (const char* name : kStrategies)
        if (strategies_.at(QString::fromLatin1(name))->isChecked())
            names << QString::fromLatin1(name);
    request.strategies = parseStrategyList(names.join(QLatin1Char(',')));
    request.budgets = parseBudgetList(budgets_->text());
    request.seeds = seeds_->value();
    request.labelsPath = labels_->text().trimmed();
    return request;
}

void ComparePanel::setStrategies(const QStringList& names) {
    for (auto& [name, check] : strategies_)
        check->setChecked(names.contains(name));
}

void ComparePanel::startComparison() {
    try {
        lastRequest_ = request();
    } catch (const std::invalid_argument& error) {
        showFailure(QString::fromUtf8(error.what()));
        return;
    }
    setRunning(true);
    status_->setText(tr("running…"));
    Q_EMIT compareRequested(lastRequest_);
}

void ComparePanel::showResult(const ComparisonResult& result) {
    result_ = result;
    hasResult_ = true;
    setRunning(false);
    status_->setText(
        tr("%1 runs on %2 images").arg(result.selections.size()).arg(result.usableImages));
    plot_->setCurves(result.curves);
    fillTable();
    diff_->setPool(result.poolPaths);
    fillSelectionChoices();
    Q_EMIT resultShown();
}

void ComparePanel::showFailure(const QString& message) {
    setRunning(false);
    status_->setText(message);
    status_->setToolTip(message);
    Q_EMIT failureShown(message);
}

void ComparePanel::fillTable() {
    const std::vector<MetricSummary> summary = summarise(result_.values);
    std::set<QString> present;
    for (const MetricSummary& m : summary)
        present.insert(m.metric);
    QStringList columns = {tr("strategy"), tr("budget")};
    std::vector<QString> metrics;
    for (const char* key : kColumns)
        if (present.count(QString::fromLatin1(key))) {
            metrics.emplace_back(QString::fromLatin1(key));
            columns << QString::fromLatin1(key);
        }
    std::vector<std::pair<QString, QString>> rows;
    for (const MetricSummary& m : summary)
        if (std::find(rows.begin(), rows.end(), std::make_pair(m.strategy, m.budget)) == rows.end())
            rows.emplace_back(m.strategy, m.budget);
    table_->clear();
    table_->setColumnCount(int(columns.size()));
    table_->setHorizontalHeaderLabels(columns);
    table_->setRowCount(int(rows.size()));
    for (int r = 0; r < int(rows.size()); ++r) {
        table_->setItem(r, 0, new QTableWidgetItem(rows[size_t(r)].first));
        table_->setItem(r, 1, new QTableWidgetItem(rows[size_t(r)].second));
        for (const MetricSummary& m : summary) {
            if (std::make_pair(m.strategy, m.budget) != rows[size_t(r)])
                continue;
            const int column =
                2 + int(std::find(metrics.begin(), metrics.end(), m.metric) - metrics.begin());
            auto* item = new QTableWidgetItem(
                QStringLiteral("%1 ± %2").arg(m.mean, 0, 'g', 4).arg(m.stddev, 0, 'g', 2));
            item->setToolTip(tr("min %1, max %2, %3 seed(s)").arg(m.min).arg(m.max).arg(m.count));
            item->setData(Qt::UserRole, m.mean);
            table_->setItem(r, column, item);
        }
    }
    table_->resizeColumnsToContents();
}

void ComparePanel::fillSelectionChoices() {
    const QSignalBlocker blockA(selectionA_), blockB(selectionB_);
    selectionA_->clear();
    selectionB_->clear();
    for (size_t i = 0; i < result_.selections.size(); ++i) {
        const QString name = runName(result_.selections[i]);
        selectionA_->addItem(name, int(i));
        selectionB_->addItem(name, int(i));
    }
    // A: the first strategy, B: the second (or the first's next run), same budget and seed.
    selectionA_->setCurrentIndex(0);
    const int perStrategy = int(lastRequest_.seeds);
    selectionB_->setCurrentIndex(std::min(perStrategy, selectionB_->count() - 1));
    showSelections();
}

void ComparePanel::showSelections() {
    if (!hasResult_ || selectionA_->currentIndex() < 0 || selectionB_->currentIndex() < 0)
        return;
    const RunSelection& a = result_.selections[size_t(selectionA_->currentData().toInt())];
    const RunSelection& b = result_.selections[size_t(selectionB_->currentData().toInt())];
    diff_->setSelections(a.poolImages, b.poolImages);
    diff_->setMode(SelectionDiffView::Mode(mode_->currentData().toInt()));
}

void ComparePanel::exportReport() {
    if (!hasResult_)
        return;
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Write the report into"));
    if (!folder.isEmpty())
        exportReportTo(folder);
}

void ComparePanel::exportReportTo(const QString& folder) {
    if (hasResult_)
        Q_EMIT reportRequested(result_, lastRequest_, folder);
}

void ComparePanel::setRunning(bool running) {
    run_->setEnabled(!running);
    cancel_->setEnabled(running);
    export_->setEnabled(!running && hasResult_);
}

void connectToWorker(ComparePanel* panel, PipelineWorker* worker) {
    QObject::connect(panel, &ComparePanel::compareRequested, worker, &PipelineWorker::compare);
    QObject::connect(panel, &ComparePanel::reportRequested, worker,
                     &PipelineWorker::exportComparison);
    // requestCancel is thread-safe: called directly, not queued behind the comparison itself.
    QObject::connect(panel, &ComparePanel::cancelRequested, panel,
                     [worker] { worker->requestCancel(); });
    QObject::connect(worker, &PipelineWorker::comparisonFinished, panel, &ComparePanel::showResult);
    QObject::connect(worker, &PipelineWorker::comparisonFailed, panel, &ComparePanel::showFailure);
}

} // namespace freesel
