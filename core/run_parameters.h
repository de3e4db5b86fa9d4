// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Everything one run of the pipeline depends on: what the Studio's parameter panel shows and
// what the CLI's options set. Saved in project files and QSettings; PipelineSession compares it
// stage by stage (the keys below) so a re-run redoes only what changed.

#include "backbone/backend_factory.h"
#include "clip_stage.h"
#include "elfs/elfs_selection.h"
#include "patterns/semantic_patterns.h"

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace freesel {

struct RunParameters {
    QString source;    ///< folder, list file or COCO json
    QString imageRoot; ///< COCO images folder (empty: guessed)
    QString backend = QStringLiteral("auto");
    QString model = QStringLiteral("dino_vits16");
    QString weights; ///< a local checkpoint instead of the cache (empty: the cache)
    QString device = QStringLiteral("auto");
    QString precision = QStringLiteral("auto"); ///< DINO; see BackendChoice::precision
    int inputSize = 224;
    double tau = 0.5;
    int clusters = 5; ///< K
    int eps = 2;
    double budget = 10; ///< a count, or a percentage when budgetPercent
    bool budgetPercent = false;
    QString strategy = QStringLiteral("freesel");
    quint64 seed = 0;
    QString storeDir; ///< empty: a folder in the user cache derived from pool and backend
    // Strategy elfs only (docs/ALGORITHM.md sections E1-E3); in the selection key only when
    // it is chosen.
    int elfsClusters = 10;                            ///< pseudo-classes K
    double elfsBeta = -1.0;                           ///< < 0: the default for the keep ratio
    QString elfsMode = QStringLiteral("window");      ///< window or ccs
    QString elfsScore = QStringLiteral("aum");        ///< aum, forgetting or el2n
    int elfsEpochs = 50;                              ///< proxy training epochs
    QString elfsClusterer = QStringLiteral("kmeans"); ///< kmeans or temi (pseudo-labels)
    QString elfsProxy = QStringLiteral("tokens");     ///< tokens or resnet18
    int elfsTemiEpochs = 100;                         ///< temi: training epochs of the heads
    int elfsImageSize = 32;                           ///< resnet18: decoded image side
    // Strategy clip only (/work/shared/CLIP_SELECTION.md); in the selection key when chosen.
    QString clipLabels;  ///< ImageFolder folder, COCO .json or .csv; empty: zero-shot
    QString clipClasses; ///< class names file (zero-shot pseudo-labels, or the class order)
    QString clipPromptTemplate = QStringLiteral("A photo of a {}"); ///< or "ensemble"
    QString clipMode = QStringLiteral("topk");                      ///< topk or optimiser
    bool clipTrainAdapters = false; ///< train the two linear adapters (InfoNCE on the labels)
    // Any strategy: the candidates are the best matches of a text query among the store's CLIP
    // image embeddings (needs the CLIP backend); in the selection key when set.
    QString withinQuery;   ///< empty: every usable image is a candidate
    double withinTop = 10; ///< matches kept: a count, or a percentage when withinPercent
    bool withinPercent = true;
    // Continued rounds (any strategy): images already annotated seed the selection and are
    // never picked again (the budget counts only new images); excluded images are never
    // candidates. Paths as the pool lists them (absolute); in the selection key.
    QStringList labeledImages;
    QStringList excludedImages;
    // Images included by hand: always selected, first, and counted in the budget; the
    // strategy draws the rest around them (they seed it like labelled images).
    QStringList includedImages;
    // How, not what: these change no result, so they are in no key and no project file.
    int threads = 0;        ///< CPU threads of the pattern and selection stages (0: all cores)
    int batchSize = 8;      ///< images per forward pass
    bool checkModel = true; ///< with `weights`: check them against `model` (BackendChoice)
    /// Where the pattern rows live: auto, memory or file (patterns/pattern_rows.h).
    QString patternRows = QStringLiteral("auto");

    /// `backend`, except that strategy clip and a --within query turn auto into clip (they
    /// need CLIP embeddings).
    QString effectiveBackend() const;
    BackendChoice backendChoice() const;
    PatternParameters patternParameters() const;
    /// Throws std::invalid_argument naming the option for a mode, score or range it refuses.
    ElfsParameters elfsParameters() const;
    /// Throws std::invalid_argument naming the option it refuses (ClipSelectionOptions).
    ClipSelectionOptions clipOptions() const;

    /// Keys of the stages: a stage re-runs when its key or an earlier stage's key changes.
    QString scanKey() const;
    QString backendKey() const;
    QString extractionKey() const;
    QString patternKey() const;
    QString selectionKey() const;

    QJsonObject toJson() const;
    static RunParameters fromJson(const QJsonObject& object);

    friend bool operator==(const RunParameters& a, const RunParameters& b) {
        return a.toJson() == b.toJson();
    }
};

/// The task presets of the parameter panel.
enum class TaskPreset { Detection, Segmentation, Classification };
/// Applies a preset: detection tau 0.5, K 5, input 224; segmentation K 10, input 448;
/// classification K 1.
void applyTaskPreset(RunParameters& parameters, TaskPreset preset);

} // namespace freesel

Q_DECLARE_METATYPE(freesel::RunParameters)
