// SPDX-License-Identifier: GPL-3.0-or-later
// freesel search POOL "TEXT": the pool ranked by CLIP similarity to a text. Extracts first what
// the store lacks (as select does), then encodes only the text.
#include "backbone/clip_backend.h"
#include "cli/command.h"
#include "cli/interrupt.h"
#include "cli/pipeline_options.h"
#include "clip_stage.h"
#include "util/save_file.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace freesel {

namespace {

const QString kUsage = QStringLiteral(
    "Usage: freesel search POOL \"TEXT\" [--top N] [--out FILE] [--json] [options]\n"
    "Ranks the images of POOL by the cosine of their CLIP image embedding with the CLIP text\n"
    "embedding of TEXT, best first: one path per line (or JSON with the scores), on stdout or\n"
    "in --out. Runs the CLIP backend (--backend auto means clip here) over what the store\n"
    "lacks first.");

QByteArray hitsText(const std::vector<SearchHit>& hits, const std::vector<PoolEntry>& pool) {
    QByteArray text;
    for (const SearchHit& hit : hits)
        text += pool[size_t(hit.image)].path.toUtf8() + '\n';
    return text;
}

QByteArray hitsJson(const std::vector<SearchHit>& hits, const std::vector<PoolEntry>& pool,
                    const QString& query, const BackendSelection& backend) {
    QJsonArray rows;
    for (size_t rank = 0; rank < hits.size(); ++rank)
        rows.append(QJsonObject{{QStringLiteral("rank"), int(rank) + 1},
                                {QStringLiteral("path"), pool[size_t(hits[rank].image)].path},
                                {QStringLiteral("cosine"), hits[rank].cosine}});
    const QJsonObject root{{QStringLiteral("query"), query},
                           {QStringLiteral("model"), backend.modelName},
                           {QStringLiteral("model_checksum"), backend.modelChecksum},
                           {QStringLiteral("hits"), rows}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace

int runSearchCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    addOption(parser, QStringLiteral("top"),
              QStringLiteral("How many images to list, best first (0: all)."), QStringLiteral("N"),
              QStringLiteral("20"));
    addOption(parser, QStringLiteral("out"),
              QStringLiteral("Write the ranking to FILE instead of stdout."),
              QStringLiteral("FILE"));
    PipelineOptions options(parser, false);
    parser.addPositionalArgument(QStringLiteral("TEXT"),
                                 QStringLiteral("What to look for, e.g. \"a dog on a beach\"."));
    if (!parseCommandLine(parser, arguments, kUsage))
        return ExitOk;
    options.read(QStringLiteral("search"), 1);
    const QString text = parser.positionalArguments().at(1);
    if (text.trimmed().isEmpty())
        throw UsageError(QStringLiteral("search: TEXT is empty; say what to look for"));
    const int top = integerOption(parser, QStringLiteral("top"));
    if (top < 0)
        throw UsageError(QStringLiteral("--top must be >= 0 (0: all), got %1").arg(top));
    RunParameters& run = options.run;
    if (run.backend == QLatin1String("auto"))
        run.backend = QStringLiteral("clip");

    CliSessionOutput output(!options.json);
    PipelineSession session(&output, catchInterrupts());
    session.scan(run);
    session.prepareBackend(run);
    const ClipBackend& clip = requireClipBackend(*session.backend().backend, "freesel search");
    session.openStore(run, StoreAccess::Write);
    try {
        session.extract(run);
    } catch (const StageCancelled& stop) {
        return reportInterrupted(session, stop, session.storeFolderFor(run));
    }
    for (const auto& [path, reason] : session.skippedImages())
        printError(skippedImageLine(path, reason));
    const PoolClipEmbeddings pool = poolClipEmbeddings(session.store(), session.records());
    const std::vector<SearchHit> hits =
        searchPool(clip, pool, text, top == 0 ? int64_t(pool.poolIndex.size()) : top);
    const QByteArray result = options.json
                                  ? hitsJson(hits, *session.pool(), text, session.backend())
                                  : hitsText(hits, *session.pool());
    const QString out = parser.value(QStringLiteral("out"));
    if (out.isEmpty()) {
        std::fwrite(result.constData(), 1, size_t(result.size()), stdout);
        std::fflush(stdout);
        return ExitOk;
    }
    if (const Status saved = saveFileAtomically(out, result); !saved)
        throw Failure(saved.error().category,
                      QStringLiteral("--out %1: %2").arg(out, saved.message()));
    printError(QStringLiteral("%1 of %2 images ranked for \"%3\" -> %4")
                   .arg(hits.size())
                   .arg(pool.poolIndex.size())
                   .arg(text, out));
    return ExitOk;
}

} // namespace freesel
