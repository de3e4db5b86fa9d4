// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Text search over a pool's CLIP image embeddings (`freesel search POOL "a dog on a beach"`):
// the images ranked by cosine similarity to the query's text embedding.

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace freesel {

struct SearchHit {
    int image = -1;
    double cosine = 0.0;
};

/// The `top` images (clamped to [0, N]) most similar to `query` (E) among `images` (N x E),
/// best first, ties to the smaller index. Zero rows have cosine 0. Throws
/// std::invalid_argument when the widths differ.
std::vector<SearchHit> searchByEmbedding(const Eigen::MatrixXf& images,
                                         const Eigen::VectorXf& query, int64_t top);

} // namespace freesel
