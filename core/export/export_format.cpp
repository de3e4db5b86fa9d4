// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/export_format.h"

#include <QFileInfo>
#include <stdexcept>

namespace freesel {

const std::vector<ExportFormatInfo>& exportFormats() {
    static const std::vector<ExportFormatInfo> formats = {
        {ExportFormat::Txt, "txt", "ranked list of paths", "txt", 0},
        {ExportFormat::Csv, "csv", "CSV: path, rank, score, patterns, status", "csv", 0},
        {ExportFormat::Json, "json", "JSON with provenance", "json", 0},
        {ExportFormat::Coco, "coco", "COCO image-only subset", "json", 0},
        {ExportFormat::LabelStudio, "labelstudio", "Label Studio tasks", "json",
         OptionLabelStudioPrefix | OptionLabelStudioRawScore},
        {ExportFormat::Cvat, "cvat", "CVAT manifest", "jsonl", 0},
        {ExportFormat::Embeddings, "embeddings", "Lightly-style embeddings", "csv",
         OptionEmbeddingsForAll},
        {ExportFormat::Suspects, "suspects",
         "CLIP: suspected label errors (path, label, top classes, SAS)", "csv", 0},
        {ExportFormat::Folder, "folder", "folder of links or copies", "",
         OptionOverwrite | OptionCopyFiles},
    };
    return formats;
}

const ExportFormatInfo& exportFormatInfo(ExportFormat format) {
    for (const ExportFormatInfo& info : exportFormats())
        if (info.format == format)
            return info;
    throw std::logic_error("export format missing from exportFormats()");
}

QString exportFormatList() {
    QStringList names;
    for (const ExportFormatInfo& info : exportFormats())
        names << QString::fromLatin1(info.name);
    const QString last = names.takeLast();
    return names.join(QStringLiteral(", ")) + QStringLiteral(" or ") + last;
}

std::optional<ExportFormat> formatForExtension(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix.isEmpty())
        return std::nullopt;
    // The first format with that extension is its owner (csv before embeddings, json before
    // coco and labelstudio).
    for (const ExportFormatInfo& info : exportFormats())
        if (suffix == QLatin1String(info.extension))
            return info.format;
    return std::nullopt;
}

ExportFormat resolveExportFormat(const QString& formatName, const QString& outputPath) {
    const std::optional<ExportFormat> byExtension = formatForExtension(outputPath);
    if (formatName.isEmpty())
        return byExtension.value_or(ExportFormat::Txt);
    const ExportFormat format = parseExportFormat(formatName);
    const ExportFormatInfo& info = exportFormatInfo(format);
    if (byExtension && !info.writesFolder() &&
        QFileInfo(outputPath).suffix().toLower() != QLatin1String(info.extension))
        throw std::invalid_argument(
            QStringLiteral("--format %1 writes .%2 but --out %3 ends in .%4: change the "
                           "extension, or leave --format out to write %5")
                .arg(QString::fromLatin1(info.name), QString::fromLatin1(info.extension),
                     outputPath, QFileInfo(outputPath).suffix(),
                     QString::fromLatin1(exportFormatInfo(*byExtension).name))
                .toStdString());
    return format;
}

QString withFormatExtension(const QString& path, ExportFormat format) {
    const ExportFormatInfo& info = exportFormatInfo(format);
    if (path.isEmpty() || info.writesFolder())
        return path;
    const QFileInfo file(path);
    const QString suffix = file.suffix();
    const QString stem = suffix.isEmpty() ? path : path.chopped(suffix.size() + 1);
    return stem + QLatin1Char('.') + QString::fromLatin1(info.extension);
}

} // namespace freesel
