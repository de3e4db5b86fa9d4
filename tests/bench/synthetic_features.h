// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Synthetic features for benchmarks: ViT-S/16-shaped images whose attention looks like DINO's
// (the same generator idea as bench_engine.cpp's dinoLikeImage), with a [CLS] token, so they
// can fill a feature store and run through every stage.

#include "backbone/image_features.h"
#include "support/synthetic_pool.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace freesel::bench {

using freesel::testing::Gaussian;

/// Softmax of `logits` / temperature, in place.
inline void softmax(float* values, int n, double temperature) {
    double maxValue = values[0];
    for (int i = 1; i < n; ++i)
        maxValue = std::max<double>(maxValue, values[i]);
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        values[i] = static_cast<float>(std::exp((values[i] - maxValue) / temperature));
        sum += values[i];
    }
    for (int i = 0; i < n; ++i)
        values[i] = static_cast<float>(values[i] / sum);
}

/// A ViT-S/16-shaped image (14 x 14 patches, d = 384) whose [CLS] attention looks like DINO's:
/// a softmax over a few Gaussian blobs (objects) on a noisy floor; patch attention rows are
/// softmaxes favouring nearby patches and patches of the same blob.
/// How patch tokens are made. Noise: independent Gaussian tokens with a small offset on
/// object patches, as bench_engine.cpp's dinoLikeImage (patterns then lie far apart, nearly
/// orthogonal: the hardest case for the selection's pruning). Concepts: each region's tokens
/// scatter around one of a few dozen shared concept vectors (a scene for the background, an
/// object per blob), closer to how DINO features of a real pool cluster.
enum class TokenModel { Noise, Concepts };

constexpr int kSceneConcepts = 16;
constexpr int kObjectConcepts = 48;

/// The concept vectors (384-d, norm about 2.7), the same in every run.
inline const std::vector<float>& conceptLibrary() {
    static const std::vector<float> library = [] {
        Gaussian gaussian(0xc0ce97);
        std::vector<float> values(size_t(kSceneConcepts + kObjectConcepts) * 384);
        for (float& value : values)
            value = static_cast<float>(0.14 * gaussian.next());
        return values;
    }();
    return library;
}

inline ImageFeatures dinoLikeFeatures(int index, double peak = 4.0,
                                      TokenModel tokens = TokenModel::Concepts) {
    Gaussian gaussian(0xbe7c4 + index);
    ImageFeatures image;
    image.grid = {14, 14};
    image.dims = 384;
    const int n = image.grid.size();
    const int blobs = 1 + static_cast<int>(gaussian.random().uniformIndex(3));
    std::vector<double> blobRow(blobs), blobCol(blobs), blobSize(blobs);
    for (int b = 0; b < blobs; ++b) {
        blobRow[b] = 14 * gaussian.random().uniform01();
        blobCol[b] = 14 * gaussian.random().uniform01();
        blobSize[b] = 1.0 + 2.5 * gaussian.random().uniform01();
    }
    std::vector<int> blobOf(n, -1);
    image.clsAttention.resize(n);
    for (int i = 0; i < n; ++i) {
        double logit = 0.3 * peak / 4.0 * gaussian.next(), best = 0.0;
        for (int b = 0; b < blobs; ++b) {
            const double dr = image.grid.rowOf(i) - blobRow[b],
                         dc = image.grid.colOf(i) - blobCol[b];
            const double weight = std::exp(-(dr * dr + dc * dc) / (2 * blobSize[b] * blobSize[b]));
            logit += peak * weight;
            if (weight > best && weight > 0.3) {
                best = weight;
                blobOf[i] = b;
            }
        }
        image.clsAttention[i] = static_cast<float>(logit);
    }
    softmax(image.clsAttention.data(), n, 1.0);
    image.patchTokens.resize(static_cast<size_t>(n) * image.dims);
    if (tokens == TokenModel::Noise) { // bench_engine's model: noise, 3 on a few dims per blob
        for (int i = 0; i < n; ++i)
            for (int k = 0; k < image.dims; ++k)
                image.patchTokens[static_cast<size_t>(i) * image.dims + k] = static_cast<float>(
                    gaussian.next() + (blobOf[i] >= 0 && k % 7 == blobOf[i] ? 3 : 0));
    } else { // a scene concept for the background, an object concept per blob, plus noise
        const std::vector<float>& library = conceptLibrary();
        std::vector<int> conceptOf(static_cast<size_t>(blobs) + 1);
        conceptOf[0] = static_cast<int>(gaussian.random().uniformIndex(kSceneConcepts));
        for (int b = 0; b < blobs; ++b)
            conceptOf[size_t(b) + 1] =
                kSceneConcepts + static_cast<int>(gaussian.random().uniformIndex(kObjectConcepts));
        for (int i = 0; i < n; ++i) {
            const float* blobConcept =
                library.data() + size_t(conceptOf[size_t(blobOf[i] + 1)]) * 384;
            for (int k = 0; k < image.dims; ++k)
                image.patchTokens[static_cast<size_t>(i) * image.dims + k] =
                    blobConcept[k] + static_cast<float>(0.15 * gaussian.next());
        }
    }
    std::vector<float> dense(static_cast<size_t>(n) * n);
    for (int i = 0; i < n; ++i) {
        float* row = dense.data() + static_cast<size_t>(i) * n;
        for (int j = 0; j < n; ++j)
            row[j] = static_cast<float>(-0.5 * image.grid.chebyshev(i, j) +
                                        (blobOf[i] >= 0 && blobOf[i] == blobOf[j] ? 2.0 : 0.0) +
                                        0.3 * gaussian.next());
        softmax(row, n, 1.0);
    }
    image.neighbourhood = NeighbourhoodAttention::fromDense(dense.data(), image.grid, 3);
    // [CLS]: the attention-weighted mean of the patch tokens, as a global summary would be.
    image.clsToken.assign(image.dims, 0.0f);
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < image.dims; ++k)
            image.clsToken[k] +=
                image.clsAttention[i] * image.patchTokens[static_cast<size_t>(i) * image.dims + k];
    return image;
}

} // namespace freesel::bench
