// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to the exporters: the per-format writers and the helpers they share. Callers use
// exportSelection() (selection_export.h), which validates the selection first, so the writers
// may assume every pick names a decoded pool image exactly once.

#include "export/selection_export.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <vector>

namespace freesel::exportdetail {

/// The pool split the way every format lists it.
struct PoolPartition {
    std::vector<int> selected;   ///< rank order
    std::vector<int> unselected; ///< decoded, not selected; pool order
    std::vector<int> failed;     ///< pool order
};

PoolPartition partitionPool(const SelectionExport& selection);

/// The image's path made absolute (relative paths resolve against the working directory).
QString absolutePath(const ExportImage& image);

/// The dataset-relative name tools see: relativePath, or the file name when there is none.
QString relativeName(const ExportImage& image);

/// Shortest text that reads back as the same double; empty for NaN.
QString scoreText(double score);
/// The score as a JSON number; null for NaN (JSON has no NaN).
QJsonValue scoreJson(double score);

/// All Provenance fields under snake_case keys. The seed is a JSON number up to 2^53 and a
/// decimal string above, where a JSON number could not carry it exactly.
QJsonObject provenanceJson(const Provenance& provenance);

/// Writes `content` to `path` and returns the result every single-file writer returns.
ExportResult writeSingleFile(const QString& path, const QByteArray& content);

// One writer per format (export_text_formats.cpp, export_json_formats.cpp, export_folder.cpp).
ExportResult writeTxt(const SelectionExport& selection, const QString& path);
ExportResult writeCsv(const SelectionExport& selection, const QString& path);
ExportResult writeEmbeddings(const SelectionExport& selection, const QString& path,
                             const ExportOptions& options);
ExportResult writeJson(const SelectionExport& selection, const QString& path);
ExportResult writeCoco(const SelectionExport& selection, const QString& path);
ExportResult writeLabelStudio(const SelectionExport& selection, const QString& path,
                              const ExportOptions& options);
ExportResult writeCvat(const SelectionExport& selection, const QString& path);
/// Suspected label errors of a clip selection with given labels (label_suspects.cpp).
ExportResult writeSuspects(const SelectionExport& selection, const QString& path,
                           const ExportOptions& options);
/// One RFC 4180 record (fields quoted where needed) ending in CRLF.
QString csvRecord(const QStringList& fields);
ExportResult writeFolder(const SelectionExport& selection, const QString& dir,
                         const ExportOptions& options);

} // namespace freesel::exportdetail
