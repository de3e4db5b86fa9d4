// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/attention_filter.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

double totalAttention(const float* clsAttention, int patchCount) {
    double total = 0.0;
    for (int i = 0; i < patchCount; ++i) {
        const float a = clsAttention[i];
        if (!std::isfinite(a) || a < 0.0f)
            throw std::invalid_argument("CLS attention of patch " + std::to_string(i) +
                                        " is negative or not finite");
        total += a;
    }
    return total;
}

} // namespace

void validateTau(double tau) {
    if (!(tau > 0.0 && tau <= 1.0)) {
        std::ostringstream message; // "got 0", not std::to_string's "got 0.000000"
        message << "tau must be in (0, 1], got " << tau;
        throw std::invalid_argument(message.str());
    }
}

std::vector<int> rankPatchesByAttention(const float* clsAttention, int patchCount) {
    std::vector<int> order(patchCount);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [clsAttention](int a, int b) { return clsAttention[a] > clsAttention[b]; });
    return order;
}

std::vector<double> cumulativeAttentionMass(const float* clsAttention, int patchCount) {
    const double total = totalAttention(clsAttention, patchCount);
    const std::vector<int> order = rankPatchesByAttention(clsAttention, patchCount);
    std::vector<double> mass(patchCount);
    double running = 0.0;
    for (int k = 0; k < patchCount; ++k) {
        // All-zero attention carries no preference: treat it as uniform.
        running += total > 0.0 ? clsAttention[order[k]] / total : 1.0 / patchCount;
        mass[k] = running;
    }
    return mass;
}

std::vector<int> keepByAttention(const float* clsAttention, int patchCount, double tau) {
    validateTau(tau);
    if (patchCount <= 0)
        return {};
    const std::vector<int> order = rankPatchesByAttention(clsAttention, patchCount);
    const std::vector<double> mass = cumulativeAttentionMass(clsAttention, patchCount);
    // tau = 1 means "no filtering"; comparing a rounded running sum against 1 would drop
    // zero-attention patches at random.
    int keptCount = patchCount;
    if (tau < 1.0) {
        keptCount = 1;
        while (keptCount < patchCount && mass[keptCount - 1] < tau)
            ++keptCount;
    }
    std::vector<int> kept(order.begin(), order.begin() + keptCount);
    std::sort(kept.begin(), kept.end());
    return kept;
}

} // namespace freesel
