// SPDX-License-Identifier: GPL-3.0-or-later
// freesel compare: every strategy, budget and seed on one pool, from one store, into a report
// folder (summary.csv, summary.json, charts, index.html). docs/CLI.md, "freesel compare".
#include "cli/command.h"
#include "cli/interrupt.h"
#include "cli/pipeline_options.h"
#include "compare/comparison.h"
#include "compare/comparison_report.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace freesel {

namespace {

const QString kUsage = QStringLiteral(
    "Usage: freesel compare POOL --out DIR [--strategies LIST] [--budgets LIST] [--seeds N]\n"
    "                       [--labels FOLDER|COCO.json|CSV] [--evaluate NAME=FILE,...]\n"
    "                       [options]\n\n"
    "Runs every strategy at every budget with every seed on the same store (extraction and the\n"
    "pattern stage once) and writes a report: summary.csv, summary.json, charts as SVG and PNG,\n"
    "and a self-contained index.html. Without labels it measures pattern coverage, global\n"
    "coverage (mean distance, k-center radius), redundancy and time; with --labels also the\n"
    "classes covered (beside random's exact expectation), the label entropy, the KL divergence\n"
    "to the pool's labels, the smallest class's share and, for COCO, instances and categories.");

void addCompareOptions(QCommandLineParser& parser) {
    addOption(parser, QStringLiteral("out"), QStringLiteral("Report folder (created)."),
              QStringLiteral("DIR"));
    addOption(parser, QStringLiteral("strategies"),
              QStringLiteral("Comma-separated: freesel, fds, random, kcenter, kmeans, elfs, clip "
                             "(clip runs the CLIP backend; --labels are then also its labels)."),
              QStringLiteral("LIST"), QStringLiteral("freesel,fds,kcenter,kmeans,random"));
    addOption(parser, QStringLiteral("budgets"),
              QStringLiteral("Comma-separated counts or percentages of the usable images."),
              QStringLiteral("LIST"), QStringLiteral("1%,5%,10%"));
    addOption(parser, QStringLiteral("seeds"),
              QStringLiteral("Seeds per strategy and budget, 1 to 100 (seed, seed + 1, ...)."),
              QStringLiteral("N"), QStringLiteral("3"));
    addOption(parser, QStringLiteral("labels"),
              QStringLiteral("Labels for the label metrics: an ImageFolder root, a COCO json or "
                             "a CSV path,label."),
              QStringLiteral("SOURCE"));
    addOption(parser, QStringLiteral("evaluate"),
              QStringLiteral("Also measure selections made elsewhere, one file per seed (any "
                             "export or a path list), reported as strategy NAME; repeatable. "
                             "Without --strategies only these are measured."),
              QStringLiteral("NAME=FILE[,FILE...]"));
    addClipOptions(parser);
    addElfsOptions(parser);
}

ComparisonRequest readRequest(const QCommandLineParser& parser, const RunParameters& run) {
    if (!parser.isSet(QStringLiteral("out")))
        throw UsageError(QStringLiteral("--out is required (the report folder)"));
    ComparisonRequest request;
    request.run = run;
    for (const QString& item : parser.values(QStringLiteral("evaluate")))
        request.evaluated.push_back(parseEvaluatedSelection(item));
    // --evaluate alone measures the given selections only; the default strategies would
    // extract and select for nothing asked.
    if (request.evaluated.empty() || parser.isSet(QStringLiteral("strategies")))
        request.strategies = parseStrategyList(parser.value(QStringLiteral("strategies")));
    request.budgets = parseBudgetList(parser.value(QStringLiteral("budgets")));
    request.seeds = integerOption(parser, QStringLiteral("seeds"));
    request.labelsPath = parser.value(QStringLiteral("labels"));
    readElfsOptions(parser, request.run);
    if (std::find(request.strategies.begin(), request.strategies.end(), StrategyKind::Clip) !=
        request.strategies.end()) {
        // The backend follows the strategy (auto becomes clip), as for freesel select.
        request.run.strategy = QStringLiteral("clip");
        readClipOptions(parser, request.run); // --labels: the metrics' and clip's alike
        request.run.clipOptions();            // before any work
    }
    return request;
}

class CompareProgress {
public:
    bool operator()(int done, int total, const QString&) {
        if (!bar_)
            bar_ = std::make_unique<ProgressBar>(QStringLiteral("compare"));
        bar_->update(done, total);
        if (done == total)
            bar_->finish();
        return true;
    }

private:
    std::unique_ptr<ProgressBar> bar_;
};

void printSummary(const ComparisonResult& result, const QStringList& files) {
    printOut(QStringLiteral("compared %1 runs on %2 usable images; report: %3")
                 .arg(result.selections.size())
                 .arg(result.usableImages)
                 .arg(files.last()));
    for (const MetricSummary& m : summarise(result.values))
        if (m.metric == QLatin1String("pattern_coverage"))
            printOut(QStringLiteral("  %1 %2: pattern coverage %3 (min %4, max %5)")
                         .arg(m.strategy, -8)
                         .arg(m.budget, -5)
                         .arg(m.mean, 0, 'f', 4)
                         .arg(m.min, 0, 'f', 4)
                         .arg(m.max, 0, 'f', 4));
}

} // namespace

int runCompareCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    addCompareOptions(parser);
    PipelineOptions pipeline(parser, true);
    if (!parseCommandLine(parser, arguments, kUsage))
        return ExitOk;
    pipeline.read(QStringLiteral("compare"));
    const ComparisonRequest request = readRequest(parser, pipeline.run);
    const QString out = parser.value(QStringLiteral("out"));

    CliSessionOutput output(!pipeline.json);
    PipelineSession session(&output, catchInterrupts());
    CompareProgress progress;
    ComparisonResult result;
    try {
        result = runComparison(session, request, std::ref(progress), catchInterrupts());
    } catch (const StageCancelled& stop) {
        return reportInterrupted(session, stop, session.storeFolderFor(request.run));
    }
    const QStringList files = writeComparisonReport(result, request, out).valueOrThrow();
    if (pipeline.json)
        printOut(QString::fromUtf8(
            QJsonDocument(QJsonObject{{QStringLiteral("out"), out},
                                      {QStringLiteral("runs"), int(result.selections.size())},
                                      {QStringLiteral("usable_images"), result.usableImages},
                                      {QStringLiteral("files"), QJsonArray::fromStringList(files)}})
                .toJson(QJsonDocument::Indented)));
    else
        printSummary(result, files);
    return ExitOk;
}

} // namespace freesel
