// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/near_duplicates.h"

#include <Eigen/Core>

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Union-find over images, with the weakest and strongest link of each component.
class Components {
public:
    explicit Components(int n) : parent_(static_cast<size_t>(n)) {
        std::iota(parent_.begin(), parent_.end(), 0);
    }
    int find(int i) {
        while (parent_[static_cast<size_t>(i)] != i)
            i = parent_[static_cast<size_t>(i)] =
                parent_[static_cast<size_t>(parent_[static_cast<size_t>(i)])];
        return i;
    }
    void join(int a, int b) {
        a = find(a);
        b = find(b);
        if (a != b)
            parent_[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
    }

private:
    std::vector<int> parent_;
};

struct Link {
    int a, b;
    double similarity;
};

/// Every pair at or above the threshold, a block of rows at a time (one matrix product per
/// block keeps the memory at block x n).
std::vector<Link> similarPairs(const PatternPool& global, double threshold, bool centre) {
    const int n = global.imageCount();
    RowMatrix x = Eigen::Map<const RowMatrix>(global.pattern(0), n, global.dims());
    if (centre)
        x.rowwise() -= x.colwise().mean();
    x.rowwise().normalize(); // a zero row stays zero: similarity 0, never a duplicate
    std::vector<Link> links;
    constexpr int kBlock = 512;
    for (int start = 0; start < n; start += kBlock) {
        const int rows = std::min(kBlock, n - start);
        const Eigen::MatrixXf s = x.middleRows(start, rows) * x.transpose();
        for (int r = 0; r < rows; ++r)
            for (int j = start + r + 1; j < n; ++j)
                if (s(r, j) >= threshold)
                    links.push_back({start + r, j, double(s(r, j))});
    }
    return links;
}

} // namespace

std::vector<DuplicateGroup> findNearDuplicates(const PatternPool& global, double threshold,
                                               const std::vector<double>& preference, bool centre) {
    if (!(threshold > 0.0 && threshold <= 1.0))
        throw std::invalid_argument("--threshold " + std::to_string(threshold) +
                                    " is outside (0, 1] (a cosine similarity)");
    const int n = global.imageCount();
    if (!preference.empty() && static_cast<int>(preference.size()) != n)
        throw std::invalid_argument("findNearDuplicates: one preference per image is needed");
    if (n < 2 || global.patternCount() != n)
        return {};
    const std::vector<Link> links = similarPairs(global, threshold, centre);
    Components components(n);
    for (const Link& link : links)
        components.join(link.a, link.b);
    std::map<int, DuplicateGroup> byRoot; // the root is the smallest member: groups in order
    for (const Link& link : links) {
        DuplicateGroup& group = byRoot[components.find(link.a)];
        const bool first = group.members.empty();
        group.members.push_back(link.a);
        group.members.push_back(link.b);
        group.minSimilarity =
            first ? link.similarity : std::min(group.minSimilarity, link.similarity);
        group.maxSimilarity =
            first ? link.similarity : std::max(group.maxSimilarity, link.similarity);
    }
    std::vector<DuplicateGroup> groups;
    for (auto& [root, group] : byRoot) {
        std::sort(group.members.begin(), group.members.end());
        group.members.erase(std::unique(group.members.begin(), group.members.end()),
                            group.members.end());
        // A chain a~b~c can join a and c below the threshold: the weakest link is the
        // smallest of the links that joined them, which is what minSimilarity holds.
        group.keep = group.members.front();
        for (int member : group.members)
            if (!preference.empty() && preference[static_cast<size_t>(member)] >
                                           preference[static_cast<size_t>(group.keep)])
                group.keep = member;
        groups.push_back(std::move(group));
    }
    return groups;
}

} // namespace freesel
