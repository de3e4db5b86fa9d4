// SPDX-License-Identifier: GPL-3.0-or-later
#include "compare/comparison.h"

#include "clip_stage.h"
#include "compare/selection_metrics.h"
#include "image/image_list.h"
#include "pipeline_session.h"
#include "selection/clip_labels.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QMap>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace freesel {

namespace {

[[noreturn]] void refuse(const QString& message) {
    throw std::invalid_argument(message.toStdString());
}

struct LoadedLabels {
    PoolLabels labels; ///< per pool image
    QString source;
};

/// A folder is ImageFolder, .json COCO, anything else a CSV "path,label".
LoadedLabels loadLabels(const QString& path, const QString& root, const QStringList& images) {
    const QFileInfo info(path);
    if (!info.exists())
        refuse(QStringLiteral("--labels %1: no such file or folder").arg(path));
    if (info.isDir())
        return {labelsFromFolders(path, images), QStringLiteral("folders")};
    if (info.suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) == 0)
        return {labelsFromCoco(path, root, images), QStringLiteral("coco")};
    return {labelsFromCsv(path, root, images), QStringLiteral("csv")};
}

/// Labels and boxes of the usable images, in PoolPatterns order.
struct UsableLabels {
    std::vector<int> labels;
    std::vector<std::vector<int>> boxes; ///< empty unless COCO
    int classCount = 0;
};

UsableLabels usableLabels(const PoolLabels& pool, const std::vector<int>& poolIndex) {
    UsableLabels out;
    out.classCount = int(pool.classNames.size());
    for (int index : poolIndex) {
        out.labels.push_back(pool.labels[size_t(index)]);
        if (!pool.boxLabels.empty())
            out.boxes.push_back(pool.boxLabels[size_t(index)]);
    }
    return out;
}

/// Per pool image: its usable-image index (its row of PoolPatterns), or -1.
std::vector<int> usableIndexOf(const std::vector<int>& poolIndex, int poolSize) {
    std::vector<int> usableOf(size_t(poolSize), -1);
    for (size_t k = 0; k < poolIndex.size(); ++k)
        usableOf[size_t(poolIndex[k])] = int(k);
    return usableOf;
}

struct RunContext {
    const ComparisonRequest& request;
    PipelineSession& session;
    const UsableLabels* labels;
    ComparisonResult& result;
};

/// Adds every metric of one run; returns its pattern-coverage curve.
/// `seconds` < 0: not timed (a selection made elsewhere).
std::vector<double> addMetrics(RunContext& context, const MetricValue& base,
                               const std::vector<int>& chosen, double seconds) {
    const PoolPatterns& patterns = context.session.patterns();
    auto add = [&](const char* metric, double value) {
        MetricValue v = base;
        v.metric = QString::fromLatin1(metric);
        v.value = value;
        context.result.values.push_back(v);
    };
    if (seconds >= 0)
        add("seconds", seconds);
    const std::vector<double> curve =
        patternCoverageCurve(patterns.patterns, chosen, context.request.run.threads);
    add("pattern_coverage", curve.empty() ? 0.0 : curve.back());
    const GlobalCoverage global = globalCoverage(patterns.global, chosen);
    add("global_mean_distance", global.meanDistance);
    add("global_radius", global.radius);
    add("redundancy", redundancy(patterns.global, chosen));
    if (context.labels) {
        const LabelMetrics l =
            labelMetrics(context.labels->labels, context.labels->classCount, chosen);
        add("classes_covered", l.classesCovered);
        add("label_entropy", l.entropy);
        add("label_kl", l.klDivergence);
        add("smallest_class_share", l.smallestClassShare);
        if (!context.labels->boxes.empty()) {
            const InstanceMetrics i = instanceMetrics(context.labels->boxes, chosen);
            add("instances", double(i.instances));
            add("categories_covered", i.categoriesCovered);
        }
    }
    return curve;
}

SelectionResult runOne(PipelineSession& session, const RunParameters& run, StrategyKind kind,
                       const SelectionRequest& request, const std::atomic<bool>* cancel) {
    if (kind == StrategyKind::Clip) { // deterministic: every seed selects the same images
        const ClipBackend& clip =
            requireClipBackend(*session.backend().backend, "--strategies clip");
        ClipSelectionScores scores;
        return selectClip(clip, session.store(), *session.pool(), session.poolRoot(),
                          session.records(), request.budget, run.clipOptions(), scores);
    }
    if (kind != StrategyKind::Elfs)
        return selectImages(session.patterns(), kind, request);
    ElfsResult elfs;
    SelectionResult result =
        selectElfs(session.store(), session.patterns(), request, run.elfsParameters(), elfs, {},
                   cancel, session.pool().get());
    if (elfs.cancelled)
        throw StageCancelled(QStringLiteral("compare"));
    return result;
}

void addRandomExpectation(RunContext& context, const BudgetSpec& budget, int64_t images) {
    std::vector<int64_t> sizes(size_t(context.labels->classCount), 0);
    for (int label : context.labels->labels)
        if (label >= 0)
            ++sizes[size_t(label)];
    MetricValue v;
    v.strategy = QStringLiteral("random");
    v.budget = budget.text;
    v.images = images;
    v.seedIndex = -1;
    v.metric = QStringLiteral("classes_covered");
    v.value = expectedClassesCoveredByRandom(sizes, int64_t(context.labels->labels.size()), images);
    context.result.values.push_back(v);
}

void checkRequest(const ComparisonRequest& request) {
    if (request.strategies.empty() && request.evaluated.empty())
        refuse(QStringLiteral("--strategies: name at least one strategy (or --evaluate a "
                              "selection)"));
    if (!request.strategies.empty() && request.budgets.empty())
        refuse(QStringLiteral("--budgets: give at least one budget"));
    if (request.seeds < 1 || request.seeds > 100)
        refuse(QStringLiteral("--seeds must be 1 to 100, got %1").arg(request.seeds));
}

/// The selections of --evaluate, each file one seed index, its size its budget.
void addEvaluated(RunContext& context, const std::vector<int>& usableOf) {
    const std::vector<PoolEntry>& pool = *context.session.pool();
    for (const EvaluatedSelection& evaluated : context.request.evaluated) {
        for (size_t s = 0; s < evaluated.lists.size(); ++s) {
            const PoolImageMatch match = matchPoolImages(pool, evaluated.lists[s]);
            std::vector<int> chosen, poolImages;
            for (int index : match.poolIndices)
                if (usableOf[size_t(index)] >= 0) {
                    chosen.push_back(usableOf[size_t(index)]);
                    poolImages.push_back(index);
                }
            const qsizetype missing = evaluated.lists[s].size() - qsizetype(chosen.size());
            if (missing > 0) // a selection measured on fewer images than it holds must say so
                context.result.notes << QStringLiteral("--evaluate %1: %2 of the %3 images of %4 "
                                                       "are not usable images of this pool")
                                            .arg(evaluated.name)
                                            .arg(missing)
                                            .arg(evaluated.lists[s].size())
                                            .arg(evaluated.files.value(qsizetype(s)));
            const QString budget = QString::number(chosen.size());
            const MetricValue base{
                evaluated.name, budget, int64_t(chosen.size()), int(s), 0, {}, 0.0};
            std::vector<double> curve = addMetrics(context, base, chosen, -1.0);
            if (s == 0)
                context.result.curves.push_back({evaluated.name, std::move(curve)});
            context.result.selections.push_back(
                {evaluated.name, budget, int(s), std::move(poolImages)});
        }
    }
}

} // namespace

int64_t BudgetSpec::resolve(int usableImages) const {
    const int64_t images = percent ? int64_t(std::llround(usableImages * value / 100.0))
                                   : int64_t(std::llround(value));
    if (images < 1)
        refuse(QStringLiteral("--budgets: %1 of %2 usable images is no image; use a larger "
                              "budget")
                   .arg(text)
                   .arg(usableImages));
    return std::min<int64_t>(images, usableImages);
}

std::vector<BudgetSpec> parseBudgetList(const QString& text) {
    std::vector<BudgetSpec> out;
    for (const QString& raw : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        BudgetSpec budget;
        budget.text = raw.trimmed();
        budget.percent = budget.text.endsWith(QLatin1Char('%'));
        bool ok = false;
        budget.value = (budget.percent ? budget.text.chopped(1) : budget.text).toDouble(&ok);
        if (!ok || budget.value <= 0 || (budget.percent && budget.value > 100) ||
            (!budget.percent && budget.value != std::floor(budget.value)))
            refuse(QStringLiteral("--budgets: '%1' is neither a count >= 1 nor a percentage in "
                                  "(0, 100]%")
                       .arg(budget.text));
        out.push_back(budget);
    }
    return out;
}

EvaluatedSelection parseEvaluatedSelection(const QString& text) {
    const qsizetype equals = text.indexOf(QLatin1Char('='));
    EvaluatedSelection out;
    out.name = text.left(equals).trimmed();
    if (equals <= 0 || out.name.isEmpty())
        refuse(QStringLiteral("--evaluate: '%1' is not NAME=FILE[,FILE...]").arg(text));
    out.files = text.mid(equals + 1).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (out.files.isEmpty())
        refuse(QStringLiteral("--evaluate %1: name at least one selection file").arg(out.name));
    for (const QString& file : out.files) {
        const Result<QStringList> list = readImageList(file);
        if (!list)
            refuse(QStringLiteral("--evaluate %1: %2").arg(out.name, list.message()));
        if (list->isEmpty())
            refuse(QStringLiteral("--evaluate %1: %2 names no image").arg(out.name, file));
        out.lists.push_back(list.value());
    }
    return out;
}

std::vector<StrategyKind> parseStrategyList(const QString& text) {
    std::vector<StrategyKind> out;
    for (const QString& raw : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        try {
            const StrategyKind kind = parseStrategyKind(raw.trimmed().toStdString());
            if (std::find(out.begin(), out.end(), kind) == out.end())
                out.push_back(kind);
        } catch (const std::invalid_argument& error) {
            refuse(QStringLiteral("--strategies: ") + QString::fromUtf8(error.what()));
        }
    }
    return out;
}

std::vector<MetricSummary> summarise(const std::vector<MetricValue>& values) {
    // Keyed in first-seen order, so the summary follows the order of the runs.
    QMap<QString, int> indexOf;
    std::vector<MetricSummary> out;
    std::vector<std::vector<double>> samples;
    for (const MetricValue& v : values) {
        if (v.seedIndex < 0)
            continue; // expectations are not samples
        const QString key = v.strategy + QLatin1Char('|') + v.budget + QLatin1Char('|') + v.metric;
        auto it = indexOf.find(key);
        if (it == indexOf.end()) {
            it = indexOf.insert(key, int(out.size()));
            out.push_back({v.strategy, v.budget, v.metric, v.images});
            samples.emplace_back();
        }
        samples[size_t(*it)].push_back(v.value);
    }
    for (size_t k = 0; k < out.size(); ++k) {
        const std::vector<double>& s = samples[k];
        MetricSummary& m = out[k];
        m.count = int(s.size());
        m.min = *std::min_element(s.begin(), s.end());
        m.max = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (double x : s)
            sum += x;
        m.mean = sum / double(s.size());
        double squares = 0;
        for (double x : s)
            squares += (x - m.mean) * (x - m.mean);
        m.stddev = s.size() > 1 ? std::sqrt(squares / double(s.size() - 1)) : 0.0;
    }
    return out;
}

ComparisonResult runComparison(PipelineSession& session, const ComparisonRequest& request,
                               const ComparisonProgress& progress,
                               const std::atomic<bool>* cancel) {
    checkRequest(request);
    const RunParameters& run = request.run;
    session.scan(run);
    session.prepareBackend(run);
    session.openStore(run, StoreAccess::Write);
    session.extract(run);
    session.computePatterns(run);

    ComparisonResult result;
    const PoolPatterns& patterns = session.patterns();
    result.poolImages = int(session.pool()->size());
    result.usableImages = int(patterns.poolIndex.size());
    result.backend = session.backend().backend->name();
    if (result.usableImages == 0)
        refuse(QStringLiteral("%1: no usable image to compare selections on").arg(run.source));

    for (const PoolEntry& entry : *session.pool())
        result.poolPaths << entry.path;
    LoadedLabels loaded;
    UsableLabels labels;
    if (!request.labelsPath.isEmpty()) {
        loaded = loadLabels(request.labelsPath, session.poolRoot(), result.poolPaths);
        labels = usableLabels(loaded.labels, patterns.poolIndex);
        result.labelsSource = loaded.source;
        result.classNames = loaded.labels.classNames;
    }
    RunContext context{request, session, request.labelsPath.isEmpty() ? nullptr : &labels, result};

    const std::vector<int> usableOf = usableIndexOf(patterns.poolIndex, result.poolImages);
    const int total = int(request.strategies.size() * request.budgets.size()) * request.seeds;
    int done = 0;
    int64_t largest = 0;
    // Budgets belong to the strategies: with only --evaluate, none is resolved (or refused).
    const std::vector<BudgetSpec> budgets =
        request.strategies.empty() ? std::vector<BudgetSpec>{} : request.budgets;
    for (const BudgetSpec& budget : budgets)
        largest = std::max(largest, budget.resolve(result.usableImages));
    for (const BudgetSpec& budget : budgets) {
        const int64_t images = budget.resolve(result.usableImages);
        if (context.labels)
            addRandomExpectation(context, budget, images);
        for (StrategyKind kind : request.strategies) {
            const QString name = QString::fromStdString(strategyName(kind));
            for (int s = 0; s < request.seeds; ++s) {
                if (cancel && cancel->load())
                    throw StageCancelled(QStringLiteral("compare"));
                SelectionRequest selection;
                selection.budget = images;
                selection.seed = run.seed + quint64(s);
                selection.threads = run.threads;
                QElapsedTimer timer;
                timer.start();
                const SelectionResult picked = runOne(session, run, kind, selection, cancel);
                const double seconds = double(timer.nsecsElapsed()) * 1e-9;
                std::vector<int> chosen;
                for (const Pick& pick : picked.picks)
                    chosen.push_back(usableOf[size_t(pick.image)]);
                MetricValue base{name, budget.text, images, s, selection.seed, {}, 0.0};
                std::vector<double> curve = addMetrics(context, base, chosen, seconds);
                const bool hasCurve =
                    std::any_of(result.curves.begin(), result.curves.end(),
                                [&](const CoverageSeries& c) { return c.strategy == name; });
                if (s == 0 && images == largest && !hasCurve)
                    result.curves.push_back({name, std::move(curve)});
                RunSelection kept{name, budget.text, s, {}};
                for (const Pick& pick : picked.picks)
                    kept.poolImages.push_back(pick.image);
                result.selections.push_back(std::move(kept));
                ++done;
                if (progress && !progress(done, total, name + QLatin1Char(' ') + budget.text))
                    throw StageCancelled(QStringLiteral("compare"));
            }
        }
    }
    addEvaluated(context, usableOf);
    return result;
}

} // namespace freesel
