// SPDX-License-Identifier: GPL-3.0-or-later
// freesel extract POOL: decode + backbone into the feature store and nothing else, optionally
// for one shard of the pool (--shard i/n, e.g. one task of a Slurm array); `freesel merge`
// then joins the shard stores.
#include "cli/command.h"
#include "cli/interrupt.h"
#include "cli/pipeline_options.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <stdexcept>

namespace freesel {

namespace {

const QString kUsage = QStringLiteral(
    "Usage: freesel extract POOL [--store DIR] [--backend NAME] [--shard i/n] [options]\n"
    "Runs decode and the backbone for every image of POOL (or of its shard) that the feature\n"
    "store lacks, and stops there. A killed run resumes where it stopped. Shards write one\n"
    "store each (--store is then required); join them with freesel merge.");

} // namespace

int runExtractCommand(const QStringList& arguments) {
    QElapsedTimer timer;
    timer.start();
    QCommandLineParser parser;
    parser.addOption(QCommandLineOption(
        QStringLiteral("shard"),
        QStringLiteral("Extract only images k with k % n == i - 1 (1 <= i <= n)."),
        QStringLiteral("i/n")));
    PipelineOptions options(parser, false);
    if (!parseCommandLine(parser, arguments, kUsage))
        return ExitOk;
    options.read(QStringLiteral("extract"));
    Shard shard;
    if (parser.isSet(QStringLiteral("shard"))) {
        try {
            shard = parseShard(parser.value(QStringLiteral("shard")));
        } catch (const std::invalid_argument& error) {
            throw UsageError(QString::fromStdString(error.what()));
        }
        if (options.run.storeDir.isEmpty())
            throw UsageError(QStringLiteral("--shard needs --store DIR: one store per shard, "
                                            "joined afterwards with freesel merge"));
    }

    CliSessionOutput output(!options.json);
    PipelineSession session(&output, catchInterrupts());
    session.scan(options.run);
    session.prepareBackend(options.run);
    session.openStore(options.run, StoreAccess::Write);
    const FeatureStore& store = session.store();
    const QString storeDir = session.storeFolderFor(options.run);
    const qint64 tornBytes = store.tornBytesRemoved();
    try {
        session.extract(options.run, shard);
    } catch (const StageCancelled& stop) {
        return reportInterrupted(session, stop, storeDir);
    }
    const ExtractionReport& report = session.extraction();
    const BackendSelection& backend = session.backend();
    const std::vector<PoolEntry>& pool = *session.pool();

    QJsonArray failed;
    const std::vector<int>& records = session.records();
    for (size_t i = 0; i < records.size(); ++i) {
        if (!shard.contains(int(i)) || records[i] < 0 || store.entry(records[i]).ok)
            continue;
        failed.append(QJsonObject{{QStringLiteral("path"), pool[i].path},
                                  {QStringLiteral("error"), store.entry(records[i]).error}});
    }
    const double seconds = timer.nsecsElapsed() * 1e-9;
    const QString shardText = QStringLiteral("%1/%2").arg(shard.index + 1).arg(shard.count);
    if (options.json) {
        const QJsonObject summary{{QStringLiteral("pool"), options.run.source},
                                  {QStringLiteral("store"), storeDir},
                                  {QStringLiteral("backend"), backend.backend->name()},
                                  {QStringLiteral("model"), backend.modelName},
                                  {QStringLiteral("device"), backend.backend->deviceDescription()},
                                  {QStringLiteral("precision"), backend.backend->precision()},
                                  {QStringLiteral("shard"), shardText},
                                  {QStringLiteral("images"), report.total},
                                  {QStringLiteral("extracted"), report.extracted},
                                  {QStringLiteral("reused"), report.reused},
                                  {QStringLiteral("failed"), failed},
                                  {QStringLiteral("records"), store.count()},
                                  {QStringLiteral("torn_bytes_removed"), double(tornBytes)},
                                  {QStringLiteral("seconds"), seconds},
                                  {QStringLiteral("decode_wait_seconds"), report.decodeWaitSeconds},
                                  {QStringLiteral("network_seconds"), report.networkSeconds},
                                  {QStringLiteral("store_seconds"), report.storeSeconds}};
        printOut(QString::fromUtf8(QJsonDocument(summary).toJson(QJsonDocument::Indented)));
        return ExitOk;
    }
    if (tornBytes > 0)
        printError(QStringLiteral("resumed: removed %1 bytes of a record a killed run left "
                                  "half-written")
                       .arg(tornBytes));
    for (const QJsonValue& value : failed)
        printError(skippedImageLine(value[QStringLiteral("path")].toString(),
                                    value[QStringLiteral("error")].toString()));
    // Which stage bounded the rate: the answer to "more decode threads, a faster GPU or a
    // faster disk?"
    const QString parts =
        report.extracted == 0
            ? QString()
            : QStringLiteral(
                  ": %1 s waiting for decoding, %2 s in the network, %3 s waiting on the "
                  "store's writes")
                  .arg(report.decodeWaitSeconds, 0, 'f', 1)
                  .arg(report.networkSeconds, 0, 'f', 1)
                  .arg(report.storeSeconds, 0, 'f', 1);
    printOut(QStringLiteral("%1 images%2: %3 extracted now, %4 already in the store, %5 skipped "
                            "-> %6 (%7 s%8)")
                 .arg(report.total)
                 .arg(shard.count > 1 ? QStringLiteral(" (shard %1)").arg(shardText) : QString())
                 .arg(report.extracted)
                 .arg(report.reused)
                 .arg(failed.size())
                 .arg(storeDir)
                 .arg(seconds, 0, 'f', 1)
                 .arg(parts));
    return ExitOk;
}

} // namespace freesel
