// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The per-image scores of the CLIP-powered selection that look at an image's label
// (docs/ALGORITHM.md sections C3-C4): SAS, the cosine to its label's text, and SDS, the mean
// distance to its K-1 nearest images of the same label. clip_selection.h validates the inputs
// and combines the scores.

#include <Eigen/Core>

#include <vector>

namespace freesel {

struct LabelScores {
    std::vector<double> sas; ///< per image
    std::vector<double> sds; ///< per image; 0 for an image alone in its label
};

/// images: N x E (adapted), unitTexts: C x E with unit rows, members[c]: the images of label c
/// (every image in exactly one), k >= 1. Each image's scores depend only on its label's
/// images, and the result is the same on any thread count.
LabelScores labelScores(const Eigen::MatrixXf& images, const Eigen::MatrixXf& unitTexts,
                        const std::vector<std::vector<int>>& members, int k);

} // namespace freesel
