// SPDX-License-Identifier: GPL-3.0-or-later
// freesel models list|path|verify|download: the known model weights and the local cache.
#include "cli/command.h"
#include "cli/progress_bar.h"
#include "weights/weight_cache.h"
#include "weights/weight_downloader.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace freesel {

namespace {

const QString kUsage =
    QStringLiteral("Usage: freesel models list|path|verify|download [NAME|FILE] [options]\n"
                   "  list              the known models and whether each is in the cache\n"
                   "  path NAME         where NAME's weights are read from (a site folder or\n"
                   "                    the cache) or would be downloaded to\n"
                   "  verify NAME|FILE  check size and SHA-256 against the manifest\n"
                   "  download NAME     fetch NAME into the cache (resumes a partial download)");

ModelManifest loadManifest(const QString& overridePath) {
    return ModelManifest::load(overridePath).valueOrThrow();
}

const ModelInfo& findModel(const ModelManifest& manifest, const QString& name) {
    const ModelInfo* model = manifest.find(name);
    if (!model)
        throw UsageError(QStringLiteral("unknown model '%1'; known models: %2")
                             .arg(name, manifest.names().join(QStringLiteral(", "))));
    return *model;
}

QJsonObject describe(const ModelInfo& model, const WeightCache& cache) {
    return {{QStringLiteral("name"), model.name},
            {QStringLiteral("display_name"), model.displayName},
            {QStringLiteral("url"), model.url.toString()},
            {QStringLiteral("path"), cache.locate(model)},
            {QStringLiteral("cached"), cache.isCached(model)},
            {QStringLiteral("size"), model.hasSize() ? QJsonValue(model.size) : QJsonValue()},
            {QStringLiteral("sha256"),
             model.hasSha256() ? QJsonValue(QString::fromLatin1(model.sha256)) : QJsonValue()}};
}

int listModels(const ModelManifest& manifest, const WeightCache& cache, bool json) {
    QJsonArray models;
    for (const ModelInfo& model : manifest.models())
        models.append(describe(model, cache));
    if (json) {
        printOut(QString::fromUtf8(QJsonDocument(models).toJson(QJsonDocument::Indented)));
        return ExitOk;
    }
    const ModelInfo* fallback = manifest.defaultModel();
    for (const ModelInfo& model : manifest.models())
        printOut(QStringLiteral("%1 %2 %3%4")
                     .arg(model.name, -16)
                     .arg(model.displayName, -20)
                     .arg(cache.isCached(model) ? QStringLiteral("cached    ")
                                                : QStringLiteral("not cached"))
                     .arg(fallback && fallback->name == model.name ? QStringLiteral("  (default)")
                                                                   : QString()));
    printOut(QStringLiteral("cache: ") + cache.directory());
    for (const QString& site : cache.siteDirectories())
        printOut(QStringLiteral("site:  ") + site + QStringLiteral(" (read-only, searched first)"));
    return ExitOk;
}

int verify(const ModelManifest& manifest, const WeightCache& cache, const QString& target,
           bool json) {
    WeightVerification result;
    QString path;
    if (const ModelInfo* model = manifest.find(target)) {
        path = cache.locate(*model);
        result = cache.verifyCached(*model);
    } else if (QFileInfo::exists(target)) {
        path = target;
        result = WeightCache::verifyFile(target, -1, {}, true);
    } else {
        throw UsageError(QStringLiteral("'%1' is neither a known model (%2) nor a file")
                             .arg(target, manifest.names().join(QStringLiteral(", "))));
    }
    if (json) {
        printOut(QString::fromUtf8(
            QJsonDocument(
                QJsonObject{{QStringLiteral("path"), path},
                            {QStringLiteral("ok"), result.ok()},
                            {QStringLiteral("error"), result.error()},
                            {QStringLiteral("size"), result.size},
                            {QStringLiteral("sha256"), QString::fromLatin1(result.sha256)}})
                .toJson(QJsonDocument::Compact)));
    } else if (result.ok()) {
        printOut(QStringLiteral("%1: ok (%2 bytes, sha256 %3)")
                     .arg(path)
                     .arg(result.size)
                     .arg(QString::fromLatin1(result.sha256)));
    } else {
        printError(result.error());
    }
    return result.ok() ? ExitOk : exitCodeFor(result.status.error().category);
}

int download(const ModelInfo& model, const WeightCache& cache) {
    cache.ensureDirectory().throwIfFailed();
    ProgressBar bar(QStringLiteral("download"));
    const DownloadResult result = WeightDownloader::downloadBlocking(
        DownloadRequest::forModel(model, cache),
        [&bar](qint64 received, qint64 total) { bar.update(received, total); });
    bar.finish();
    if (!result.ok()) {
        printError(QStringLiteral("freesel: ") + result.error());
        return exitCodeFor(result.status.error().category); // the network: the machine's
    }
    printOut(result.path);
    return ExitOk;
}

} // namespace

int runModelsCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    const QCommandLineOption json(QStringLiteral("json"),
                                  QStringLiteral("Machine-readable output."));
    const QCommandLineOption manifestOption(QStringLiteral("manifest"),
                                            QStringLiteral("Use this model manifest file."),
                                            QStringLiteral("FILE"));
    parser.addOptions({json, manifestOption});
    parser.addPositionalArgument(QStringLiteral("action"),
                                 QStringLiteral("list|path|verify|download"));
    if (!parseCommandLine(parser, arguments, kUsage))
        return ExitOk;
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0, QStringLiteral("list"));
    const ModelManifest manifest = loadManifest(parser.value(manifestOption));
    const WeightCache cache;
    if (action == QLatin1String("list"))
        return listModels(manifest, cache, parser.isSet(json));
    if (positional.size() < 2)
        throw UsageError(QStringLiteral("'models %1' needs a model name (%2)")
                             .arg(action, manifest.names().join(QStringLiteral(", "))));
    if (action == QLatin1String("path")) {
        printOut(cache.locate(findModel(manifest, positional[1])));
        return ExitOk;
    }
    if (action == QLatin1String("verify"))
        return verify(manifest, cache, positional[1], parser.isSet(json));
    if (action == QLatin1String("download"))
        return download(findModel(manifest, positional[1]), cache);
    throw UsageError(
        QStringLiteral("unknown models action '%1': list, path, verify or download").arg(action));
}

} // namespace freesel
