// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Training the two linear adapters of the CLIP-powered selection (CLIP_SELECTION.md section 2,
// docs/ALGORITHM.md C2): A_I on image embeddings, A_T on class text embeddings, each a
// Linear(E, E) with bias initialised to the identity, trained with a symmetric InfoNCE loss
// between every image and the text of its (noisy) label. The paper publishes neither the code
// nor the hyper-parameters; ours are stated below and in `freesel select --help`.

#include "selection/clip_selection.h"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace freesel {

struct AdapterTrainingOptions {
    int epochs = 10;            ///< passes over the labelled images
    int batchSize = 256;        ///< images per step
    double learningRate = 1e-3; ///< AdamW, weight decay 0 (decay would pull W off the identity)
    uint64_t seed = 0;          ///< the batch order; the same seed gives the same adapters
    /// The InfoNCE temperature's inverse: CLIP's own exp(logit_scale) (about 100), fixed.
    double logitScale = 100.0;

    /// Throws std::invalid_argument naming the field and its valid range.
    void validate() const;
};

struct AdapterTrainingResult {
    ClipAdapter image;             ///< A_I
    ClipAdapter text;              ///< A_T
    std::vector<double> epochLoss; ///< mean InfoNCE loss of each epoch
};

/// images: N x E raw CLIP image embeddings, texts: C x E class text embeddings, labels: N
/// values in [0, C) (-1: not used for training). In a batch, images that share a label share
/// their text: the targets are then uniform over those matches (the loss is CLIP's symmetric
/// InfoNCE when every label in the batch differs). Deterministic for a seed and thread count.
/// Throws std::invalid_argument on mismatched sizes or fewer than two labelled images.
AdapterTrainingResult trainClipAdapters(const Eigen::MatrixXf& images, const Eigen::MatrixXf& texts,
                                        const std::vector<int>& labels,
                                        const AdapterTrainingOptions& options = {});

} // namespace freesel
