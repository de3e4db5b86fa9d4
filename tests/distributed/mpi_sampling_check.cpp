// SPDX-License-Identifier: GPL-3.0-or-later
// Run under `mpirun -n R` (tests/CMakeLists.txt registers R = 1..4): every rank holds a
// contiguous share of each generated pool and runs distributed distance sampling; every rank
// also runs the single-process engine over the whole pool, and the two must agree exactly:
// the same images, bit-identical D scores and coverage. Exit 0 on agreement.
#include "distributed/contiguous_share.h"
#include "distributed/mpi_peers.h"
#include "selection/distance_sampling.h"
#include "support/synthetic_pool.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

using namespace freesel;

namespace {

struct Case {
    std::string name;
    PatternPool pool;
    int64_t budget;
    SamplingRule rule;
    DistanceMetric metric;
    std::vector<int> seeds;
};

PatternPool shareOf(const PatternPool& pool, const ContiguousShare& share) {
    PatternPool part(pool.dims());
    for (int64_t image = share.first; image < share.first + share.count; ++image) {
        const int i = static_cast<int>(image);
        part.addImage(pool.pattern(pool.firstPatternOf(i)), pool.patternCountOf(i));
    }
    return part;
}

bool sameBits(double a, double b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

/// Eight distinct images, each five times: after eight picks every D is 0 and the draws fall
/// back to uniform over the unselected images, which must agree across ranks too.
PatternPool duplicatesPool() {
    std::vector<std::vector<std::vector<float>>> images;
    testing::Gaussian gaussian(11);
    std::vector<std::vector<std::vector<float>>> distinct(8);
    for (auto& image : distinct)
        for (int p = 0; p < 2; ++p) {
            std::vector<float> row(16);
            for (float& v : row)
                v = static_cast<float>(gaussian.next());
            image.push_back(row);
        }
    for (int copy = 0; copy < 5; ++copy)
        images.insert(images.end(), distinct.begin(), distinct.end());
    return testing::poolOfVectors(images);
}

std::vector<Case> cases() {
    const PatternPool clustered = testing::makeClusteredPool(300, 24, 9, 5, 0.4, 7);
    std::vector<Case> all;
    all.push_back(
        {"dsquared-cosine", clustered, 150, SamplingRule::DSquared, DistanceMetric::Cosine, {}});
    all.push_back({"dsquared-euclidean",
                   clustered,
                   150,
                   SamplingRule::DSquared,
                   DistanceMetric::Euclidean,
                   {}});
    all.push_back(
        {"farthest-cosine", clustered, 150, SamplingRule::Farthest, DistanceMetric::Cosine, {}});
    all.push_back({"dsquared-labeled",
                   clustered,
                   100,
                   SamplingRule::DSquared,
                   DistanceMetric::Cosine,
                   {4, 150, 299}});
    all.push_back({"dsquared-duplicates",
                   duplicatesPool(),
                   40,
                   SamplingRule::DSquared,
                   DistanceMetric::Cosine,
                   {}});
    return all;
}

} // namespace

int main() {
    MpiRuntime mpi;
    const auto peers = mpi.peers();
    int failures = 0;
    for (const Case& c : cases()) {
        DistanceSamplingOptions options;
        options.rule = c.rule;
        options.metric = c.metric;
        options.threads = 1;
        options.seedImages = c.seeds;
        const SelectionResult whole = distanceSampling(c.pool, c.budget, 42, options);
        options.peers = peers.get();
        const ContiguousShare share = contiguousShare(c.pool.imageCount(), mpi.size(), mpi.rank());
        const SelectionResult split =
            distanceSampling(shareOf(c.pool, share), c.budget, 42, options);
        bool same = whole.picks.size() == split.picks.size() &&
                    whole.coverage.size() == split.coverage.size();
        for (size_t k = 0; same && k < whole.picks.size(); ++k)
            same = whole.picks[k].image == split.picks[k].image &&
                   sameBits(whole.picks[k].score, split.picks[k].score) &&
                   sameBits(whole.coverage[k], split.coverage[k]);
        if (!same) {
            ++failures;
            std::fprintf(stderr, "rank %d of %d: %s differs from the single process\n", mpi.rank(),
                         mpi.size(), c.name.c_str());
        }
    }
    if (failures == 0 && mpi.rank() == 0)
        std::printf("all cases agree on %d ranks\n", mpi.size());
    return failures == 0 ? 0 : 1;
}
