// SPDX-License-Identifier: GPL-3.0-or-later
// Export dispatch: format names, validation of the selection, and the provenance sidecar that
// every format gets.

#include "export/selection_export.h"

#include "export/export_format.h"

#include "export/export_writers.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <array>
#include <stdexcept>
#include <utility>

namespace freesel {

using namespace exportdetail;

namespace {

/// Refuses picks a writer could not honour: out of range, failed images, duplicates.
QString validateSelection(const SelectionExport& selection) {
    const int poolSize = int(selection.images.size());
    std::vector<bool> seen(selection.images.size(), false);
    for (size_t rank = 0; rank < selection.picks.size(); ++rank) {
        const int image = selection.picks[rank].image;
        if (image < 0 || image >= poolSize)
            return QStringLiteral("pick %1 names image %2, outside the pool of %3 images")
                .arg(rank + 1)
                .arg(image)
                .arg(poolSize);
        if (selection.images[size_t(image)].failed)
            return QStringLiteral("pick %1 names %2, which failed to decode")
                .arg(rank + 1)
                .arg(selection.images[size_t(image)].path);
        if (seen[size_t(image)])
            return QStringLiteral("pick %1 names %2 a second time")
                .arg(rank + 1)
                .arg(selection.images[size_t(image)].path);
        seen[size_t(image)] = true;
    }
    return {};
}

/// CVAT wants a file named *.jsonl; an existing directory gets the conventional name.
QString resolveOutputPath(ExportFormat format, const QString& outputPath) {
    if (format == ExportFormat::Cvat && QFileInfo(outputPath).isDir())
        return QDir(outputPath).filePath(QStringLiteral("manifest.jsonl"));
    return outputPath;
}

ExportResult dispatch(const SelectionExport& selection, ExportFormat format, const QString& path,
                      const ExportOptions& options) {
    switch (format) {
    case ExportFormat::Txt:
        return writeTxt(selection, path);
    case ExportFormat::Csv:
        return writeCsv(selection, path);
    case ExportFormat::Json:
        return writeJson(selection, path);
    case ExportFormat::Coco:
        return writeCoco(selection, path);
    case ExportFormat::LabelStudio:
        return writeLabelStudio(selection, path, options);
    case ExportFormat::Cvat:
        return writeCvat(selection, path);
    case ExportFormat::Embeddings:
        return writeEmbeddings(selection, path, options);
    case ExportFormat::Suspects:
        return writeSuspects(selection, path, options);
    case ExportFormat::Folder:
        return writeFolder(selection, path, options);
    }
    return Error::internal(QStringLiteral("unknown export format"));
}

QJsonObject sidecarJson(const SelectionExport& selection, ExportFormat format,
                        const QString& outputPath, const QStringList& files) {
    const PoolPartition partition = partitionPool(selection);
    QJsonObject counts;
    counts.insert(QStringLiteral("pool"), int(selection.images.size()));
    counts.insert(QStringLiteral("selected"), int(partition.selected.size()));
    counts.insert(QStringLiteral("unselected"), int(partition.unselected.size()));
    counts.insert(QStringLiteral("failed"), int(partition.failed.size()));
    QJsonArray failed;
    for (int index : partition.failed) {
        const ExportImage& image = selection.images[size_t(index)];
        failed.append(QJsonObject{{QStringLiteral("path"), absolutePath(image)},
                                  {QStringLiteral("error"), image.error}});
    }
    QJsonObject sidecar;
    sidecar.insert(QStringLiteral("format"), exportFormatName(format));
    sidecar.insert(QStringLiteral("output"), QFileInfo(outputPath).absoluteFilePath());
    sidecar.insert(QStringLiteral("files"), QJsonArray::fromStringList(files));
    sidecar.insert(QStringLiteral("provenance"), provenanceJson(selection.provenance));
    sidecar.insert(QStringLiteral("counts"), counts);
    sidecar.insert(QStringLiteral("failed"), failed);
    return sidecar;
}

} // namespace

ExportFormat parseExportFormat(const QString& name) {
    const QString key = name.trimmed().toLower();
    for (const ExportFormatInfo& info : exportFormats())
        if (key == QLatin1String(info.name))
            return info.format;
    throw std::invalid_argument(QStringLiteral("unknown export format '%1'; valid formats: %2")
                                    .arg(name, exportFormatNames().join(QStringLiteral(", ")))
                                    .toStdString());
}

QString exportFormatName(ExportFormat format) {
    return QString::fromLatin1(exportFormatInfo(format).name);
}

QStringList exportFormatNames() {
    QStringList names;
    for (const ExportFormatInfo& info : exportFormats())
        names << QString::fromLatin1(info.name);
    return names;
}

QString provenanceSidecarPath(ExportFormat format, const QString& outputPath) {
    if (format == ExportFormat::Folder)
        return QDir(outputPath).filePath(QStringLiteral("provenance.json"));
    return resolveOutputPath(format, outputPath) + QStringLiteral(".provenance.json");
}

ExportResult exportSelection(const SelectionExport& selection, ExportFormat format,
                             const QString& outputPath, const ExportOptions& options) {
    if (outputPath.isEmpty())
        return Error::userInput(QStringLiteral("no output path given"));
    if (const QString problem = validateSelection(selection); !problem.isEmpty())
        return Error::userInput(problem);
    const QString path = resolveOutputPath(format, outputPath);
    const ExportResult result = dispatch(selection, format, path, options);
    if (!result)
        return result;
    // Written last: a sidecar next to an output means the output is complete.
    const QString sidecarPath = provenanceSidecarPath(format, outputPath);
    const QJsonObject sidecar = sidecarJson(selection, format, path, result.value());
    const ExportResult written =
        writeSingleFile(sidecarPath, QJsonDocument(sidecar).toJson(QJsonDocument::Indented));
    if (!written)
        return written;
    return result.value() + written.value();
}

} // namespace freesel
