// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/coreset_window.h"

#include "util/random_stream.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace freesel {

ElfsScore parseElfsScore(const std::string& name) {
    if (name == "aum")
        return ElfsScore::Aum;
    if (name == "forgetting")
        return ElfsScore::Forgetting;
    if (name == "el2n")
        return ElfsScore::El2n;
    throw std::invalid_argument("--elfs-score: unknown score '" + name +
                                "' (valid: aum, forgetting, el2n)");
}

std::string elfsScoreName(ElfsScore score) {
    switch (score) {
    case ElfsScore::Aum:
        return "aum";
    case ElfsScore::Forgetting:
        return "forgetting";
    case ElfsScore::El2n:
        return "el2n";
    }
    return "aum";
}

ElfsMode parseElfsMode(const std::string& name) {
    if (name == "window")
        return ElfsMode::Window;
    if (name == "ccs")
        return ElfsMode::Ccs;
    throw std::invalid_argument("--elfs-mode: unknown mode '" + name + "' (valid: window, ccs)");
}

std::string elfsModeName(ElfsMode mode) {
    return mode == ElfsMode::Ccs ? "ccs" : "window";
}

std::vector<int> hardnessOrder(const std::vector<double>& score, ElfsScore kind) {
    std::vector<int> order(score.size());
    std::iota(order.begin(), order.end(), 0);
    const bool lowIsHard = kind == ElfsScore::Aum;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return lowIsHard ? score[size_t(a)] < score[size_t(b)]
                         : score[size_t(a)] > score[size_t(b)];
    });
    return order;
}

double defaultElfsBeta(double keepRatio) {
    static constexpr std::array<std::pair<double, double>, 5> table = {
        {{0.1, 0.7}, {0.2, 0.5}, {0.3, 0.4}, {0.5, 0.2}, {0.7, 0.1}}};
    double beta = table.back().second;
    if (keepRatio <= table.front().first) {
        beta = table.front().second;
    } else {
        for (size_t i = 1; i < table.size(); ++i) {
            if (keepRatio <= table[i].first) {
                const auto [r0, b0] = table[i - 1];
                const auto [r1, b1] = table[i];
                beta = b0 + (b1 - b0) * (keepRatio - r0) / (r1 - r0);
                break;
            }
        }
    }
    return std::clamp(std::min(beta, 1.0 - keepRatio), 0.0, 1.0);
}

namespace {

/// m and c for a pool of n, clamping beta so the window fits (docs/ALGORITHM.md section E3).
WindowSelection windowBounds(int64_t n, int64_t budget, double beta) {
    if (!(beta >= 0.0 && beta < 1.0))
        throw std::invalid_argument("--elfs-beta: " + std::to_string(beta) +
                                    " is outside the valid range [0, 1)");
    if (budget < 0)
        throw std::invalid_argument("ELFS: the budget must be >= 0");
    WindowSelection result;
    const int64_t c = std::min(budget, n);
    result.dropped = static_cast<int64_t>(std::floor(beta * double(n)));
    result.beta = beta;
    if (result.dropped + c > n) {
        result.dropped = n - c;
        result.beta = n > 0 ? double(n - c) / double(n) : 0.0;
        result.clamped = true;
        result.note = "ELFS: beta " + std::to_string(beta) + " would drop " +
                      std::to_string(static_cast<int64_t>(std::floor(beta * double(n)))) +
                      " hardest images, leaving fewer than the budget " + std::to_string(c) +
                      "; beta clamped to 1 - r = " + std::to_string(result.beta);
    }
    return result;
}

} // namespace

WindowSelection doubleEndWindow(const std::vector<int>& order, int64_t budget, double beta) {
    const int64_t n = static_cast<int64_t>(order.size());
    WindowSelection result = windowBounds(n, budget, beta);
    const int64_t c = std::min(budget, n);
    // An explicit [m, m + c) range: the official order[m:-c]-style slice returns nothing
    // when m + c = N.
    result.images.assign(order.begin() + result.dropped, order.begin() + result.dropped + c);
    return result;
}

std::vector<int64_t> allocateStrata(const std::vector<int64_t>& sizes, int64_t budget) {
    std::vector<size_t> bySize(sizes.size());
    std::iota(bySize.begin(), bySize.end(), size_t{0});
    std::stable_sort(bySize.begin(), bySize.end(),
                     [&](size_t a, size_t b) { return sizes[a] < sizes[b]; });
    std::vector<int64_t> allocation(sizes.size(), 0);
    int64_t remaining = std::max<int64_t>(budget, 0);
    const int64_t strata = static_cast<int64_t>(sizes.size());
    for (int64_t i = 0; i < strata; ++i) {
        const size_t s = bySize[size_t(i)];
        const int64_t share = remaining / (strata - i);
        allocation[s] = std::min(sizes[s], share);
        remaining -= allocation[s];
    }
    return allocation;
}

WindowSelection ccsSelection(const std::vector<int>& order, const std::vector<double>& score,
                             int64_t budget, double beta, uint64_t seed, int strata) {
    if (strata < 1)
        throw std::invalid_argument("CCS: the stratum count must be >= 1");
    const int64_t n = static_cast<int64_t>(order.size());
    WindowSelection result = windowBounds(n, budget, beta);
    const std::vector<int> kept(order.begin() + result.dropped, order.end());
    if (kept.empty())
        return result;
    double lo = score[size_t(kept.front())], hi = lo;
    for (int i : kept) {
        lo = std::min(lo, score[size_t(i)]);
        hi = std::max(hi, score[size_t(i)]);
    }
    // CCS's eps: the top score falls inside the last stratum.
    const double width = (hi + 1e-4 - lo) / strata;
    std::vector<std::vector<int>> members(static_cast<size_t>(strata));
    for (int i : kept) {
        const int s = std::min(strata - 1, int((score[size_t(i)] - lo) / width));
        members[size_t(s)].push_back(i); // `kept` is hardest first, so each stratum is too
    }
    std::vector<int64_t> sizes(static_cast<size_t>(strata));
    for (int s = 0; s < strata; ++s)
        sizes[size_t(s)] = static_cast<int64_t>(members[size_t(s)].size());
    const std::vector<int64_t> allocation = allocateStrata(sizes, std::min(budget, n));
    std::vector<uint8_t> chosen(size_t(n), 0);
    for (int s = 0; s < strata; ++s) {
        std::vector<int>& m = members[size_t(s)];
        // Partial Fisher-Yates with one stream per stratum: independent of the others.
        RandomStream random = RandomStream::forItem(seed, uint64_t(s));
        for (int64_t j = 0; j < allocation[size_t(s)]; ++j) {
            const auto pick = j + int64_t(random.uniformIndex(uint64_t(int64_t(m.size()) - j)));
            std::swap(m[size_t(j)], m[size_t(pick)]);
            chosen[size_t(m[size_t(j)])] = 1;
        }
    }
    for (int i : kept)
        if (chosen[size_t(i)])
            result.images.push_back(i);
    return result;
}

} // namespace freesel
