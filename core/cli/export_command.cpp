// SPDX-License-Identifier: GPL-3.0-or-later
// freesel export SELECTION.json --format F --out FILE: writes an earlier selection (the JSON
// of `freesel select --format json`, the source of truth) in another format, with the same
// provenance, without selecting again.
#include "cli/command.h"
#include "cli/pipeline_options.h"
#include "export/export_format.h"
#include "export/export_image_sizes.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <limits>

namespace freesel {

namespace {

const QString kUsage = QStringLiteral(
    "Usage: freesel export SELECTION.json --format FORMAT --out FILE [--store DIR]\n"
    "Re-exports a selection written by freesel select --format json to another format, keeping\n"
    "its provenance. The embeddings format needs the feature store the selection came from\n"
    "(--store); with it the pattern counts of unselected images are restored too.");

Provenance provenanceFrom(const QJsonObject& json) {
    Provenance p;
    p.appVersion = json.value(QStringLiteral("app_version")).toString();
    p.backend = json.value(QStringLiteral("backend")).toString();
    p.model = json.value(QStringLiteral("model")).toString();
    p.modelChecksum = json.value(QStringLiteral("model_checksum")).toString();
    p.tau = json.value(QStringLiteral("tau")).toDouble();
    p.clusters = json.value(QStringLiteral("clusters")).toInt();
    p.eps = json.value(QStringLiteral("eps")).toInt();
    p.budget = qint64(json.value(QStringLiteral("budget")).toDouble());
    const QJsonValue seed = json.value(QStringLiteral("seed"));
    p.seed = seed.isString() ? seed.toString().toULongLong() : quint64(seed.toDouble());
    p.strategy = json.value(QStringLiteral("strategy")).toString();
    p.inputSize = json.value(QStringLiteral("input_size")).toString();
    p.device = json.value(QStringLiteral("device")).toString();
    p.precision = json.value(QStringLiteral("precision")).toString();
    p.created =
        QDateTime::fromString(json.value(QStringLiteral("created")).toString(), Qt::ISODateWithMs);
    p.poolSource = json.value(QStringLiteral("pool_source")).toString();
    return p;
}

QJsonObject readSelectionJson(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw UsageError(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError)
        throw UsageError(QStringLiteral("%1 is not valid JSON (offset %2: %3)")
                             .arg(path)
                             .arg(error.offset)
                             .arg(error.errorString()));
    const QJsonObject root = document.object();
    if (!root.value(QStringLiteral("provenance")).isObject() ||
        !root.value(QStringLiteral("selected")).isArray())
        throw UsageError(QStringLiteral("%1 is not a selection written by freesel select "
                                        "--format json (no provenance or selected list)")
                             .arg(path));
    return root;
}

/// The selection as the exporters need it: selected images in rank order, then the unselected
/// and the failed ones (pool order each, as the JSON lists them).
SelectionExport selectionFrom(const QJsonObject& root, const QString& path) {
    SelectionExport selection;
    selection.provenance = provenanceFrom(root.value(QStringLiteral("provenance")).toObject());
    const QJsonArray selected = root.value(QStringLiteral("selected")).toArray();
    for (int k = 0; k < selected.size(); ++k) {
        const QJsonObject item = selected[k].toObject();
        ExportImage image;
        image.path = item.value(QStringLiteral("path")).toString();
        if (image.path.isEmpty())
            throw UsageError(QStringLiteral("%1: selected[%2] has no path").arg(path).arg(k));
        image.patternCount = item.value(QStringLiteral("n_patterns")).toInt();
        const QJsonValue score = item.value(QStringLiteral("score"));
        selection.picks.push_back(
            {int(selection.images.size()),
             score.isDouble() ? score.toDouble() : std::numeric_limits<double>::quiet_NaN()});
        selection.images.push_back(image);
    }
    for (const QJsonValue& value : root.value(QStringLiteral("unselected")).toArray()) {
        ExportImage image;
        image.path = value.toString();
        selection.images.push_back(image);
    }
    for (const QJsonValue& value : root.value(QStringLiteral("failed")).toArray()) {
        ExportImage image;
        image.path = value[QStringLiteral("path")].toString();
        image.error = value[QStringLiteral("error")].toString();
        image.failed = true;
        selection.images.push_back(image);
    }
    return selection;
}

/// Dataset-relative names, COCO ids and sizes come from the pool when it is still there
/// (rescanned, no decoding); otherwise names are taken relative to the pool folder.
std::vector<PoolEntry> restorePoolDetails(SelectionExport& selection) {
    const QString source = selection.provenance.poolSource;
    PoolScan scan;
    if (!source.isEmpty() && QFileInfo::exists(source))
        scan = scanPool(source);
    QHash<QString, int> byPath;
    for (int i = 0; i < int(scan.entries.size()); ++i)
        byPath.insert(scan.entries[size_t(i)].path, i);
    std::vector<PoolEntry> entries(selection.images.size());
    for (size_t i = 0; i < selection.images.size(); ++i) {
        ExportImage& image = selection.images[i];
        const auto found = byPath.constFind(QDir::cleanPath(image.path));
        if (found != byPath.constEnd()) {
            const PoolEntry& entry = scan.entries[size_t(*found)];
            image.relativePath = entry.relativePath;
            image.cocoId = entry.cocoId;
            image.width = entry.width;
            image.height = entry.height;
            entries[i] = entry;
        } else if (!source.isEmpty() &&
                   image.path.startsWith(QDir::cleanPath(source) + QLatin1Char('/'))) {
            image.relativePath = QDir(source).relativeFilePath(image.path);
        }
    }
    return entries;
}

/// What the JSON leaves out, from the store the selection came from: the [CLS] feature of
/// every image (embeddings) and the pattern count of the unselected ones (the pattern stage
/// re-run with the provenance's tau, K, eps and seed: no network). The store must hold the
/// current version of every file.
void restoreFromStore(SelectionExport& selection, const std::vector<PoolEntry>& entries,
                      const QString& storeDir) {
    FeatureStore store;
    openStoreForReading(store, storeDir);
    const Provenance& provenance = selection.provenance;
    const StoreFingerprint& fingerprint = store.header().fingerprint;
    const QString input = QStringLiteral("fixed:") + provenance.inputSize;
    if (!fingerprint.backend.startsWith(provenance.backend + QLatin1Char('|')) ||
        fingerprint.input != input ||
        (!provenance.modelChecksum.isEmpty() &&
         !fingerprint.backend.contains(provenance.modelChecksum)))
        throw UsageError(QStringLiteral("the store %1 holds features of '%2' but the selection "
                                        "was made with backend %3, model %4 %5, input %6")
                             .arg(storeDir, fingerprint.canonical(), provenance.backend,
                                  provenance.model, provenance.modelChecksum, input));
    std::vector<int> records(selection.images.size(), -1);
    for (size_t i = 0; i < selection.images.size(); ++i) {
        const ExportImage& image = selection.images[i];
        if (image.failed)
            continue;
        const QFileInfo info(image.path);
        const PoolEntry& entry = entries[i];
        records[i] = entry.exists()
                         ? store.find(entry.path, entry.size, entry.mtimeMs)
                         : store.find(QDir::cleanPath(info.absoluteFilePath()), info.size(),
                                      info.lastModified().toMSecsSinceEpoch());
        if (records[i] < 0 || !store.entry(records[i]).ok)
            throw UsageError(QStringLiteral("the store %1 holds no features of the current "
                                            "version of %2")
                                 .arg(storeDir, image.path));
    }
    PatternParameters params;
    params.tau = provenance.tau;
    params.clusters = provenance.clusters;
    params.eps = provenance.eps;
    validatePatternParameters(params, store.header().fingerprint.radius);
    const PoolPatterns patterns = computePatterns(store, records, params, provenance.seed, 0);
    for (size_t k = 0; k < patterns.poolIndex.size(); ++k) {
        ExportImage& image = selection.images[size_t(patterns.poolIndex[k])];
        image.patternCount = patterns.patterns.patternCountOf(int(k));
        const float* global = patterns.global.pattern(int64_t(k));
        image.embedding.assign(global, global + patterns.global.dims());
    }
}

} // namespace

int runExportCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    addOption(parser, QStringLiteral("format"), exportFormatList() + QLatin1Char('.'),
              QStringLiteral("FORMAT"));
    addOption(parser, QStringLiteral("out"),
              QStringLiteral("Output file (a folder for --format folder)."),
              QStringLiteral("FILE"));
    addOption(
        parser, QStringLiteral("store"),
        QStringLiteral("Feature store of the selection: embeddings, and pattern counts of the "
                       "unselected images (the JSON lists only their paths)."),
        QStringLiteral("DIR"));
    addOption(parser, QStringLiteral("overwrite"),
              QStringLiteral("Replace an earlier folder export."));
    addOption(parser, QStringLiteral("copy"),
              QStringLiteral("Folder export: copy images instead of symlinking."));
    addOption(parser, QStringLiteral("json"),
              QStringLiteral("Print a machine-readable summary on stdout."));
    parser.addPositionalArgument(QStringLiteral("SELECTION.json"),
                                 QStringLiteral("Written by freesel select --format json."));
    if (!parseCommandLine(parser, arguments, kUsage))
        return ExitOk;
    if (parser.positionalArguments().size() != 1)
        throw UsageError(QStringLiteral("export needs exactly one SELECTION.json (written by "
                                        "freesel select --format json)"));
    if (!parser.isSet(QStringLiteral("format")))
        throw UsageError(QStringLiteral("--format is required (%1)").arg(exportFormatList()));
    if (!parser.isSet(QStringLiteral("out")))
        throw UsageError(QStringLiteral("--out is required"));
    const QString source = parser.positionalArguments().first();
    const QString out = parser.value(QStringLiteral("out"));
    const QString storeDir = parser.value(QStringLiteral("store"));
    if (QFileInfo(source).absoluteFilePath() == QFileInfo(out).absoluteFilePath())
        throw UsageError(
            QStringLiteral("--out %1 would overwrite the selection it reads").arg(out));
    const ExportFormat format = resolveExportFormat(parser.value(QStringLiteral("format")), out);
    if (format == ExportFormat::Embeddings && storeDir.isEmpty())
        throw UsageError(QStringLiteral("--format embeddings needs --store DIR: the selection "
                                        "JSON does not carry the features"));

    SelectionExport selection = selectionFrom(readSelectionJson(source), source);
    const std::vector<PoolEntry> entries = restorePoolDetails(selection);
    fillExportImageSizes(selection);
    if (!storeDir.isEmpty())
        restoreFromStore(selection, entries, storeDir);
    ExportOptions options;
    options.overwrite = parser.isSet(QStringLiteral("overwrite"));
    options.copyFiles = parser.isSet(QStringLiteral("copy"));
    const ExportResult written = exportSelection(selection, format, out, options);
    written.status().throwIfFailed(); // a full disk is the machine's (exit 1), a bad path ours (2)
    if (parser.isSet(QStringLiteral("json"))) {
        printOut(QString::fromUtf8(
            QJsonDocument(QJsonObject{{QStringLiteral("selection"), source},
                                      {QStringLiteral("format"), exportFormatName(format)},
                                      {QStringLiteral("selected"), int(selection.picks.size())},
                                      {QStringLiteral("images"), int(selection.images.size())},
                                      {QStringLiteral("outputs"),
                                       QJsonArray::fromStringList(written.value())}})
                .toJson(QJsonDocument::Indented)));
    } else {
        printOut(QStringLiteral("exported %1 selected of %2 images as %3 -> %4")
                     .arg(selection.picks.size())
                     .arg(selection.images.size())
                     .arg(exportFormatName(format), written.value().join(QStringLiteral(", "))));
    }
    return ExitOk;
}

} // namespace freesel
