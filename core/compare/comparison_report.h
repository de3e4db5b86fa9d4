// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The report of a comparison, in one folder a user can send to a colleague:
//   summary.csv   strategy,budget,images,seed,metric,value (one row per measurement; seed
//                 "expected" marks an exact expectation such as random's classes covered)
//   summary.json  the request, the pool, every value, the per-seed summaries and every run's
//                 selected images (in pick order)
//   <chart>.svg / <chart>.png   coverage curves and each metric against the budget
//   index.html    self-contained: the charts inline, the summary table

#include "compare/comparison.h"
#include "compare/line_chart.h"
#include "util/error.h"

#include <QString>
#include <QStringList>

namespace freesel {

/// The charts of a result: "coverage" (pattern coverage after each pick) and one per metric
/// measured, against the budget, with the min-max spread over seeds.
std::vector<std::pair<QString, LineChart>> comparisonCharts(const ComparisonResult& result);

/// The summary.csv text.
QString comparisonCsv(const ComparisonResult& result);

/// Writes every file into `folder` (created when missing); the files written, or the error
/// naming the file.
Result<QStringList> writeComparisonReport(const ComparisonResult& result,
                                          const ComparisonRequest& request, const QString& folder);

} // namespace freesel
