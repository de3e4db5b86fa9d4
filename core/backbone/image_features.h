// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "patterns/neighbourhood_attention.h"

#include <vector>

namespace freesel {

/// Everything FreeSel keeps of one image after ONE forward pass of the backbone
/// (docs/ALGORITHM.md section 1). Plain data: no torch types, so the store, the engine and the
/// tests use it without including LibTorch.
struct ImageFeatures {
    PatchGrid grid;                       ///< h x w patch grid
    int dims = 0;                         ///< token width d
    std::vector<float> patchTokens;       ///< n x d, row-major, after the final LayerNorm
    std::vector<float> clsToken;          ///< d: the global [CLS] feature (Core-Set, k-means)
    std::vector<float> clsAttention;      ///< n: CLS row of the last-block attention (patches only)
    NeighbourhoodAttention neighbourhood; ///< Ap restricted to Chebyshev radius R
    /// CLIP backends only: the image embedding ln_post([CLS]) @ proj (E, not normalised), what
    /// text search and the CLIP-powered selection compare with text embeddings. Empty otherwise.
    std::vector<float> clipEmbedding;
};

} // namespace freesel
