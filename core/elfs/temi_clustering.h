// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <Eigen/Core>
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace at {
class Tensor;
}

namespace freesel {

/// TEMI clustering heads as the official ELFS code configures them (docs/ALGORITHM.md section E1).
struct TemiOptions {
    int clusters = 10;
    int heads = 16;   ///< H independent heads (ELFS: 50; 16 is TEMI's cheaper setting)
    int epochs = 100; ///< ELFS: 200
    int warmupEpochs = 20;
    int batchSize = 1024;
    int neighbours = 50; ///< pairs (x_i, x_j), j uniform among i's 50 cosine nearest neighbours
    int hidden = 512;
    int bottleneck = 256;
    double baseLearningRate = 1e-4; ///< per 256 samples: lr = base * batch / 256 after warm-up
    double weightDecay = 1e-4;      ///< none on biases and 1-D parameters
    double teacherMomentum = 0.996;
    double beta = 0.6;
    double temperature = 0.1;
    double priorMomentum = 0.9;
    uint64_t seed = 0;
    int threads = 0;
};

struct TemiResult {
    std::vector<int> labels;       ///< argmax of the final teacher's best head
    int bestHead = 0;              ///< lowest mean loss over the last epoch
    std::vector<double> epochLoss; ///< mean loss per epoch (all heads)
    bool cancelled = false;
};

/// Called after each epoch (1-based) with its mean loss; false stops (cancel).
using TemiProgress = std::function<bool(int epoch, int epochs, double loss)>;

/// Trains the heads on the rows (raw embeddings, one per image) and returns the pseudo-labels.
/// Seeded; throws std::invalid_argument for clusters outside [1, rows] or too few rows for the
/// neighbour count.
TemiResult temiClustering(const Eigen::MatrixXf& rows, const TemiOptions& options,
                          const TemiProgress& progress = {},
                          const std::atomic<bool>* cancel = nullptr);

/// The TEMI loss of one batch: per head the student logits of views a and b and the teacher's
/// (each batch x K); `priors` (one K-vector per head) are updated in place before use. Returns
/// the mean over heads; `headLosses` (when given) receives each head's loss.
at::Tensor temiLoss(const std::vector<at::Tensor>& studentA,
                    const std::vector<at::Tensor>& studentB,
                    const std::vector<at::Tensor>& teacherA,
                    const std::vector<at::Tensor>& teacherB, std::vector<at::Tensor>& priors,
                    const TemiOptions& options, std::vector<at::Tensor>* headLosses = nullptr);

} // namespace freesel
