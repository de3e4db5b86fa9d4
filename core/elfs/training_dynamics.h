// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace freesel {

/// The three difficulty scores of docs/ALGORITHM.md section E2, per sample.
struct DynamicsScores {
    std::vector<double> aum;        ///< sum over epochs of p[y] - max_{k != y} p[k]; low = hard
    std::vector<double> forgetting; ///< learned-then-forgotten events, start state 0; high = hard
    std::vector<double> el2n; ///< sum over the first epochs of ||p - onehot(y)||_2; high = hard
};

/// Accumulates AUM, forgetting and EL2N from each sample's logits of its training forward pass,
/// one epoch at a time, so no epochs x samples x classes log is ever held in memory. Each
/// sample is expected once per epoch; record() calls for disjoint samples may run in parallel.
class TrainingDynamics {
public:
    /// `labels`: the pseudo-label of every sample, each in [0, classes). `el2nEpochs`: how many
    /// leading epochs EL2N sums over (10 in ELFS and CCS). Throws std::invalid_argument on a
    /// label out of range or a non-positive class count.
    TrainingDynamics(std::vector<int> labels, int classes, int el2nEpochs = 10);

    /// Records the logits (rows x classes, row-major) of `samples` at `epoch` (0-based).
    void record(const int64_t* samples, const float* logits, int64_t rows, int epoch);

    int sampleCount() const { return static_cast<int>(labels_.size()); }
    int classes() const { return classes_; }
    const std::vector<int>& labels() const { return labels_; }
    /// The scores so far (copies; the accumulators keep going).
    DynamicsScores scores() const;

private:
    std::vector<int> labels_;
    int classes_ = 0;
    int el2nEpochs_ = 10;
    std::vector<double> aum_, el2n_, forgetting_;
    std::vector<uint8_t> correct_; ///< last observed correctness, 0 before the first epoch
};

} // namespace freesel
