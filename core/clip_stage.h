// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The CLIP stages over a feature store a CLIP backend filled (issue 12): the pool's image
// embeddings, text search, and (clip_selection_stage) the CLIP-powered selection. The network
// only runs for the text side; the images come from the store.

#include "backbone/feature_backend.h"
#include "image/pool_scanner.h"
#include "selection/clip_adapter_training.h"
#include "selection/clip_search.h"
#include "selection/clip_selection.h"
#include "selection/selection.h"
#include "store/feature_store.h"

#include <Eigen/Core>
#include <QString>
#include <QStringList>
#include <string>
#include <vector>

namespace freesel {

class ClipBackend;

/// The CLIP backend behind `backend`; std::invalid_argument naming `what` (e.g. "freesel
/// search") and the backend in use otherwise. `what` is a plain string: with a temporary
/// QString, GCC 13 warns that the returned reference may dangle (-Wdangling-reference).
const ClipBackend& requireClipBackend(const FeatureBackend& backend, const char* what);

/// The pool images the store holds a CLIP embedding for, in pool order.
struct PoolClipEmbeddings {
    std::vector<int> poolIndex; ///< per row: the image's index in the pool list
    Eigen::MatrixXf embeddings; ///< N x E, as stored (not normalised)
};
/// `records`: per pool image its store record or -1 (storeRecordsFor). Failed records and
/// records without the section are left out. Throws std::invalid_argument when no usable
/// image has one (the store was made by another backend).
PoolClipEmbeddings poolClipEmbeddings(const FeatureStore& store, const std::vector<int>& records);

/// The `top` pool images most similar to `text` (cosine of CLIP embeddings), best first, ties
/// to the earlier pool image; SearchHit::image is a pool index. Throws std::invalid_argument
/// for an empty text.
std::vector<SearchHit> searchPool(const ClipBackend& clip, const PoolClipEmbeddings& pool,
                                  const QString& text, int64_t top);

/// What --strategy clip runs with (CLIP_SELECTION.md sections 3-5).
struct ClipSelectionOptions {
    QString labels;  ///< ImageFolder folder, COCO .json or .csv; empty: zero-shot from classes
    QString classes; ///< class names file (one per line); fixes the class order
    /// "{}" is the class name; "ensemble": openai/CLIP's 80 ImageNet templates, averaged.
    QString promptTemplate = QStringLiteral("A photo of a {}");
    QString mode = QStringLiteral("topk"); ///< topk (exact) or optimiser (official loop replay)
    int neighbours = 50;                   ///< K of SDS
    double diversityWeight = 0.1;
    /// Train A_I and A_T on the given labels (clip_adapter_training.h) instead of the identity;
    /// `training.seed` makes it reproducible, its logit scale is the model's.
    bool trainAdapters = false;
    AdapterTrainingOptions training;

    /// Throws std::invalid_argument naming the option for a mode, template or range it refuses,
    /// when neither labels nor classes are given, and for --train-adapters without labels.
    void validate() const;
};

/// Per pool image (index = pool index; NaN / -1 / empty where the image has no embedding).
struct ClipSelectionScores {
    QStringList classNames;
    std::vector<int> label;
    std::vector<double> sas, sds, combined;
    /// Per pool image: the label came from --labels (not CLIP's guess); where it stands in the
    /// image's zero-shot class ranking (0 = first); the first kRankedClasses of that ranking.
    std::vector<char> labelGiven;
    std::vector<int> labelRank;
    std::vector<std::vector<int>> topClasses;
    static constexpr int kRankedClasses = 10;
    bool zeroShot = false; ///< labels are zero-shot pseudo-labels (no label noise detection)
    std::vector<std::string> notes; ///< said to the user (zero-shot, optimiser count, ...)
};

/// The CLIP-powered selection over the pool's stored embeddings: labels (given, or zero-shot
/// from the class names; unlabelled images of a given source get zero-shot labels too), class
/// text embeddings from the prompts, SAS / SDS / a_i, then the top-`budget` by a_i or the
/// official optimiser's kept set (ranked by a_i). Picks are pool indices scored by a_i.
SelectionResult selectClip(const ClipBackend& clip, const FeatureStore& store,
                           const std::vector<PoolEntry>& pool, const QString& poolRoot,
                           const std::vector<int>& records, int64_t budget,
                           const ClipSelectionOptions& options, ClipSelectionScores& scores);

} // namespace freesel
