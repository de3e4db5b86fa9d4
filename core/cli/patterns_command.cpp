// SPDX-License-Identifier: GPL-3.0-or-later
// freesel patterns POOL: the pattern stage (tau, K, eps) from the feature store alone, with a
// summary of how many semantic patterns each image gave. Never runs the network: a pool the
// store does not cover is refused with the extract command to run.
#include "cli/command.h"
#include "cli/pipeline_options.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <map>

namespace freesel {

namespace {

const QString kUsage = QStringLiteral(
    "Usage: freesel patterns POOL [--store DIR] [--tau T] [--K K] [--eps E] [--seed S] [--json]\n"
    "Computes the semantic patterns of every pool image from the feature store (freesel\n"
    "extract fills it) and summarises them. Use it to try tau, K and eps before selecting.");

QString quoted(const QString& text) {
    return text.contains(QLatin1Char(' ')) ? QLatin1Char('\'') + text + QLatin1Char('\'') : text;
}

} // namespace

int runPatternsCommand(const QStringList& arguments) {
    QElapsedTimer timer;
    timer.start();
    QCommandLineParser parser;
    PipelineOptions options(parser, true);
    if (!parseCommandLine(parser, arguments, kUsage))
        return ExitOk;
    options.read(QStringLiteral("patterns"));
    const RunParameters& run = options.run;
    // Nothing runs on the backend here: it is needed only to name the default store.
    CliSessionOutput output(false);
    PipelineSession session(&output);
    session.scan(run);
    if (run.storeDir.isEmpty())
        session.prepareBackend(run);
    const QString storeDir = session.storeFolderFor(run);
    const QString extractHint = QStringLiteral("run freesel extract %1 --store %2 first")
                                    .arg(quoted(run.source), quoted(storeDir));
    if (!QFileInfo::exists(storeDir))
        throw UsageError(QStringLiteral("no feature store at %1: %2").arg(storeDir, extractHint));
    session.openStore(run, StoreAccess::Read); // a refusal is a Failure of the user's: exit 2
    const FeatureStore& store = session.store();
    validatePatternParameters(run.patternParameters(), store.header().fingerprint.radius);

    const std::vector<PoolEntry>& pool = *session.pool();
    const std::vector<int>& records = session.records();
    const auto missing = std::count(records.begin(), records.end(), -1);
    if (missing > 0) {
        const auto first = std::find(records.begin(), records.end(), -1) - records.begin();
        throw UsageError(
            QStringLiteral("%1 of the %2 images of %3 are not in the store %4 (first: %5): %6")
                .arg(missing)
                .arg(pool.size())
                .arg(run.source, storeDir, pool[size_t(first)].path, extractHint));
    }
    session.computePatterns(run);
    const PoolPatterns& patterns = session.patterns();

    std::map<int, int> histogram; // pattern count -> images
    QJsonArray perImage;
    int64_t total = 0;
    int least = 0, most = 0;
    const int usable = static_cast<int>(patterns.poolIndex.size());
    for (int k = 0; k < usable; ++k) {
        const int count = patterns.patterns.patternCountOf(k);
        ++histogram[count];
        total += count;
        least = k == 0 ? count : std::min(least, count);
        most = std::max(most, count);
        perImage.append(
            QJsonObject{{QStringLiteral("path"), pool[size_t(patterns.poolIndex[k])].path},
                        {QStringLiteral("n_patterns"), count}});
    }
    QJsonArray failed;
    for (size_t i = 0; i < records.size(); ++i)
        if (!store.entry(records[i]).ok)
            failed.append(QJsonObject{{QStringLiteral("path"), pool[i].path},
                                      {QStringLiteral("error"), store.entry(records[i]).error}});
    const double mean = usable > 0 ? double(total) / usable : 0.0;
    const double seconds = timer.nsecsElapsed() * 1e-9;
    if (options.json) {
        QJsonObject counts;
        for (const auto& [count, images] : histogram)
            counts.insert(QString::number(count), images);
        printOut(QString::fromUtf8(
            QJsonDocument(QJsonObject{{QStringLiteral("pool"), run.source},
                                      {QStringLiteral("store"), storeDir},
                                      {QStringLiteral("tau"), run.tau},
                                      {QStringLiteral("K"), run.clusters},
                                      {QStringLiteral("eps"), run.eps},
                                      {QStringLiteral("seed"), QString::number(run.seed)},
                                      {QStringLiteral("images"), int(pool.size())},
                                      {QStringLiteral("usable"), usable},
                                      {QStringLiteral("failed"), failed},
                                      {QStringLiteral("patterns"), double(total)},
                                      {QStringLiteral("min"), least},
                                      {QStringLiteral("mean"), mean},
                                      {QStringLiteral("max"), most},
                                      {QStringLiteral("histogram"), counts},
                                      {QStringLiteral("per_image"), perImage},
                                      {QStringLiteral("seconds"), seconds}})
                .toJson(QJsonDocument::Indented)));
        return ExitOk;
    }
    printOut(QStringLiteral("%1 patterns from %2 images (tau %3, K %4, eps %5): %6 to %7 per "
                            "image, mean %8; %9 images skipped; %10 s")
                 .arg(total)
                 .arg(usable)
                 .arg(run.tau)
                 .arg(run.clusters)
                 .arg(run.eps)
                 .arg(least)
                 .arg(most)
                 .arg(mean, 0, 'f', 2)
                 .arg(failed.size())
                 .arg(seconds, 0, 'f', 1));
    for (const auto& [count, images] : histogram)
        printOut(QStringLiteral("  %1 patterns: %2 images").arg(count, 3).arg(images));
    return ExitOk;
}

} // namespace freesel
