// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Every strategy x budget x seed on one pool, from one store: extraction and the pattern stage
// run once (with the run's base seed), then each selection runs on the same patterns, so the
// strategies differ only in how they choose (docs/CLI.md, "freesel compare").

#include "patterns/pool_patterns.h"
#include "run_parameters.h"
#include "selection/selection.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <vector>

namespace freesel {

class PipelineSession;

/// A budget as the user wrote it: a count or a percentage of the usable images.
struct BudgetSpec {
    double value = 0;
    bool percent = false;
    QString text; ///< "5%", "100"

    /// At least 1 image; throws std::invalid_argument naming --budgets when it resolves to 0.
    int64_t resolve(int usableImages) const;
};

/// "1%,5%,10%" or "50,100"; throws std::invalid_argument naming --budgets and the bad item.
std::vector<BudgetSpec> parseBudgetList(const QString& text);
/// "freesel,fds,random"; throws std::invalid_argument naming --strategies and the valid names.
std::vector<StrategyKind> parseStrategyList(const QString& text);

/// Selections made elsewhere (`--evaluate NAME=FILE,...`: another tool, another precision, a
/// hand-picked list), measured with the same metrics on this run's features and patterns.
struct EvaluatedSelection {
    QString name;                   ///< reported in the strategy column
    QStringList files;              ///< one per seed index, for the messages
    std::vector<QStringList> lists; ///< each file's image names, in pick order
};

/// "NAME=FILE[,FILE...]" of --evaluate, the files read (any export format, as --labeled reads
/// them). Throws std::invalid_argument naming --evaluate and the bad item or file.
EvaluatedSelection parseEvaluatedSelection(const QString& text);

struct ComparisonRequest {
    RunParameters run; ///< pool, backend, store, pattern parameters, base seed, ELFS options
    std::vector<StrategyKind> strategies;
    std::vector<EvaluatedSelection> evaluated; ///< measured as they are: no budget, no seed
    std::vector<BudgetSpec> budgets;
    int seeds = 3;      ///< 1 to 100; seed i is run.seed + i
    QString labelsPath; ///< ImageFolder root, COCO json or CSV "path,label"; empty: none
};

/// One measurement: `seedIndex` -1 marks an exact expectation (random's classes covered).
struct MetricValue {
    QString strategy;
    QString budget; ///< as written
    int64_t images = 0;
    int seedIndex = 0;
    quint64 seed = 0;
    QString metric;
    double value = 0;
};

/// One strategy's pattern-coverage curve (seed 0, largest budget): value after each pick.
struct CoverageSeries {
    QString strategy;
    std::vector<double> curve;
};

/// The images one run selected (pool indices, in pick order), for side-by-side views.
struct RunSelection {
    QString strategy;
    QString budget;
    int seedIndex = 0;
    std::vector<int> poolImages;
};

struct ComparisonResult {
    int poolImages = 0;
    int usableImages = 0;
    QString backend;
    QString labelsSource;   ///< "folders", "coco", "csv" or empty
    QStringList classNames; ///< with labels
    std::vector<MetricValue> values;
    std::vector<CoverageSeries> curves;
    std::vector<RunSelection> selections;
    QStringList poolPaths; ///< every pool image (RunSelection indexes it)
    QStringList notes;     ///< e.g. budgets larger than the pool
};

/// Mean, spread and count of one metric over seeds.
struct MetricSummary {
    QString strategy, budget, metric;
    int64_t images = 0;
    double mean = 0, min = 0, max = 0, stddev = 0; ///< stddev: sample (n - 1), 0 for one seed
    int count = 0;
};
std::vector<MetricSummary> summarise(const std::vector<MetricValue>& values);

using ComparisonProgress = std::function<bool(int done, int total, const QString& what)>;

/// Runs the session up to the pattern stage (extracting what the store lacks), then every
/// selection. Throws std::invalid_argument for a bad request, StageCancelled on cancel.
ComparisonResult runComparison(PipelineSession& session, const ComparisonRequest& request,
                               const ComparisonProgress& progress = {},
                               const std::atomic<bool>* cancel = nullptr);

} // namespace freesel
