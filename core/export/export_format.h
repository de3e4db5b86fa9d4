// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What each export format is, in one table (Tiled's FileFormat shape): its name on the command
// line, a description, the file extension it writes, and which ExportOptions apply. The CLI's
// --format help, the format inferred from --out, and the Studio's export dialog are all built
// from it, so a new format is added in one place.

#include "export/selection_export.h"

#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace freesel {

/// The ExportOptions a format honours (bits of ExportFormatInfo::options).
enum ExportOptionFlag : unsigned {
    OptionOverwrite = 1u << 0,
    OptionCopyFiles = 1u << 1,
    OptionEmbeddingsForAll = 1u << 2,
    OptionLabelStudioPrefix = 1u << 3,
    OptionLabelStudioRawScore = 1u << 4,
};

struct ExportFormatInfo {
    ExportFormat format;
    const char* name;        ///< as --format takes it
    const char* description; ///< one line for menus and help
    const char* extension;   ///< without the dot; "" for a folder
    unsigned options;        ///< ExportOptionFlag bits
    bool writesFolder() const { return extension[0] == '\0'; }
};

/// Every format, in the order the CLI and the dialog list them.
const std::vector<ExportFormatInfo>& exportFormats();
const ExportFormatInfo& exportFormatInfo(ExportFormat format);

/// "txt, csv, json, coco, labelstudio, cvat, embeddings or folder"
QString exportFormatList();

/// The format an output path's extension names, when one format owns that extension as its
/// default: .txt, .csv, .json, .jsonl. None for other or no extensions.
std::optional<ExportFormat> formatForExtension(const QString& path);

/// The format to write for `--format` (empty: not given) and `--out`: the format given, else
/// the one the extension names, else txt. std::invalid_argument when both are given and the
/// extension belongs to another format (e.g. --format labelstudio --out picks.csv).
ExportFormat resolveExportFormat(const QString& formatName, const QString& outputPath);

/// `path` with its extension replaced by the format's (a folder format keeps it unchanged;
/// an empty path stays empty).
QString withFormatExtension(const QString& path, ExportFormat format);

} // namespace freesel
