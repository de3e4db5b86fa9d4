// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/training_dynamics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace freesel {

TrainingDynamics::TrainingDynamics(std::vector<int> labels, int classes, int el2nEpochs)
    : labels_(std::move(labels)), classes_(classes), el2nEpochs_(el2nEpochs) {
    if (classes_ < 1)
        throw std::invalid_argument("training dynamics: class count must be >= 1, got " +
                                    std::to_string(classes_));
    for (int label : labels_)
        if (label < 0 || label >= classes_)
            throw std::invalid_argument("training dynamics: pseudo-label " + std::to_string(label) +
                                        " outside [0, " + std::to_string(classes_) + ")");
    const size_t n = labels_.size();
    aum_.assign(n, 0.0);
    el2n_.assign(n, 0.0);
    forgetting_.assign(n, 0.0);
    correct_.assign(n, 0);
}

void TrainingDynamics::record(const int64_t* samples, const float* logits, int64_t rows,
                              int epoch) {
    std::vector<double> p(static_cast<size_t>(classes_));
    for (int64_t r = 0; r < rows; ++r) {
        const size_t i = static_cast<size_t>(samples[r]);
        const float* z = logits + r * classes_;
        // Softmax in double, shifted by the maximum for stability.
        const double zmax = *std::max_element(z, z + classes_);
        double sum = 0.0;
        for (int k = 0; k < classes_; ++k)
            sum += (p[size_t(k)] = std::exp(double(z[k]) - zmax));
        for (double& v : p)
            v /= sum;
        const int y = labels_[i];
        double other = -1.0;
        for (int k = 0; k < classes_; ++k)
            if (k != y)
                other = std::max(other, p[size_t(k)]);
        if (classes_ == 1)
            other = 0.0;
        aum_[i] += p[size_t(y)] - other;
        // Correct = the first maximal index is y (torch.argmax), so a tie counts as wrong
        // unless y comes first.
        const int argmax = int(std::max_element(p.begin(), p.end()) - p.begin());
        const uint8_t correct = argmax == y ? 1 : 0;
        if (correct_[i] == 1 && correct == 0)
            forgetting_[i] += 1.0;
        correct_[i] = correct;
        if (epoch < el2nEpochs_) {
            double squares = 0.0;
            for (int k = 0; k < classes_; ++k) {
                const double d = p[size_t(k)] - (k == y ? 1.0 : 0.0);
                squares += d * d;
            }
            el2n_[i] += std::sqrt(squares);
        }
    }
}

DynamicsScores TrainingDynamics::scores() const {
    return DynamicsScores{aum_, forgetting_, el2n_};
}

} // namespace freesel
