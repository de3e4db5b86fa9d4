// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// CLIP-powered data selection (Yang et al., ICLR 2025; docs/ALGORITHM.md sections C3-C5) on
// embeddings: the semantic alignment and diversity scores, their combination and the exact
// top-k, the replay of the official optimiser, and zero-shot pseudo-labels. Plain C++ and
// Eigen; the embeddings come from backbone/clip_model.h (adapters, when any, already applied).

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace freesel {

/// One adapter of section C2: y = W x + b (nn.Linear). Empty weight: the identity (zero-shot
/// CLIP features; the paper releases no trained adapters).
struct ClipAdapter {
    Eigen::MatrixXf weight; ///< out x in
    Eigen::VectorXf bias;   ///< out; may be empty (no bias)

    bool isIdentity() const { return weight.size() == 0; }
    /// Rows of `x` (N x in) mapped to N x out.
    Eigen::MatrixXf apply(const Eigen::MatrixXf& x) const;
};

struct ClipScoreParams {
    /// K: SDS averages the distances to the K - 1 nearest images of the same label (clamped to
    /// the label's size). 50 for CIFAR-100, 100 for CIFAR-10 in the paper.
    int neighbours = 50;
    /// The weight of the diversity term in a_i (0.1 in the paper).
    double diversityWeight = 0.1;
    ClipAdapter imageAdapter; ///< A_I, applied to the image embeddings (SAS and SDS)
    ClipAdapter textAdapter;  ///< A_T, applied to the class text embeddings
    /// The official code's bug (`adpater_img = adpater_text = nn.Linear(...)`): A_T on both
    /// sides. Off by default (the paper's intent); kept to reproduce the released numbers.
    bool officialAdapterAliasing = false;
};

/// Every image's scores (index = image).
struct ClipScores {
    std::vector<double> sas;       ///< cos(image_i, text_{y_i})
    std::vector<double> sds;       ///< mean distance to the K-1 nearest same-label images
    std::vector<double> alignment; ///< S: SAS min-max normalised over the pool
    std::vector<double> diversity; ///< Dv: SDS min-max normalised over the pool
    std::vector<double> combined;  ///< a_i = S_i / mean(S) + w * Dv_i / mean(Dv)
};

/// images: N x E, texts: C x E (one row per class, e.g. the mean prompt embedding), labels:
/// N values in [0, C). Throws std::invalid_argument on mismatched sizes, a label out of range
/// or K < 1. Distances use the rows as given (not normalised), as the official code does.
ClipScores clipScores(const Eigen::MatrixXf& images, const Eigen::MatrixXf& texts,
                      const std::vector<int>& labels, const ClipScoreParams& params = {});

/// Min-max normalisation; a constant vector becomes all ones (nothing to tell apart).
std::vector<double> minMaxNormalise(const std::vector<double>& values);

/// a_i = S_i / mean(S) + weight * Dv_i / mean(Dv); a term whose mean is 0 contributes 0.
std::vector<double> combinedScores(const std::vector<double>& alignment,
                                   const std::vector<double>& diversity, double weight);

/// The k indices of the largest scores, best first; ties go to the smaller index. k is
/// clamped to [0, N].
std::vector<int> topKByScore(const std::vector<double>& scores, int64_t k);

/// The official selection loop replayed (optimize_selection.py): w = 0.01, x = sigmoid(100 w),
/// loss = -mean(x S/mean S) - w_d mean(x Dv/mean Dv) + 2 |count(x > 0.5) - k| / N with a
/// straight-through count, SGD lr 1e-3 momentum 0.9 in float32, stopped when
/// |count - k| < 0.0005 N or after `maxSteps`. Returns the kept indices (x > 0.5), ascending.
struct OptimiserReplay {
    std::vector<int> kept;
    int steps = 0;
    bool converged = false;
};
OptimiserReplay replayOfficialOptimiser(const std::vector<double>& alignment,
                                        const std::vector<double>& diversity, int64_t k,
                                        double diversityWeight = 0.1, int maxSteps = 100000);

/// Zero-shot pseudo-labels: argmax_c cos(image_i, text_c) (ties: the smaller class).
std::vector<int> zeroShotLabels(const Eigen::MatrixXf& images, const Eigen::MatrixXf& texts);

/// Each image's zero-shot ranking of the classes by cos(image_i, text_c), best first, ties to
/// the smaller class: `labelRank[i]` is where labels[i] stands in it (0 = CLIP's first guess),
/// `top[i]` its first min(keep, C) classes. The "suspected label errors" export reads both.
struct ClassRanking {
    std::vector<int> labelRank;
    std::vector<std::vector<int>> top;
};
ClassRanking rankClasses(const Eigen::MatrixXf& images, const Eigen::MatrixXf& texts,
                         const std::vector<int>& labels, int keep);

/// Suspected label errors: the images i with eligible[i] whose label is not among the first
/// `top` classes of their zero-shot ranking (labelRank[i] >= top), lowest SAS first (ties by
/// index). Throws std::invalid_argument for top < 1 or vectors of different lengths.
std::vector<int> suspectedLabelErrors(const std::vector<int>& labelRank,
                                      const std::vector<double>& sas,
                                      const std::vector<char>& eligible, int top);

} // namespace freesel
