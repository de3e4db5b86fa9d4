// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Exporters of a selection (docs/CLI.md, "Export formats"). Every export also writes a provenance
// sidecar, so a file found later says which model, parameters and pool produced it.

#include "selection/selection.h"
#include "util/error.h"

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <limits>
#include <vector>

namespace freesel {

/// One image of the pool, as the exporters need it.
struct ExportImage {
    QString path;         ///< on disk; made absolute when written
    QString relativePath; ///< to the pool root; used where tools expect dataset-relative names
    int width = 0;
    int height = 0;
    qint64 cocoId = -1; ///< the image id when the pool came from a COCO json, else -1
    bool failed = false;
    QString error; ///< why it could not be decoded (failed only)
    int patternCount = 0;
    std::vector<float> embedding; ///< global feature; may be empty
    /// ELFS (strategy elfs only): the pseudo-label and the three difficulty scores.
    int pseudoLabel = -1;
    double aum = std::numeric_limits<double>::quiet_NaN();
    double forgetting = std::numeric_limits<double>::quiet_NaN();
    double el2n = std::numeric_limits<double>::quiet_NaN();
    /// CLIP-powered selection (strategy clip only): the label scored (given or zero-shot),
    /// SAS, SDS and the combined score a_i.
    QString clipLabel;
    double sas = std::numeric_limits<double>::quiet_NaN();
    double sds = std::numeric_limits<double>::quiet_NaN();
    double clipScore = std::numeric_limits<double>::quiet_NaN();
    /// The label came from the user's labels (not CLIP's zero-shot guess); its rank in the
    /// image's zero-shot class ranking (0 = CLIP's first guess, -1: none); that ranking's first
    /// classes. The "suspects" export lists given labels ranked below its top N.
    bool clipLabelGiven = false;
    int clipLabelRank = -1;
    QStringList clipTopClasses;
};

/// Everything needed to reproduce the selection; written into every sidecar.
struct Provenance {
    QString appVersion;
    QString backend;
    QString model;
    QString modelChecksum;
    double tau = 0.0;
    int clusters = 0; ///< K
    int eps = 0;
    qint64 budget = 0;
    quint64 seed = 0;
    QString strategy;
    QString inputSize;
    QString device;
    QString precision; ///< what the network computed in (auto resolved); empty in old files
    QDateTime created;
    QString poolSource;
};

struct SelectionExport {
    std::vector<ExportImage> images; ///< the whole pool, failed images included
    std::vector<Pick> picks;         ///< selection order: rank 1 first; indices into images
    Provenance provenance;
    /// True when the images carry ELFS pseudo-labels and scores (CSV and JSON add columns).
    bool hasElfsScores = false;
    /// True when the images carry CLIP labels and scores (CSV and JSON add columns).
    bool hasClipScores = false;
    /// The CLIP labels are zero-shot guesses (no labels given): no label errors to suspect.
    bool clipZeroShot = false;
};

enum class ExportFormat { Txt, Csv, Json, Coco, LabelStudio, Cvat, Embeddings, Suspects, Folder };

struct ExportOptions {
    /// Folder: write into an existing non-empty directory (replacing an earlier export there).
    bool overwrite = false;
    /// Folder: copy the images instead of symlinking them.
    bool copyFiles = false;
    /// Embeddings: every decoded pool image, not only the selected ones.
    bool embeddingsForAll = false;
    /// Label Studio: prepended to the percent-encoded relative path. The default is the URL of
    /// Label Studio's local file storage, which serves `?d=<path relative to
    /// LOCAL_FILES_DOCUMENT_ROOT>`; use e.g. "https://host/images/" for served files.
    QString labelStudioPrefix = QStringLiteral("/data/local-files/?d=");
    /// Label Studio: predictions[].score is by default derived from the rank
    /// (1 - (rank-1)/selected, so sorting tasks by score reproduces the selection order). True:
    /// the raw FreeSel score where there is one (the rank-derived value where it is NaN).
    bool labelStudioRawScore = false;
    /// Suspects: an image is suspect when its given label is not among the first this many
    /// classes of its zero-shot ranking (>= 1).
    int suspectTop = 3;
};

/// The absolute paths written (the sidecar last), or the error naming the path or the
/// parameter at fault: user input for a path that cannot be used, environment for a disk that
/// fails while writing.
using ExportResult = Result<QStringList>;

/// "txt", "csv", "json", "coco", "labelstudio", "cvat", "embeddings", "suspects", "folder"; throws
/// std::invalid_argument listing the valid names for anything else.
ExportFormat parseExportFormat(const QString& name);
QString exportFormatName(ExportFormat format);
QStringList exportFormatNames();

/// Where the sidecar of an export to `outputPath` goes: "<output>.provenance.json", or
/// "<dir>/provenance.json" for a folder export. For CVAT, an existing directory as
/// `outputPath` means "<dir>/manifest.jsonl".
QString provenanceSidecarPath(ExportFormat format, const QString& outputPath);

/// Writes the selection in `format` to `outputPath` and its provenance sidecar. Files are
/// written atomically (QSaveFile): a failed export never leaves a half-written file under the
/// final name. Missing parent directories are created.
ExportResult exportSelection(const SelectionExport& selection, ExportFormat format,
                             const QString& outputPath, const ExportOptions& options = {});

} // namespace freesel
