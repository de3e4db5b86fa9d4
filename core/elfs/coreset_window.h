// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace freesel {

/// Which difficulty score ranks the pool (docs/ALGORITHM.md section E2).
enum class ElfsScore { Aum, Forgetting, El2n };
/// The ELFS double-end window, or CCS stratified sampling after dropping the hardest.
enum class ElfsMode { Window, Ccs };

/// "aum", "forgetting", "el2n"; throws std::invalid_argument naming the choices otherwise.
ElfsScore parseElfsScore(const std::string& name);
std::string elfsScoreName(ElfsScore score);
/// "window", "ccs"; throws std::invalid_argument naming the choices otherwise.
ElfsMode parseElfsMode(const std::string& name);
std::string elfsModeName(ElfsMode mode);

/// Sample indices hardest first: AUM ascending, forgetting and EL2N descending; a stable sort,
/// so ties keep index order.
std::vector<int> hardnessOrder(const std::vector<double>& score, ElfsScore kind);

/// The default beta for a keep ratio r in (0, 1]: the public CIFAR-100 reproduction's table
/// (r, beta) = (0.1, 0.7), (0.2, 0.5), (0.3, 0.4), (0.5, 0.2), (0.7, 0.1), linear in between,
/// 0.7 below r = 0.1 and 0.1 above r = 0.7, then clamped to 1 - r.
double defaultElfsBeta(double keepRatio);

struct WindowSelection {
    std::vector<int> images; ///< selected indices, hardest kept first
    int64_t dropped = 0;     ///< m = floor(beta N): the hardest images skipped
    double beta = 0.0;       ///< the beta applied (after any clamp)
    bool clamped = false;    ///< beta was lowered to 1 - r because m + c > N
    std::string note;        ///< what was clamped, for the user; empty otherwise
};

/// docs/ALGORITHM.md section E3: m = floor(beta N), selected = order[m : m + c] with c =
/// min(budget, N). When m + c > N, beta is clamped to 1 - c/N (m = N - c) and the note says so.
/// Throws std::invalid_argument for beta outside [0, 1) or a negative budget.
WindowSelection doubleEndWindow(const std::vector<int>& order, int64_t budget, double beta);

/// CCS budget allocation: strata visited smallest first, b_i = min(n_i, floor(R / (S - i))),
/// R -= b_i. Returns b per stratum in the input order; it sums to min(budget, sum n_i).
std::vector<int64_t> allocateStrata(const std::vector<int64_t>& sizes, int64_t budget);

/// CCS mode: drops order[:m] as the window does, splits the rest into `strata` equal-width
/// bins of `score` over [min, max + eps], allocates the budget with allocateStrata() and draws
/// uniformly (seeded) within each stratum. Images come back hardest first.
WindowSelection ccsSelection(const std::vector<int>& order, const std::vector<double>& score,
                             int64_t budget, double beta, uint64_t seed, int strata = 50);

} // namespace freesel
