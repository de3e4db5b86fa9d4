// freesel select POOL --budget N|P% --out FILE: scan, extract what the store lacks, patterns,
// selection, export. Every stage the store already holds is skipped.
#include "backend_factory.h"
#include "cli_command.h"
#include "cli_progress.h"
#include "image_header.h"
#include "pipeline.h"
#include "version.h"

#include <QCommandLineParser>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <cmath>

namespace freesel {

namespace {

const QString kUsage = QStringLiteral(
    "Usage: freesel select POOL --budget N|P% --out FILE [options]\n"
    "POOL is a folder (recursive), a list file (one path per line) or a COCO json.\n"
    "Runs whatever stages the feature store lacks: scan, decode, backbone, patterns,\n"
    "selection, export. Changing tau/K/eps or budget/seed/strategy never re-runs the network.");

struct SelectOptions {
    QString pool, imageRoot, out, storeDir;
    QString budgetText;
    ExportFormat format = ExportFormat::Txt;
    StrategyKind strategy = StrategyKind::FreeSel;
    uint64_t seed = 0;
    PatternParameters patterns;
    BackendChoice backend;
    int inputSize = 224;
    bool json = false;
    ExportOptions exportOptions;
};

double number(const QCommandLineParser& parser, const QCommandLineOption& option,
              const QString& name) {
    bool ok = false;
    const double value = parser.value(option).toDouble(&ok);
    if (!ok)
        throw UsageError(
            QStringLiteral("--%1 needs a number, got '%2'").arg(name, parser.value(option)));
    return value;
}

int integer(const QCommandLineParser& parser, const QCommandLineOption& option,
            const QString& name) {
    bool ok = false;
    const int value = parser.value(option).toInt(&ok);
    if (!ok)
        throw UsageError(
            QStringLiteral("--%1 needs a whole number, got '%2'").arg(name, parser.value(option)));
    return value;
}

/// "N" images or "P%" of the usable pool; refused outside [0, ...] or (0, 100].
int64_t resolveBudget(const QString& text, int usable) {
    bool ok = false;
    if (text.endsWith(QLatin1Char('%'))) {
        const double percent = text.chopped(1).toDouble(&ok);
        if (!ok || percent < 0.0 || percent > 100.0)
            throw UsageError(
                QStringLiteral("--budget as a percentage must be in [0%, 100%], got '%1'")
                    .arg(text));
        return static_cast<int64_t>(std::llround(usable * percent / 100.0));
    }
    const qint64 count = text.toLongLong(&ok);
    if (!ok || count < 0)
        throw UsageError(
            QStringLiteral("--budget must be a count >= 0 or a percentage like 10%, got '%1'")
                .arg(text));
    return count;
}

/// <cache>/stores/<hash of the pool source and backend>: one store per pool and backend, so
/// switching backends never mixes features (the store refuses that anyway).
QString defaultStoreDir(const QString& pool, const FeatureBackend& backend, int inputSize) {
    const QByteArray key = (QFileInfo(pool).absoluteFilePath() + QLatin1Char('|') +
                            backend.fingerprint() + QLatin1Char('|') + QString::number(inputSize))
                               .toUtf8();
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
    return base + QStringLiteral("/freesel/stores/") + backend.name() + QLatin1Char('-') +
           QString::fromLatin1(
               QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex().left(16));
}

/// Folder and list pools do not know image sizes; COCO and CVAT exports need them. The header
/// of each image is enough (no decoding).
void fillImageSizes(SelectionExport& exported) {
    for (ExportImage& image : exported.images) {
        if (image.failed || (image.width > 0 && image.height > 0))
            continue;
        QFile file(image.path);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const ImageHeader header = probeImageHeader(file.read(256 * 1024));
        image.width = header.width;
        image.height = header.height;
    }
}

QJsonObject summaryJson(const SelectOptions& options, const ExtractionReport& extraction,
                        const SelectionExport& exported, const ExportResult& written,
                        const QString& backendName, const QString& device, double seconds) {
    QJsonArray failed;
    for (const ExportImage& image : exported.images)
        if (image.failed)
            failed.append(QJsonObject{{QStringLiteral("path"), image.path},
                                      {QStringLiteral("error"), image.error}});
    QJsonArray selected;
    for (const Pick& pick : exported.picks)
        selected.append(exported.images[pick.image].path);
    return {{QStringLiteral("pool"), options.pool},
            {QStringLiteral("backend"), backendName},
            {QStringLiteral("device"), device},
            {QStringLiteral("images"), extraction.total},
            {QStringLiteral("extracted"), extraction.extracted},
            {QStringLiteral("reused"), extraction.reused},
            {QStringLiteral("failed"), failed},
            {QStringLiteral("selected"), selected},
            {QStringLiteral("outputs"), QJsonArray::fromStringList(written.files)},
            {QStringLiteral("seconds"), seconds}};
}

SelectOptions parseOptions(const QStringList& arguments, bool* helpShown) {
    QCommandLineParser parser;
    auto option = [&parser](const QString& name, const QString& help, const QString& value = {},
                            const QString& fallback = {}) {
        QCommandLineOption o(name, help, value, fallback);
        parser.addOption(o);
        return o;
    };
    const auto budget =
        option(QStringLiteral("budget"),
               QStringLiteral("Images to select: a count, or a percentage like 10%."),
               QStringLiteral("N|P%"));
    const auto out =
        option(QStringLiteral("out"), QStringLiteral("Output file (a folder for --format folder)."),
               QStringLiteral("FILE"));
    const auto format =
        option(QStringLiteral("format"),
               QStringLiteral("txt, csv, json, coco, labelstudio, cvat, embeddings or folder."),
               QStringLiteral("FORMAT"), QStringLiteral("txt"));
    const auto strategy = option(QStringLiteral("strategy"),
                                 QStringLiteral("freesel, fds, random, kcenter or kmeans."),
                                 QStringLiteral("NAME"), QStringLiteral("freesel"));
    const auto seed = option(QStringLiteral("seed"), QStringLiteral("Makes the run reproducible."),
                             QStringLiteral("S"), QStringLiteral("0"));
    const auto tau =
        option(QStringLiteral("tau"), QStringLiteral("Share of the [CLS] attention kept, (0, 1]."),
               QStringLiteral("T"), QStringLiteral("0.5"));
    const auto k =
        option(QStringLiteral("K"), QStringLiteral("Semantic patterns per image, [1, 64]."),
               QStringLiteral("K"), QStringLiteral("5"));
    const auto eps =
        option(QStringLiteral("eps"),
               QStringLiteral("Neighbourhood (Chebyshev) of the patch affinity, [1, 3]."),
               QStringLiteral("E"), QStringLiteral("2"));
    const auto backend =
        option(QStringLiteral("backend"),
               QStringLiteral("auto (DINO when its weights are present), dino or offline."),
               QStringLiteral("NAME"), QStringLiteral("auto"));
    const auto model = option(QStringLiteral("model"),
                              QStringLiteral("DINO model name (see freesel models list)."),
                              QStringLiteral("NAME"), QStringLiteral("dino_vits16"));
    const auto weights = option(QStringLiteral("weights"),
                                QStringLiteral("A local checkpoint file instead of the cache."),
                                QStringLiteral("FILE"));
    const auto device =
        option(QStringLiteral("device"), QStringLiteral("auto, cpu, cuda or cuda:N."),
               QStringLiteral("DEVICE"), QStringLiteral("auto"));
    const auto store = option(QStringLiteral("store"),
                              QStringLiteral("Feature store folder (default: in the user cache)."),
                              QStringLiteral("DIR"));
    const auto inputSize =
        option(QStringLiteral("input-size"),
               QStringLiteral("Square network input side, a multiple of the patch size."),
               QStringLiteral("PX"), QStringLiteral("224"));
    const auto batch =
        option(QStringLiteral("batch-size"), QStringLiteral("Images per forward pass."),
               QStringLiteral("N"), QStringLiteral("8"));
    const auto threads =
        option(QStringLiteral("threads"), QStringLiteral("CPU threads (0: all cores)."),
               QStringLiteral("N"), QStringLiteral("0"));
    const auto imageRoot =
        option(QStringLiteral("image-root"), QStringLiteral("Folder of a COCO json's images."),
               QStringLiteral("DIR"));
    const auto json = option(QStringLiteral("json"),
                             QStringLiteral("Print a machine-readable summary on stdout."));
    const auto overwrite =
        option(QStringLiteral("overwrite"), QStringLiteral("Replace an earlier folder export."));
    const auto copy = option(QStringLiteral("copy"),
                             QStringLiteral("Folder export: copy images instead of symlinking."));
    parser.addPositionalArgument(QStringLiteral("POOL"),
                                 QStringLiteral("Folder, list file or COCO json."));
    if (!parseCommandLine(parser, arguments, kUsage)) {
        *helpShown = true;
        return {};
    }
    SelectOptions options;
    if (parser.positionalArguments().size() != 1)
        throw UsageError(
            QStringLiteral("select needs exactly one POOL (a folder, list file or COCO json)"));
    options.pool = parser.positionalArguments().first();
    if (!parser.isSet(budget))
        throw UsageError(
            QStringLiteral("--budget is required (a count, or a percentage like 10%)"));
    if (!parser.isSet(out))
        throw UsageError(QStringLiteral("--out is required"));
    options.budgetText = parser.value(budget);
    resolveBudget(options.budgetText, 0); // refuse a malformed budget before any work
    options.out = parser.value(out);
    options.format = parseExportFormat(parser.value(format));
    options.strategy = parseStrategyKind(parser.value(strategy).toStdString());
    bool seedOk = false;
    options.seed = parser.value(seed).toULongLong(&seedOk);
    if (!seedOk)
        throw UsageError(
            QStringLiteral("--seed must be a whole number >= 0, got '%1'").arg(parser.value(seed)));
    options.patterns.tau = number(parser, tau, QStringLiteral("tau"));
    options.patterns.clusters = integer(parser, k, QStringLiteral("K"));
    options.patterns.eps = integer(parser, eps, QStringLiteral("eps"));
    validatePatternParameters(options.patterns, 3);
    options.backend.backend = parser.value(backend);
    options.backend.model = parser.value(model);
    options.backend.weights = parser.value(weights);
    options.backend.device = parser.value(device);
    options.backend.threads = integer(parser, threads, QStringLiteral("threads"));
    options.backend.batchSize = integer(parser, batch, QStringLiteral("batch-size"));
    if (options.backend.batchSize < 1 || options.backend.threads < 0)
        throw UsageError(QStringLiteral("--batch-size must be >= 1 and --threads >= 0"));
    options.inputSize = integer(parser, inputSize, QStringLiteral("input-size"));
    options.storeDir = parser.value(store);
    options.imageRoot = parser.value(imageRoot);
    options.json = parser.isSet(json);
    options.exportOptions.overwrite = parser.isSet(overwrite);
    options.exportOptions.copyFiles = parser.isSet(copy);
    return options;
}

} // namespace

int runSelectCommand(const QStringList& arguments) {
    QElapsedTimer timer;
    timer.start();
    bool helpShown = false;
    const SelectOptions options = parseOptions(arguments, &helpShown);
    if (helpShown)
        return ExitOk;

    const PoolScan scan = scanPool(options.pool, options.imageRoot);
    if (!scan.ok())
        throw UsageError(scan.error);
    for (const QString& warning : scan.warnings)
        printError(QStringLiteral("warning: ") + warning);
    if (scan.entries.empty())
        throw UsageError(QStringLiteral("no images found in %1").arg(options.pool));

    BackendSelection backend = createBackend(options.backend);
    if (!backend.note.isEmpty())
        printError(QStringLiteral("note: ") + backend.note);
    const int patch = backend.backend->patchSize();
    if (options.inputSize < patch || options.inputSize % patch != 0)
        throw UsageError(
            QStringLiteral("--input-size must be a positive multiple of the patch size %1, got %2")
                .arg(patch)
                .arg(options.inputSize));
    if (!options.json)
        printError(QStringLiteral("backend: %1 on %2")
                       .arg(backend.modelName, backend.backend->deviceDescription()));

    ExtractionOptions extraction;
    extraction.resize = ResizeSpec::fixed(options.inputSize, options.inputSize);
    extraction.batchSize = options.backend.batchSize;
    const QString storeDir =
        options.storeDir.isEmpty()
            ? defaultStoreDir(options.pool, *backend.backend, options.inputSize)
            : options.storeDir;
    FeatureStore store;
    if (!store.openForWriting(storeDir, storeHeaderFor(*backend.backend, extraction.resize)))
        throw UsageError(store.errorString());

    ProgressBar extractBar(QStringLiteral("extract"));
    const ExtractionReport report =
        extractFeatures(scan.entries, *backend.backend, store, extraction,
                        [&extractBar](int64_t done, int64_t total) {
                            extractBar.update(done, total);
                            return true;
                        });
    extractBar.finish();

    const std::vector<int> records = storeRecordsFor(scan.entries, store);
    ProgressBar patternBar(QStringLiteral("patterns"));
    const PoolPatterns patterns =
        computePatterns(store, records, options.patterns, options.seed, options.backend.threads,
                        [&patternBar](int64_t done, int64_t total) {
                            patternBar.update(done, total);
                            return true;
                        });
    patternBar.finish();
    if (patterns.poolIndex.empty())
        throw UsageError(
            QStringLiteral("none of the %1 images of %2 could be read (see the reasons above)")
                .arg(scan.entries.size())
                .arg(options.pool));

    SelectionRequest request;
    request.budget = resolveBudget(options.budgetText, static_cast<int>(patterns.poolIndex.size()));
    request.seed = options.seed;
    request.threads = options.backend.threads;
    const SelectionResult result = selectImages(patterns, options.strategy, request);

    Provenance provenance;
    provenance.appVersion = applicationVersion();
    provenance.backend = backend.backend->name();
    provenance.model = backend.modelName;
    provenance.modelChecksum = backend.modelChecksum;
    provenance.tau = options.patterns.tau;
    provenance.clusters = options.patterns.clusters;
    provenance.eps = options.patterns.eps;
    provenance.budget = request.budget;
    provenance.seed = options.seed;
    provenance.strategy = QString::fromStdString(strategyName(options.strategy));
    provenance.inputSize = QStringLiteral("%1x%1").arg(options.inputSize);
    provenance.device = backend.backend->deviceDescription();
    provenance.created = QDateTime::currentDateTimeUtc();
    provenance.poolSource = QFileInfo(options.pool).absoluteFilePath();
    SelectionExport exported =
        buildSelectionExport(scan.entries, store, records, patterns, result, provenance);
    fillImageSizes(exported);
    const ExportResult written =
        exportSelection(exported, options.format, options.out, options.exportOptions);
    if (!written.ok)
        throw UsageError(written.error);

    const double seconds = timer.nsecsElapsed() * 1e-9;
    int failed = 0;
    for (const ExportImage& image : exported.images)
        failed += image.failed ? 1 : 0;
    if (options.json) {
        printOut(QString::fromUtf8(
            QJsonDocument(summaryJson(options, report, exported, written, backend.backend->name(),
                                      provenance.device, seconds))
                .toJson(QJsonDocument::Indented)));
    } else {
        for (const ExportImage& image : exported.images)
            if (image.failed)
                printError(QStringLiteral("skipped %1: %2").arg(image.path, image.error));
        printError(QStringLiteral("selected %1 of %2 images (%3 extracted now, %4 from the store "
                                  "%5, %6 skipped) with %7 in %8 s -> %9")
                       .arg(result.picks.size())
                       .arg(scan.entries.size())
                       .arg(report.extracted)
                       .arg(report.reused)
                       .arg(storeDir)
                       .arg(failed)
                       .arg(provenance.strategy)
                       .arg(seconds, 0, 'f', 1)
                       .arg(written.files.join(QStringLiteral(", "))));
    }
    return ExitOk;
}

} // namespace freesel
