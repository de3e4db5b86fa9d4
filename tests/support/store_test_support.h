// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the feature-store tests share: random features of a small grid (a valid record for a
// store of the same band radius), the header of such a store, and image keys.

#include "backbone/image_features.h"
#include "image/image_preprocessing.h"
#include "store/feature_store.h"

#include <QString>

#include <random>

namespace freesel::storetest {

/// Features of a rows x cols grid of `dims`-wide tokens, seeded: normal tokens, a [CLS]
/// attention that sums to 1, and a band of the given radius.
inline ImageFeatures makeFeatures(unsigned seed, int rows = 4, int cols = 5, int dims = 24,
                                  int radius = 2) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal(0.0f, 1.5f);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    ImageFeatures f;
    f.grid = PatchGrid{rows, cols};
    f.dims = dims;
    const int n = rows * cols;
    for (int i = 0; i < n * dims; ++i)
        f.patchTokens.push_back(normal(gen));
    for (int i = 0; i < dims; ++i)
        f.clsToken.push_back(normal(gen));
    float total = 0.0f;
    for (int i = 0; i < n; ++i)
        total += f.clsAttention.emplace_back(uniform(gen));
    for (float& a : f.clsAttention)
        a /= total;
    f.neighbourhood = NeighbourhoodAttention(f.grid, radius);
    for (int q = 0; q < n; ++q)
        for (int k = 0; k < n; ++k)
            if (f.grid.chebyshev(q, k) <= radius)
                f.neighbourhood.set(q, k, uniform(gen) * 0.05f);
    return f;
}

inline StoreHeader testHeader(const QString& backend = QStringLiteral("test|v1"), int radius = 2) {
    StoreHeader h;
    h.fingerprint.backend = backend;
    h.fingerprint.input = resizeSpecFingerprint(ResizeSpec::fixed(64, 80));
    h.fingerprint.radius = radius;
    return h;
}

inline StoreKey keyFor(int i) {
    return StoreKey{QStringLiteral("/pool/img%1.jpg").arg(i), 1000 + i, 1700000000000 + i, i};
}

} // namespace freesel::storetest
