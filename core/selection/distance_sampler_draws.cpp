// SPDX-License-Identifier: GPL-3.0-or-later
// The draws of distance sampling, over one process or several shares (MPI ranks): every share
// keeps the sums of its own rows in fixed point, the shares' sums are gathered after each step,
// and the same random stream on every share picks the same global row, whose owner then hands
// the chosen image's rows to all. One process is the one-share case of the same code.
#include "selection/distance_sampler.h"

#include "selection/distance_kernels.h"

#include <QElapsedTimer>
#include <cmath>
#include <cstring>
#include <limits>

namespace freesel::sampling_detail {

namespace {
uint64_t bitsOf(double value) {
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}
double doubleOf(uint64_t bits) {
    double value = 0.0;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}
} // namespace

/// Learns where this share's images and rows sit in the whole pool, and fixes the quantum of
/// the sums from a bound on any D (the same on every share): cosine D <= 2; Euclidean D is at
/// most the sum of two row norms. The bound has 0.1% room for float rounding.
void DistanceSampler::joinShares() {
    if (options_.peers)
        peers_ = options_.peers;
    double bound = 2.0;
    if (options_.metric == DistanceMetric::Euclidean) {
        double largest = largestSquaredNorm_; // measured while reading rows on file
        if (!rowsOnFile_)
            for (int64_t row = 0; row < rows_; ++row)
                largest = std::max(
                    largest, double(dotProduct(pool_.pattern(row), pool_.pattern(row), dims_)));
        bound = 2.0 * std::sqrt(largest);
    }
    const std::vector<uint64_t> shares =
        peers_->allGather({uint64_t(rows_), uint64_t(pool_.imageCount()), bitsOf(bound)});
    shareFirstImage_.assign(1, 0);
    globalRows_ = 0;
    for (size_t s = 0; s < shares.size(); s += 3) {
        globalRows_ += int64_t(shares[s]);
        shareFirstImage_.push_back(shareFirstImage_.back() + int64_t(shares[s + 1]));
        bound = std::max(bound, doubleOf(shares[s + 2]));
    }
    bound = bound * 1.001 + 1e-30;
    massScale_ = FixedPointScale::forBound(bound * bound, globalRows_);
    distanceScale_ = FixedPointScale::forBound(bound, globalRows_);
}

void DistanceSampler::gatherSummaries() {
    ShareSummary mine;
    mine.mass = options_.rule == SamplingRule::DSquared ? massTree_.total() : 0;
    mine.distanceSum = distanceSum_;
    mine.unselected = unselected_.total();
    if (options_.rule == SamplingRule::Farthest && farthestTree_.argmax() >= 0)
        mine.farthest = farthestTree_.value(farthestTree_.argmax());
    uint32_t farthestBits = 0;
    std::memcpy(&farthestBits, &mine.farthest, sizeof farthestBits);
    const std::vector<uint64_t> words =
        peers_->allGather({mine.mass, mine.distanceSum, mine.unselected, farthestBits});
    summaries_.resize(words.size() / ShareSummary::kWords);
    for (size_t s = 0; s < summaries_.size(); ++s) {
        const uint64_t* w = &words[s * ShareSummary::kWords];
        summaries_[s] = {w[0], w[1], w[2], 0.0f};
        farthestBits = static_cast<uint32_t>(w[3]);
        std::memcpy(&summaries_[s].farthest, &farthestBits, sizeof farthestBits);
    }
}

int DistanceSampler::ownerOfImage(int64_t image) const {
    const auto after =
        std::upper_bound(shareFirstImage_.begin(), shareFirstImage_.end() - 1, image);
    return static_cast<int>(after - shareFirstImage_.begin()) - 1;
}

/// The share whose run of `field` holds `target` (shares in order, as one global row order);
/// `target` becomes the offset into that share.
int DistanceSampler::ownerOf(uint64_t ShareSummary::*field, uint64_t& target) const {
    for (size_t s = 0; s < summaries_.size(); ++s) {
        const uint64_t value = summaries_[s].*field;
        if (target < value)
            return static_cast<int>(s);
        target -= value;
    }
    return static_cast<int>(summaries_.size()) - 1; // unreachable: target < the total
}

/// The next pick by the rule; returns its owner share, which alone learns the local image and
/// the score (absorb tells the others).
int DistanceSampler::drawNextRow(RandomStream& random, int64_t& localImage, double& score) {
    int64_t row = -1;
    int owner = -1;
    if (options_.rule == SamplingRule::DSquared) {
        uint64_t total = 0;
        for (const ShareSummary& share : summaries_)
            total += share.mass;
        if (total > 0) {
            // floor(u * total) exactly: u's 53 random bits times the integer total in 128 bits.
            const auto bits = static_cast<uint64_t>(random.uniform01() * 0x1p53);
            uint64_t target = static_cast<uint64_t>((static_cast<UInt128>(bits) * total) >> 53);
            owner = ownerOf(&ShareSummary::mass, target);
            if (owner == peers_->self())
                row = massTree_.findByMass(target);
        }
    } else if (options_.rule == SamplingRule::Farthest) {
        float best = 0.0f; // strictly larger: ties stay with the lower share, as with lower rows
        for (size_t s = 0; s < summaries_.size(); ++s)
            if (summaries_[s].farthest > best) {
                best = summaries_[s].farthest;
                owner = static_cast<int>(s);
            }
        if (owner == peers_->self())
            row = farthestTree_.argmax();
    }
    if (owner < 0) { // only duplicates (or rowless images) remain
        score = 0.0;
        return drawUniformImage(random, localImage);
    }
    if (row >= 0) {
        score = d_[positionOfRow_[row]];
        localImage = pool_.imageOf(row);
    }
    return owner;
}

int DistanceSampler::drawUniformImage(RandomStream& random, int64_t& localImage) {
    uint64_t remaining = 0;
    for (const ShareSummary& share : summaries_)
        remaining += share.unselected;
    uint64_t k = random.uniformIndex(remaining);
    const int owner = ownerOf(&ShareSummary::unselected, k);
    if (owner == peers_->self())
        localImage = unselected_.findByMass(k);
    return owner;
}

/// Selects an image on every share: its owner deactivates its rows and sends them (with the
/// image's global index and score) to all; every share lowers D of its own rows with them.
void DistanceSampler::absorb(int owner, int localImage, double score, ChosenImage& chosen) {
    std::vector<float> queries;
    if (owner == peers_->self()) {
        deactivate(localImage, queries);
        chosen = {shareFirstImage_[owner] + localImage, score, pool_.patternCountOf(localImage)};
    }
    peers_->broadcast(owner, &chosen, sizeof chosen);
    queries.resize(static_cast<size_t>(chosen.queryCount) * dims_);
    peers_->broadcast(owner, queries.data(), int64_t(queries.size() * sizeof(float)));
    lowerDistances(queries, static_cast<int>(chosen.queryCount));
    gatherSummaries();
}

SelectionResult DistanceSampler::run(int64_t budget, uint64_t seed) {
    SelectionResult result;
    const int64_t images = shareFirstImage_.back();
    const std::vector<int>& seeds = options_.seedImages;
    const int64_t count = std::min<int64_t>(budget, images - static_cast<int64_t>(seeds.size()));
    if (count <= 0)
        return result;
    QElapsedTimer timer;
    timer.start();
    RandomStream random(seed);
    ChosenImage chosen;
    const double none = std::numeric_limits<double>::quiet_NaN();
    const auto absorbKnown = [&](int64_t image) {
        const int owner = ownerOfImage(image);
        absorb(owner, static_cast<int>(image - shareFirstImage_[owner]), none, chosen);
    };
    for (int image : seeds) // the order does not matter: D is a minimum over the set
        absorbKnown(image);
    result.picks.reserve(count);
    result.coverage.reserve(count);
    for (int64_t rank = 0; rank < count; ++rank) {
        if (options_.rule == SamplingRule::Replay) {
            absorbKnown(options_.replayOrder.at(rank));
        } else if (rank == 0 && seeds.empty()) {
            absorbKnown(static_cast<int64_t>(random.uniformIndex(uint64_t(images))));
        } else {
            int64_t localImage = -1;
            double score = 0.0;
            const int owner = drawNextRow(random, localImage, score);
            absorb(owner, static_cast<int>(localImage), score, chosen);
        }
        if (rank > 0 || !seeds.empty()) // a naive update: every other active row x every query
            stats_.candidatePairs += chosen.queryCount * activeRows_;
        result.picks.push_back({static_cast<int>(chosen.image), chosen.score});
        uint64_t distanceSum = 0;
        for (const ShareSummary& share : summaries_)
            distanceSum += share.distanceSum;
        result.coverage.push_back(globalRows_ > 0 ? distanceScale_.value(distanceSum) / globalRows_
                                                  : 0.0);
    }
    stats_.samplingSeconds = timer.nsecsElapsed() * 1e-9;
    return result;
}

} // namespace freesel::sampling_detail
