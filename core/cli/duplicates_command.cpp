// SPDX-License-Identifier: GPL-3.0-or-later
// freesel duplicates POOL: near-identical images from the stored [CLS] features (no network),
// in groups with the one to keep and why; --out writes the groups as CSV or JSON.
#include "cli/command.h"
#include "cli/pipeline_options.h"
#include "selection/near_duplicates.h"
#include "util/save_file.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace freesel {

namespace {

const QString kUsage = QStringLiteral(
    "Usage: freesel duplicates POOL [--threshold S] [--out FILE.csv|FILE.json] [--store DIR]\n"
    "Finds near-duplicate images from the feature store (freesel extract or select fills it):\n"
    "images whose global features have a cosine similarity of at least S (default 0.95) are\n"
    "grouped; the largest file of each group is kept (the first in pool order on a tie).");

/// The usable pool images and their [CLS] features, in pool order.
struct GlobalFeatures {
    std::vector<int> poolIndex;
    PatternPool features;
};

GlobalFeatures readGlobalFeatures(const FeatureStore& store, const std::vector<int>& records) {
    GlobalFeatures out;
    for (int i = 0; i < static_cast<int>(records.size()); ++i) {
        if (records[size_t(i)] < 0 || !store.entry(records[size_t(i)]).ok)
            continue;
        const std::vector<float> cls = store.load(records[size_t(i)]).clsToken;
        if (out.poolIndex.empty())
            out.features = PatternPool(static_cast<int>(cls.size()));
        out.features.addImage(cls.data(), 1);
        out.poolIndex.push_back(i);
    }
    return out;
}

QString keepReason(const DuplicateGroup& group, const std::vector<PoolEntry>& pool,
                   const std::vector<int>& poolIndex) {
    const qint64 kept = pool[size_t(poolIndex[size_t(group.keep)])].size;
    for (int member : group.members)
        if (member != group.keep && pool[size_t(poolIndex[size_t(member)])].size >= kept)
            return QStringLiteral("first in pool order (no larger file)");
    return QStringLiteral("largest file (%1 bytes)").arg(kept);
}

QByteArray groupsAsCsv(const QJsonArray& groups) {
    QByteArray csv = "group,path,keep,reason,min_similarity,max_similarity\n";
    auto quoted = [](QString text) {
        return '"' + text.replace(QLatin1Char('"'), QStringLiteral("\"\"")).toUtf8() + '"';
    };
    for (int g = 0; g < groups.size(); ++g) {
        const QJsonObject group = groups[g].toObject();
        const QString keep = group.value(QStringLiteral("keep")).toString();
        for (const QJsonValue& member : group.value(QStringLiteral("members")).toArray()) {
            const bool kept = member.toString() == keep;
            csv += QByteArray::number(g + 1) + ',' + quoted(member.toString()) + ',' +
                   (kept ? "1," : "0,") +
                   (kept ? quoted(group.value(QStringLiteral("reason")).toString()) : "\"\"") +
                   ',' +
                   QByteArray::number(group.value(QStringLiteral("min_similarity")).toDouble(), 'f',
                                      4) +
                   ',' +
                   QByteArray::number(group.value(QStringLiteral("max_similarity")).toDouble(), 'f',
                                      4) +
                   '\n';
        }
    }
    return csv;
}

void checkOutPath(const QString& out) {
    const QString suffix = QFileInfo(out).suffix().toLower();
    if (suffix != QLatin1String("csv") && suffix != QLatin1String("json"))
        throw UsageError(
            QStringLiteral("--out %1: the file name must end in .csv or .json").arg(out));
}

} // namespace

int runDuplicatesCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    PipelineOptions options(parser, false);
    addOption(parser, QStringLiteral("threshold"),
              QStringLiteral("Cosine similarity of the global features at or above which two "
                             "images are near-duplicates, in (0, 1] (default 0.95)."),
              QStringLiteral("S"), QStringLiteral("0.95"));
    addOption(parser, QStringLiteral("out"),
              QStringLiteral("Write the groups to FILE (.csv: one row per image; .json)."),
              QStringLiteral("FILE"));
    if (!parseCommandLine(parser, arguments, kUsage))
        return ExitOk;
    options.read(QStringLiteral("duplicates"));
    const double threshold = numberOption(parser, QStringLiteral("threshold"));
    if (!(threshold > 0.0 && threshold <= 1.0))
        throw UsageError(QStringLiteral("--threshold %1 is outside (0, 1]: it is a cosine "
                                        "similarity, 1 for identical features")
                             .arg(threshold));
    const QString out = parser.value(QStringLiteral("out"));
    if (!out.isEmpty())
        checkOutPath(out);
    const RunParameters& run = options.run;
    CliSessionOutput output(false);
    PipelineSession session(&output);
    session.scan(run);
    if (run.storeDir.isEmpty())
        session.prepareBackend(run); // names the default store only; nothing is extracted
    const QString storeDir = session.storeFolderFor(run);
    if (!QFileInfo::exists(storeDir))
        throw UsageError(QStringLiteral("no feature store at %1: run freesel extract %2 (or "
                                        "select) first")
                             .arg(storeDir, run.source));
    session.openStore(run, StoreAccess::Read);
    const std::vector<PoolEntry>& pool = *session.pool();
    const GlobalFeatures global = readGlobalFeatures(session.store(), session.records());
    std::vector<double> sizes;
    for (int i : global.poolIndex)
        sizes.push_back(double(pool[size_t(i)].size));
    const std::vector<DuplicateGroup> groups =
        findNearDuplicates(global.features, threshold, sizes);

    QJsonArray jsonGroups;
    int redundant = 0;
    for (const DuplicateGroup& group : groups) {
        QJsonArray members;
        for (int member : group.members)
            members.append(pool[size_t(global.poolIndex[size_t(member)])].path);
        redundant += static_cast<int>(group.members.size()) - 1;
        jsonGroups.append(QJsonObject{
            {QStringLiteral("members"), members},
            {QStringLiteral("keep"), pool[size_t(global.poolIndex[size_t(group.keep)])].path},
            {QStringLiteral("reason"), keepReason(group, pool, global.poolIndex)},
            {QStringLiteral("min_similarity"), group.minSimilarity},
            {QStringLiteral("max_similarity"), group.maxSimilarity}});
    }
    const QJsonObject report{{QStringLiteral("pool"), run.source},
                             {QStringLiteral("store"), storeDir},
                             {QStringLiteral("threshold"), threshold},
                             {QStringLiteral("images"), int(global.poolIndex.size())},
                             {QStringLiteral("redundant"), redundant},
                             {QStringLiteral("groups"), jsonGroups}};
    if (!out.isEmpty()) {
        const bool csv = QFileInfo(out).suffix().toLower() == QLatin1String("csv");
        saveFileAtomically(out, csv ? groupsAsCsv(jsonGroups)
                                    : QJsonDocument(report).toJson(QJsonDocument::Indented))
            .throwIfFailed();
    }
    if (options.json) {
        printOut(QString::fromUtf8(QJsonDocument(report).toJson(QJsonDocument::Indented)));
        return ExitOk;
    }
    printOut(QStringLiteral("%1 groups of near-duplicates among %2 images (cosine >= %3): %4 "
                            "images could go")
                 .arg(groups.size())
                 .arg(global.poolIndex.size())
                 .arg(threshold)
                 .arg(redundant));
    for (int g = 0; g < jsonGroups.size(); ++g) {
        const QJsonObject group = jsonGroups[g].toObject();
        printOut(QStringLiteral("group %1 (similarity %2 to %3): keep %4 (%5)")
                     .arg(g + 1)
                     .arg(group.value(QStringLiteral("min_similarity")).toDouble(), 0, 'f', 3)
                     .arg(group.value(QStringLiteral("max_similarity")).toDouble(), 0, 'f', 3)
                     .arg(group.value(QStringLiteral("keep")).toString(),
                          group.value(QStringLiteral("reason")).toString()));
        for (const QJsonValue& member : group.value(QStringLiteral("members")).toArray())
            if (member.toString() != group.value(QStringLiteral("keep")).toString())
                printOut(QStringLiteral("  drop %1").arg(member.toString()));
    }
    if (!out.isEmpty())
        printError(QStringLiteral("wrote %1").arg(out));
    return ExitOk;
}

} // namespace freesel
