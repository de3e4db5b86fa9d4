// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "elfs/pixel_images.h"
#include "elfs/proxy_training.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace freesel {

/// The faithful proxy (docs/ALGORITHM.md section E2, --elfs-proxy resnet18): the CIFAR
/// ResNet-18 trained from scratch on the pixels with random crop (reflect padding) and
/// horizontal flip; SGD momentum 0.9 Nesterov, weight decay 5e-4, batch 256, cosine annealing
/// per iteration from 0.1 to 1e-4, as the official code trains it.
struct ResNetProxyOptions {
    int epochs = 50; ///< ELFS: 200
    int batchSize = 256;
    int width = 64;  ///< channels of the first stage (64 in the paper; tests use fewer)
    int padding = 4; ///< crop padding in pixels (reflect), 4 at 32 x 32
    double learningRate = 0.1;
    double finalLearningRate = 1e-4;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    uint64_t seed = 0;
    int threads = 0;             ///< CPU threads (0: all cores)
    std::string device = "auto"; ///< "auto" (CUDA when present), "cpu", "cuda", "cuda:N"
};

/// Trains the network on `images` against the pseudo-labels and accumulates AUM, forgetting and
/// EL2N from each minibatch's training forward pass (TrainingDynamics, as the default proxy).
/// Cancel is checked after every batch; progress after every epoch. Reproducible from the seed
/// on the CPU with a fixed thread count.
ProxyReport trainResNetProxy(const PixelImages& images, const std::vector<int>& labels, int classes,
                             const ResNetProxyOptions& options, const ProxyProgress& progress = {},
                             const std::atomic<bool>* cancel = nullptr);

/// The estimated training time in seconds: one timed training step on a batch (after one
/// untimed warm-up step), times the steps of the whole run. `stepSeconds` (when given) receives
/// the time of the one step. Touches no state of a later training run.
double estimateResNetProxySeconds(const PixelImages& images, int classes,
                                  const ResNetProxyOptions& options, double* stepSeconds = nullptr);

/// "about 3 h 20 min" / "about 12 min" / "about 40 s".
std::string describeDuration(double seconds);

} // namespace freesel
