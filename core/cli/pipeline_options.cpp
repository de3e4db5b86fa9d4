#include "cli_pipeline_options.h"

#include "cli_command.h"
#include "cli_progress.h"
#include "image_header.h"

#include <QCommandLineParser>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace freesel {

PipelineOptions::PipelineOptions(QCommandLineParser& parser, bool patternOptions)
    : parser_(parser), patternOptions_(patternOptions) {
    if (patternOptions) {
        addOption(parser, QStringLiteral("seed"), QStringLiteral("Makes the run reproducible."),
                  QStringLiteral("S"), QStringLiteral("0"));
        addOption(parser, QStringLiteral("tau"),
                  QStringLiteral("Share of the [CLS] attention kept, (0, 1]."), QStringLiteral("T"),
                  QStringLiteral("0.5"));
        addOption(parser, QStringLiteral("K"),
                  QStringLiteral("Semantic patterns per image, [1, 64]."), QStringLiteral("K"),
                  QStringLiteral("5"));
        addOption(parser, QStringLiteral("eps"),
                  QStringLiteral("Neighbourhood (Chebyshev) of the patch affinity, [1, 3]."),
                  QStringLiteral("E"), QStringLiteral("2"));
    }
    addOption(parser, QStringLiteral("backend"),
              QStringLiteral("auto (DINO when its weights are present), dino or offline."),
              QStringLiteral("NAME"), QStringLiteral("auto"));
    addOption(parser, QStringLiteral("model"),
              QStringLiteral("DINO model name (see freesel models list)."), QStringLiteral("NAME"),
              QStringLiteral("dino_vits16"));
    addOption(parser, QStringLiteral("weights"),
              QStringLiteral("A local checkpoint file instead of the cache; its architecture is "
                             "read from it (checked against --model when that is given)."),
              QStringLiteral("FILE"));
    addOption(parser, QStringLiteral("device"), QStringLiteral("auto, cpu, cuda or cuda:N."),
              QStringLiteral("DEVICE"), QStringLiteral("auto"));
    addOption(parser, QStringLiteral("precision"),
              QStringLiteral("DINO precision: float32, bfloat16 (CPU or CUDA) or float16 (CUDA)."),
              QStringLiteral("P"), QStringLiteral("float32"));
    addOption(parser, QStringLiteral("store"),
              QStringLiteral("Feature store folder (default: in the user cache)."),
              QStringLiteral("DIR"));
    addOption(parser, QStringLiteral("input-size"),
              QStringLiteral("Square network input side, a multiple of the patch size."),
              QStringLiteral("PX"), QStringLiteral("224"));
    addOption(parser, QStringLiteral("batch-size"), QStringLiteral("Images per forward pass."),
              QStringLiteral("N"), QStringLiteral("8"));
    addOption(parser, QStringLiteral("threads"), QStringLiteral("CPU threads (0: all cores)."),
              QStringLiteral("N"), QStringLiteral("0"));
    addOption(parser, QStringLiteral("image-root"),
              QStringLiteral("Folder of a COCO json's images."), QStringLiteral("DIR"));
    addOption(parser, QStringLiteral("json"),
              QStringLiteral("Print a machine-readable summary on stdout."));
    parser.addPositionalArgument(QStringLiteral("POOL"),
                                 QStringLiteral("Folder, list file or COCO json."));
}

double numberOption(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const double value = parser.value(name).toDouble(&ok);
    if (!ok)
        throw UsageError(
            QStringLiteral("--%1 needs a number, got '%2'").arg(name, parser.value(name)));
    return value;
}

int integerOption(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const int value = parser.value(name).toInt(&ok);
    if (!ok)
        throw UsageError(
            QStringLiteral("--%1 needs a whole number, got '%2'").arg(name, parser.value(name)));
    return value;
}

void PipelineOptions::read(const QString& command) {
    if (parser_.positionalArguments().size() != 1)
        throw UsageError(
            QStringLiteral("%1 needs exactly one POOL (a folder, list file or COCO json)")
                .arg(command));
    pool = parser_.positionalArguments().first();
    if (patternOptions_) {
        bool seedOk = false;
        seed = parser_.value(QStringLiteral("seed")).toULongLong(&seedOk);
        if (!seedOk)
            throw UsageError(QStringLiteral("--seed must be a whole number >= 0, got '%1'")
                                 .arg(parser_.value(QStringLiteral("seed"))));
        patterns.tau = numberOption(parser_, QStringLiteral("tau"));
        patterns.clusters = integerOption(parser_, QStringLiteral("K"));
        patterns.eps = integerOption(parser_, QStringLiteral("eps"));
        validatePatternParameters(patterns, 3);
    }
    backend.backend = parser_.value(QStringLiteral("backend"));
    backend.model = parser_.value(QStringLiteral("model"));
    backend.weights = parser_.value(QStringLiteral("weights"));
    backend.checkModel = parser_.isSet(QStringLiteral("model"));
    backend.device = parser_.value(QStringLiteral("device"));
    backend.precision = parser_.value(QStringLiteral("precision"));
    backend.threads = integerOption(parser_, QStringLiteral("threads"));
    backend.batchSize = integerOption(parser_, QStringLiteral("batch-size"));
    if (backend.batchSize < 1 || backend.threads < 0)
        throw UsageError(QStringLiteral("--batch-size must be >= 1 and --threads >= 0"));
    inputSize = integerOption(parser_, QStringLiteral("input-size"));
    storeDir = parser_.value(QStringLiteral("store"));
    imageRoot = parser_.value(QStringLiteral("image-root"));
    json = parser_.isSet(QStringLiteral("json"));
}

PoolScan scanPoolOrThrow(const QString& pool, const QString& imageRoot) {
    PoolScan scan = scanPool(pool, imageRoot);
    if (!scan.ok())
        throw UsageError(scan.error);
    for (const QString& warning : scan.warnings)
        printError(QStringLiteral("warning: ") + warning);
    if (scan.entries.empty())
        throw UsageError(QStringLiteral("no images found in %1").arg(pool));
    return scan;
}

BackendSelection prepareBackend(const PipelineOptions& options) {
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
    return backend;
}

/// One store per pool and backend, so switching backends never mixes features (the store
/// refuses that anyway).
QString storeDirFor(const PipelineOptions& options, const FeatureBackend& backend) {
    if (!options.storeDir.isEmpty())
        return options.storeDir;
    const QByteArray key =
        (QFileInfo(options.pool).absoluteFilePath() + QLatin1Char('|') + backend.fingerprint() +
         QLatin1Char('|') + QString::number(options.inputSize))
            .toUtf8();
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
    return base + QStringLiteral("/freesel/stores/") + backend.name() + QLatin1Char('-') +
           QString::fromLatin1(
               QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex().left(16));
}

ResizeSpec resizeFor(const PipelineOptions& options) {
    return ResizeSpec::fixed(options.inputSize, options.inputSize);
}

void openStoreForWriting(FeatureStore& store, const QString& folder, const FeatureBackend& backend,
                         const PipelineOptions& options) {
    if (!store.openForWriting(folder, storeHeaderFor(backend, resizeFor(options))))
        throw UsageError(store.errorString());
}

void openStoreForReading(FeatureStore& store, const QString& folder) {
    if (!QFileInfo(folder).isDir())
        throw UsageError(QStringLiteral("no feature store at %1").arg(folder));
    if (!store.openForReading(folder))
        throw UsageError(store.errorString());
}

ExtractionReport runExtraction(const std::vector<PoolEntry>& pool, FeatureBackend& backend,
                               FeatureStore& store, const PipelineOptions& options,
                               const Shard& shard) {
    ExtractionOptions extraction;
    extraction.resize = resizeFor(options);
    extraction.batchSize = options.backend.batchSize;
    extraction.shard = shard;
    ProgressBar bar(QStringLiteral("extract"));
    const ExtractionReport report =
        extractFeatures(pool, backend, store, extraction, [&bar](int64_t done, int64_t total) {
            bar.update(done, total);
            return true;
        });
    bar.finish();
    return report;
}

PoolPatterns runPatterns(const FeatureStore& store, const std::vector<int>& records,
                         const PipelineOptions& options) {
    ProgressBar bar(QStringLiteral("patterns"));
    PoolPatterns patterns =
        computePatterns(store, records, options.patterns, options.seed, options.backend.threads,
                        [&bar](int64_t done, int64_t total) {
                            bar.update(done, total);
                            return true;
                        });
    bar.finish();
    return patterns;
}

} // namespace freesel
