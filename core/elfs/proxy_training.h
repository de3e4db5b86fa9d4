// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "elfs/proxy_views.h"
#include "elfs/training_dynamics.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace freesel {

/// The default proxy's training (docs/ALGORITHM.md section E2, scaled to a small network on token
/// views): SGD, momentum 0.9, Nesterov, weight decay 5e-4, cosine annealing per iteration from
/// `learningRate` to `finalLearningRate`.
struct ProxyOptions {
    int epochs = 50;
    int batchSize = 256;
    int hidden = 256; ///< width of the MLP's hidden layer
    double learningRate = 0.1;
    double finalLearningRate = 1e-4;
    double momentum = 0.9;
    double weightDecay = 5e-4;
    ViewRule views;
    uint64_t seed = 0;
    int threads = 0; ///< 0: all cores; >= 2: the next minibatch is built while one trains
};

struct ProxyEpoch {
    int epoch = 0; ///< 1-based
    int epochs = 0;
    double loss = 0.0;     ///< mean training cross-entropy of the epoch
    double accuracy = 0.0; ///< fraction of training forward passes agreeing with the label
};

/// Called after each epoch; returning false stops training there (cancel).
using ProxyProgress = std::function<bool(const ProxyEpoch&)>;

struct ProxyReport {
    DynamicsScores scores;
    std::vector<ProxyEpoch> curve;
    bool cancelled = false;
};

/// Trains Linear(5d, hidden) - ReLU - Linear(hidden, K) on a fresh random view of every image
/// each epoch (inputs standardised by the statistics of the unaugmented views) against the
/// pseudo-labels, and accumulates AUM, forgetting and EL2N from each minibatch's training
/// forward pass (weights before the step). Reproducible from the seed whatever `threads` is.
ProxyReport trainProxy(const ProxyInputs& inputs, const std::vector<int>& labels, int classes,
                       const ProxyOptions& options, const ProxyProgress& progress = {},
                       const std::atomic<bool>* cancel = nullptr);

} // namespace freesel
