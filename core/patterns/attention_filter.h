// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <vector>

namespace freesel {

/// Patches ordered by [CLS] attention, largest first; ties broken by patch index so the
/// order (and everything after it) is deterministic.
std::vector<int> rankPatchesByAttention(const float* clsAttention, int patchCount);

/// The attention filter of Eq. 2 (docs/ALGORITHM.md section 2). The attention is normalised to sum
/// 1; patches are taken in rank order and patch i is kept iff the mass ranked above it is
/// < tau, so the patch that crosses tau is kept and at least one patch always is. tau = 1
/// keeps every patch. Returns the kept patch indices in ascending order.
/// Throws std::invalid_argument for tau outside (0, 1] or attention that is negative or not
/// finite.
std::vector<int> keepByAttention(const float* clsAttention, int patchCount, double tau);

/// The cumulative attention mass along the rank order (the curve the GUI plots with the tau
/// line): entry k is the mass of the k+1 most attended patches.
std::vector<double> cumulativeAttentionMass(const float* clsAttention, int patchCount);

/// Throws std::invalid_argument naming tau and its valid range (0, 1] when tau is outside it.
void validateTau(double tau);

} // namespace freesel
