// SPDX-License-Identifier: GPL-3.0-or-later
// Feature stores on the command line: `freesel merge` joins shard stores, `freesel info
// --store DIR` describes one.
#include "cli/command.h"
#include "cli/pipeline_options.h"
#include "store/feature_store.h"
#include "store/store_format.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace freesel {

namespace {

const QString kMergeUsage = QStringLiteral(
    "Usage: freesel merge --out DIR STORE...\n"
    "Joins the stores written by freesel extract --shard i/n (same backend, model and input\n"
    "size) into a new store at DIR, ordered like the pool. DIR must not hold a store yet.");

struct StoreCounts {
    int records = 0;    ///< in the log, superseded ones included
    int current = 0;    ///< the latest record of each path
    int ok = 0;         ///< current and usable
    int failed = 0;     ///< current and failed
    int superseded = 0; ///< older versions of a changed file
};

StoreCounts countRecords(const FeatureStore& store) {
    StoreCounts counts;
    counts.records = store.count();
    QHash<QString, int> latest;
    for (int i = 0; i < store.count(); ++i)
        latest.insert(store.entry(i).path, i);
    for (int i = 0; i < store.count(); ++i) {
        if (latest.value(store.entry(i).path) != i) {
            ++counts.superseded;
            continue;
        }
        ++counts.current;
        store.entry(i).ok ? ++counts.ok : ++counts.failed;
    }
    return counts;
}

} // namespace

int runMergeCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.addOption(QCommandLineOption(QStringLiteral("out"),
                                        QStringLiteral("The new, merged store folder."),
                                        QStringLiteral("DIR")));
    parser.addOption(QCommandLineOption(QStringLiteral("json"),
                                        QStringLiteral("Print a machine-readable summary.")));
    parser.addPositionalArgument(QStringLiteral("STORE..."),
                                 QStringLiteral("The shard stores, in any order."));
    if (!parseCommandLine(parser, arguments, kMergeUsage))
        return ExitOk;
    if (!parser.isSet(QStringLiteral("out")))
        throw UsageError(QStringLiteral("--out is required (the merged store folder)"));
    const QStringList inputs = parser.positionalArguments();
    if (inputs.isEmpty())
        throw UsageError(QStringLiteral("merge needs at least one STORE folder"));
    for (const QString& input : inputs)
        if (!QFileInfo::exists(QDir(input).filePath(QLatin1String(store_format::kHeaderFileName))))
            throw UsageError(QStringLiteral("no feature store at %1").arg(input));
    const QString out = parser.value(QStringLiteral("out"));
    mergeStores(inputs, out).throwIfFailed();
    FeatureStore merged;
    openStoreForReading(merged, out);
    const StoreCounts counts = countRecords(merged);
    if (parser.isSet(QStringLiteral("json"))) {
        printOut(QString::fromUtf8(
            QJsonDocument(
                QJsonObject{{QStringLiteral("out"), out},
                            {QStringLiteral("inputs"), QJsonArray::fromStringList(inputs)},
                            {QStringLiteral("records"), counts.records},
                            {QStringLiteral("ok"), counts.ok},
                            {QStringLiteral("failed"), counts.failed}})
                .toJson(QJsonDocument::Indented)));
    } else {
        printOut(QStringLiteral("merged %1 stores into %2: %3 images (%4 ok, %5 failed)")
                     .arg(inputs.size())
                     .arg(out)
                     .arg(counts.records)
                     .arg(counts.ok)
                     .arg(counts.failed));
    }
    return ExitOk;
}

int describeStore(const QString& folder, bool json, bool verify) {
    FeatureStore store;
    openStoreForReading(store, folder);
    const StoreCounts counts = countRecords(store);
    const StoreHeader& header = store.header();
    QString grid;
    for (const StoreEntry& entry : store.entries()) {
        if (entry.ok) {
            grid = QStringLiteral("%1x%2 patches, d=%3, radius %4")
                       .arg(entry.grid.rows)
                       .arg(entry.grid.cols)
                       .arg(entry.dims)
                       .arg(entry.radius);
            break;
        }
    }
    const QStringList problems = verify ? store.verify() : QStringList();
    const qint64 logBytes =
        QFileInfo(QDir(folder).filePath(QLatin1String(store_format::kRecordsFileName))).size();
    QJsonObject info{{QStringLiteral("store"), QFileInfo(folder).absoluteFilePath()},
                     {QStringLiteral("fingerprint"), header.fingerprint.canonical()},
                     {QStringLiteral("backend"), header.fingerprint.backend},
                     {QStringLiteral("input"), header.fingerprint.input},
                     {QStringLiteral("radius"), header.fingerprint.radius},
                     {QStringLiteral("patterns_only"), header.patternsOnly},
                     {QStringLiteral("created"), header.created},
                     {QStringLiteral("features"), grid},
                     {QStringLiteral("records"), counts.records},
                     {QStringLiteral("images"), counts.current},
                     {QStringLiteral("ok"), counts.ok},
                     {QStringLiteral("failed"), counts.failed},
                     {QStringLiteral("superseded"), counts.superseded},
                     {QStringLiteral("log_bytes"), double(logBytes)},
                     {QStringLiteral("torn_bytes"), double(store.tornBytesRemoved())}};
    if (verify)
        info.insert(QStringLiteral("problems"), QJsonArray::fromStringList(problems));
    if (json) {
        printOut(QString::fromUtf8(QJsonDocument(info).toJson(QJsonDocument::Indented)));
    } else {
        for (const QString& key :
             {QStringLiteral("store"), QStringLiteral("fingerprint"), QStringLiteral("created"),
              QStringLiteral("features"), QStringLiteral("records"), QStringLiteral("images"),
              QStringLiteral("ok"), QStringLiteral("failed"), QStringLiteral("superseded"),
              QStringLiteral("log_bytes"), QStringLiteral("torn_bytes")})
            printOut(QStringLiteral("%1 %2")
                         .arg(key + QLatin1Char(':'), -13)
                         .arg(info.value(key).toVariant().toString()));
        if (store.tornBytesRemoved() > 0)
            printOut(QStringLiteral("note: the log ends with a record a killed writer left "
                                    "half-written; the next extract removes it"));
        if (verify)
            printOut(problems.isEmpty() ? QStringLiteral("verify:      every checksum matches")
                                        : QStringLiteral("verify:      ") +
                                              problems.join(QStringLiteral("\n             ")));
    }
    return problems.isEmpty() ? ExitOk : ExitBadInput;
}

} // namespace freesel
