// SPDX-License-Identifier: GPL-3.0-or-later
#include "compare/comparison_report.h"

#include "util/save_file.h"
#include "util/version.h"

#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <map>

namespace freesel {

namespace {

struct MetricInfo {
    const char* key;
    const char* title;
    const char* better; ///< which way is better, for the reader
};

// In the order the report shows them.
constexpr MetricInfo kMetrics[] = {
    {"pattern_coverage", "Pattern coverage (mean cosine distance to the selection)", "lower"},
    {"global_mean_distance", "Global coverage: mean distance", "lower"},
    {"global_radius", "Global coverage: k-center radius", "lower"},
    {"redundancy", "Redundancy (mean nearest-neighbour similarity)", "lower"},
    {"classes_covered", "Classes covered", "higher"},
    {"label_entropy", "Entropy of the selected labels (nats)", "higher"},
    {"label_kl", "KL(selected || pool) of the labels (nats)", "lower"},
    {"smallest_class_share", "Smallest class's share of the selection", "higher"},
    {"instances", "Instances (boxes) in the selected images", "higher"},
    {"categories_covered", "Categories covered by the selected images' boxes", "higher"},
    {"seconds", "Selection time (s)", "lower"},
};

QString number(double v) {
    return QString::number(v, 'g', 10);
}

bool measured(const ComparisonResult& result, const QString& metric) {
    for (const MetricValue& v : result.values)
        if (v.metric == metric)
            return true;
    return false;
}

/// One series per strategy: the mean over seeds at each budget, min-max as the error bar.
LineChart metricChart(const ComparisonResult& result, const std::vector<MetricSummary>& summary,
                      const MetricInfo& info) {
    LineChart chart;
    chart.title = QString::fromLatin1(info.title);
    chart.xLabel = QStringLiteral("budget (images)");
    chart.yLabel = QStringLiteral("%1 is better").arg(QLatin1String(info.better));
    std::map<QString, size_t> seriesOf;
    for (const MetricSummary& m : summary) {
        if (m.metric != QLatin1String(info.key))
            continue;
        auto it = seriesOf.find(m.strategy);
        if (it == seriesOf.end()) {
            it = seriesOf.emplace(m.strategy, chart.series.size()).first;
            chart.series.push_back({m.strategy, {}, {}, {}, {}, true});
        }
        ChartSeries& s = chart.series[it->second];
        s.x.push_back(double(m.images));
        s.y.push_back(m.mean);
        s.low.push_back(m.min);
        s.high.push_back(m.max);
    }
    ChartSeries expected{QStringLiteral("random (expected)"), {}, {}, {}, {}, false};
    for (const MetricValue& v : result.values)
        if (v.seedIndex < 0 && v.metric == QLatin1String(info.key)) {
            expected.x.push_back(double(v.images));
            expected.y.push_back(v.value);
        }
    if (!expected.x.empty())
        chart.series.push_back(expected);
    return chart;
}

QJsonObject requestJson(const ComparisonRequest& request) {
    QJsonArray strategies, budgets;
    for (StrategyKind kind : request.strategies)
        strategies.append(QString::fromStdString(strategyName(kind)));
    for (const BudgetSpec& b : request.budgets)
        budgets.append(b.text);
    QJsonObject evaluated; // name -> its files, one per seed index
    for (const EvaluatedSelection& e : request.evaluated)
        evaluated.insert(e.name, QJsonArray::fromStringList(e.files));
    return {{QStringLiteral("pool"), request.run.source},
            {QStringLiteral("strategies"), strategies},
            {QStringLiteral("evaluated"), evaluated},
            {QStringLiteral("budgets"), budgets},
            {QStringLiteral("seeds"), request.seeds},
            {QStringLiteral("base_seed"), QString::number(request.run.seed)},
            {QStringLiteral("labels"), request.labelsPath},
            {QStringLiteral("tau"), request.run.tau},
            {QStringLiteral("K"), request.run.clusters},
            {QStringLiteral("eps"), request.run.eps}};
}

QJsonObject resultJson(const ComparisonResult& result, const ComparisonRequest& request) {
    QJsonArray values, summaries;
    for (const MetricValue& v : result.values)
        values.append(QJsonObject{
            {QStringLiteral("strategy"), v.strategy},
            {QStringLiteral("budget"), v.budget},
            {QStringLiteral("images"), double(v.images)},
            {QStringLiteral("seed"), v.seedIndex < 0 ? QJsonValue(QStringLiteral("expected"))
                                                     : QJsonValue(QString::number(v.seed))},
            {QStringLiteral("metric"), v.metric},
            {QStringLiteral("value"), v.value}});
    for (const MetricSummary& m : summarise(result.values))
        summaries.append(QJsonObject{{QStringLiteral("strategy"), m.strategy},
                                     {QStringLiteral("budget"), m.budget},
                                     {QStringLiteral("images"), double(m.images)},
                                     {QStringLiteral("metric"), m.metric},
                                     {QStringLiteral("mean"), m.mean},
                                     {QStringLiteral("min"), m.min},
                                     {QStringLiteral("max"), m.max},
                                     {QStringLiteral("stddev"), m.stddev},
                                     {QStringLiteral("seeds"), m.count}});
    QJsonArray selections;
    for (const RunSelection& run : result.selections) {
        QJsonArray images;
        for (int image : run.poolImages)
            images.append(result.poolPaths.value(image));
        selections.append(QJsonObject{{QStringLiteral("strategy"), run.strategy},
                                      {QStringLiteral("budget"), run.budget},
                                      {QStringLiteral("seed_index"), run.seedIndex},
                                      {QStringLiteral("images"), images}});
    }
    return {{QStringLiteral("format"), QStringLiteral("freesel-comparison")},
            {QStringLiteral("version"), 1},
            {QStringLiteral("freesel"), applicationVersion()},
            {QStringLiteral("created"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
            {QStringLiteral("request"), requestJson(request)},
            {QStringLiteral("pool_images"), result.poolImages},
            {QStringLiteral("usable_images"), result.usableImages},
            {QStringLiteral("backend"), result.backend},
            {QStringLiteral("labels_source"), result.labelsSource},
            {QStringLiteral("classes"), QJsonArray::fromStringList(result.classNames)},
            {QStringLiteral("values"), values},
            {QStringLiteral("summary"), summaries},
            {QStringLiteral("selections"), selections}};
}

QString summaryTable(const ComparisonResult& result) {
    const std::vector<MetricSummary> summary = summarise(result.values);
    QStringList metrics;
    for (const MetricInfo& info : kMetrics)
        if (measured(result, QString::fromLatin1(info.key)))
            metrics << QString::fromLatin1(info.key);
    QString html = QStringLiteral("<table><tr><th>strategy</th><th>budget</th>");
    for (const QString& m : metrics)
        html += QStringLiteral("<th>%1</th>").arg(m.toHtmlEscaped());
    html += QStringLiteral("</tr>\n");
    std::map<std::pair<QString, QString>, std::map<QString, const MetricSummary*>> rows;
    std::vector<std::pair<QString, QString>> order;
    for (const MetricSummary& m : summary) {
        const auto key = std::make_pair(m.strategy, m.budget);
        if (!rows.count(key))
            order.push_back(key);
        rows[key][m.metric] = &m;
    }
    for (const auto& key : order) {
        html += QStringLiteral("<tr><td>%1</td><td>%2</td>")
                    .arg(key.first.toHtmlEscaped(), key.second.toHtmlEscaped());
        for (const QString& metric : metrics) {
            const MetricSummary* m = rows[key][metric];
            html += m ? QStringLiteral("<td title='min %2, max %3, %4 seeds'>%1 &plusmn; %5</td>")
                            .arg(QString::number(m->mean, 'g', 4), QString::number(m->min, 'g', 4),
                                 QString::number(m->max, 'g', 4))
                            .arg(m->count)
                            .arg(QString::number(m->stddev, 'g', 2))
                      : QStringLiteral("<td></td>");
        }
        html += QStringLiteral("</tr>\n");
    }
    return html + QStringLiteral("</table>\n");
}

QString indexHtml(const ComparisonResult& result, const ComparisonRequest& request,
                  const std::vector<std::pair<QString, LineChart>>& charts) {
    QString html = QStringLiteral(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>FreeSel comparison</title>\n"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:"
        "collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:"
        "#f3f3f3}figure{display:inline-block;margin:0 1em 1em 0}</style></head><body>\n");
    html += QStringLiteral("<h1>Strategies compared on %1</h1>\n<p>%2 images, %3 usable; backend "
                           "%4; %5 seed(s) per strategy and budget, from seed %6; tau %7, K %8, "
                           "eps %9.</p>\n")
                .arg(request.run.source.toHtmlEscaped())
                .arg(result.poolImages)
                .arg(result.usableImages)
                .arg(result.backend.toHtmlEscaped())
                .arg(request.seeds)
                .arg(request.run.seed)
                .arg(request.run.tau)
                .arg(request.run.clusters)
                .arg(request.run.eps);
    if (!result.labelsSource.isEmpty())
        html += QStringLiteral("<p>Labels: %1 (%2), %3 classes.</p>\n")
                    .arg(request.labelsPath.toHtmlEscaped(), result.labelsSource)
                    .arg(result.classNames.size());
    html += QStringLiteral("<p>Each cell: mean &plusmn; standard deviation over seeds (hover for "
                           "min and max). Data: <a href='summary.csv'>summary.csv</a>, "
                           "<a href='summary.json'>summary.json</a>.</p>\n");
    html += summaryTable(result);
    for (const auto& [name, chart] : charts)
        html += QStringLiteral("<figure id='%1'>%2</figure>\n").arg(name, chartSvg(chart));
    return html + QStringLiteral("</body></html>\n");
}

} // namespace

std::vector<std::pair<QString, LineChart>> comparisonCharts(const ComparisonResult& result) {
    std::vector<std::pair<QString, LineChart>> charts;
    LineChart coverage;
    coverage.title = QStringLiteral("Pattern coverage after each pick (first seed)");
    coverage.xLabel = QStringLiteral("images selected");
    coverage.yLabel = QStringLiteral("lower is better");
    for (const CoverageSeries& c : result.curves) {
        ChartSeries s{c.strategy, {}, {}, {}, {}, false};
        for (size_t i = 0; i < c.curve.size(); ++i) {
            s.x.push_back(double(i + 1));
            s.y.push_back(c.curve[i]);
        }
        coverage.series.push_back(s);
    }
    charts.emplace_back(QStringLiteral("coverage"), coverage);
    const std::vector<MetricSummary> summary = summarise(result.values);
    for (const MetricInfo& info : kMetrics)
        if (measured(result, QString::fromLatin1(info.key)))
            charts.emplace_back(QString::fromLatin1(info.key), metricChart(result, summary, info));
    return charts;
}

QString comparisonCsv(const ComparisonResult& result) {
    QString csv = QStringLiteral("strategy,budget,images,seed,metric,value\n");
    for (const MetricValue& v : result.values)
        csv += QStringLiteral("%1,%2,%3,%4,%5,%6\n")
                   .arg(v.strategy, v.budget)
                   .arg(v.images)
                   .arg(v.seedIndex < 0 ? QStringLiteral("expected") : QString::number(v.seed),
                        v.metric, number(v.value));
    return csv;
}

Result<QStringList> writeComparisonReport(const ComparisonResult& result,
                                          const ComparisonRequest& request, const QString& folder) {
    const QDir dir(folder);
    if (!QDir().mkpath(folder))
        return Error::userInput(QStringLiteral("--out %1: cannot create the folder").arg(folder));
    QStringList written;
    auto save = [&](const QString& name, const QByteArray& content) {
        const QString path = dir.filePath(name);
        const Status saved = saveFileAtomically(path, content);
        if (saved)
            written << path;
        return saved;
    };
    const auto charts = comparisonCharts(result);
    if (Status s = save(QStringLiteral("summary.csv"), comparisonCsv(result).toUtf8()); !s)
        return s.error();
    if (Status s = save(QStringLiteral("summary.json"),
                        QJsonDocument(resultJson(result, request)).toJson(QJsonDocument::Indented));
        !s)
        return s.error();
    for (const auto& [name, chart] : charts) {
        if (Status s = save(name + QStringLiteral(".svg"), chartSvg(chart).toUtf8()); !s)
            return s.error();
        const QString png = dir.filePath(name + QStringLiteral(".png"));
        if (Status s = writeChartPng(chart, png); !s)
            return s.error();
        written << png;
    }
    // Last: an index.html means the report is complete.
    if (Status s = save(QStringLiteral("index.html"), indexHtml(result, request, charts).toUtf8());
        !s)
        return s.error();
    return written;
}

} // namespace freesel
