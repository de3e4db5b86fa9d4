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

/// Every share's summary, and the pending picks' changes of the coverage sum (pickDelta_)
/// summed over the shares into batchDeltas_.
void DistanceSampler::gatherSummaries() {
    ShareSummary mine;
    mine.mass = options_.rule == SamplingRule::DSquared ? massTree_.total() : 0;
    mine.distanceSum = distanceSum_;
    mine.unselected = unselected_.total();
    if (options_.rule == SamplingRule::Farthest && farthestTree_.argmax() >= 0)
        mine.farthest = farthestTree_.value(farthestTree_.argmax());
    uint32_t farthestBits = 0;
    std::memcpy(&farthestBits, &mine.farthest, sizeof farthestBits);
    std::vector<uint64_t> words = {mine.mass, mine.distanceSum, mine.unselected, farthestBits};
    const auto picks = size_t(pending_.picks()); // the same on every share
    pickDelta_.resize(picks, 0);
    words.insert(words.end(), pickDelta_.begin(), pickDelta_.end());
    pickDelta_.clear();
    const std::vector<uint64_t> all = peers_->allGather(words);
    const size_t width = ShareSummary::kWords + picks;
    summaries_.resize(all.size() / width);
    batchDeltas_.assign(picks, 0);
    for (size_t s = 0; s < summaries_.size(); ++s) {
        const uint64_t* w = &all[s * width];
        summaries_[s] = {w[0], w[1], w[2], 0.0f};
        farthestBits = static_cast<uint32_t>(w[3]);
        std::memcpy(&summaries_[s].farthest, &farthestBits, sizeof farthestBits);
        for (size_t j = 0; j < picks; ++j)
            batchDeltas_[j] += w[ShareSummary::kWords + j];
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

/// The next pick by the rule; returns its owner share, which alone learns the local image, row
/// and score (settleDraw tells the others). `byMass`: drawn by D^2 (the same on every share).
int DistanceSampler::drawNextRow(RandomStream& random, int64_t& localImage, int64_t& localRow,
                                 double& score, bool& byMass) {
    int64_t row = -1;
    int owner = -1;
    byMass = false;
    if (options_.rule == SamplingRule::DSquared) {
        uint64_t total = 0;
        for (const ShareSummary& share : summaries_)
            total += share.mass;
        if (total > 0) {
            // floor(u * total) exactly: u's 53 random bits times the integer total in 128 bits.
            const auto bits = static_cast<uint64_t>(random.uniform01() * 0x1p53);
            uint64_t target = static_cast<uint64_t>((static_cast<UInt128>(bits) * total) >> 53);
            owner = ownerOf(&ShareSummary::mass, target);
            byMass = true;
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
    localRow = row;
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

/// The owner's test of a row drawn from D as of the last lowering (D_then): its D catches up
/// with the pending picks (D_now), and the draw stands with probability D_now^2 / D_then^2,
/// decided exactly in fixed point from the 53 random bits every share drew. A row drawn with
/// probability D_then^2 / M and kept with D_now^2 / D_then^2 is kept with D_now^2 / M: each
/// pick follows D^2 exactly. A rejected row keeps its exact D.
bool DistanceSampler::judgeDraw(int64_t localRow, uint64_t acceptBits, double& score) {
    const int64_t position = positionOfRow_[localRow];
    const float then = d_[position];
    catchUp(position);
    const float now = d_[position];
    score = now;
    const uint64_t thenMass = massScale_.quantise(static_cast<double>(then) * then);
    const uint64_t nowMass = massScale_.quantise(static_cast<double>(now) * now);
    const auto threshold =
        static_cast<uint64_t>((static_cast<UInt128>(acceptBits) * thenMass) >> 53);
    return threshold < nowMass;
}

/// Settles a draw on every share: its owner judges it (a batched D^2 draw) and, if it stands,
/// deactivates the image's rows; it sends the outcome, and the rows, to all. An accepted image
/// joins the pending picks, whose queries lower D at the next lowering. Returns whether the
/// draw stands.
bool DistanceSampler::settleDraw(int owner, int64_t localImage, int64_t localRow, double score,
                                 bool judge, uint64_t acceptBits, bool counted,
                                 ChosenImage& chosen) {
    std::vector<float> queries;
    if (owner == peers_->self()) {
        const bool accepted = !judge || judgeDraw(localRow, acceptBits, score);
        chosen = {shareFirstImage_[owner] + localImage, score, 0, accepted ? 1 : 0, 0};
        if (accepted) {
            deactivate(static_cast<int>(localImage), queries);
            chosen.queryCount = pool_.patternCountOf(static_cast<int>(localImage));
        }
        chosen.ownerMass = options_.rule == SamplingRule::DSquared ? massTree_.total() : 0;
    }
    peers_->broadcast(owner, &chosen, sizeof chosen);
    summaries_[size_t(owner)].mass = chosen.ownerMass;
    if (!chosen.accepted)
        return false;
    --summaries_[size_t(owner)].unselected;
    queries.resize(static_cast<size_t>(chosen.queryCount) * dims_);
    peers_->broadcast(owner, queries.data(), int64_t(queries.size() * sizeof(float)));
    pending_.queries.insert(pending_.queries.end(), queries.begin(), queries.end());
    pending_.pickOfQuery.insert(pending_.pickOfQuery.end(), size_t(chosen.queryCount),
                                pending_.picks());
    pending_.counted.push_back(counted ? 1 : 0);
    return true;
}

/// The pending picks lower D on every share, and the shares' sums are gathered again.
void DistanceSampler::lowerPending() {
    lowerDistances(pending_.queries, pending_.queryCount());
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
    const int batch = options_.rule == SamplingRule::DSquared ? std::max(1, options_.drawBatch) : 1;
    gatherSummaries();
    uint64_t covered = 0; // the coverage sum over all shares after the latest pick lowered D
    for (const ShareSummary& share : summaries_)
        covered += share.distanceSum;
    // Lowers D with the pending picks, then gives each of them its point of the coverage curve.
    const auto lower = [&] {
        if (pending_.picks() == 0)
            return;
        lowerPending();
        for (int j = 0; j < pending_.picks(); ++j) {
            covered += batchDeltas_[size_t(j)];
            if (pending_.counted[size_t(j)])
                result.coverage.push_back(
                    globalRows_ > 0 ? distanceScale_.value(covered) / globalRows_ : 0.0);
        }
        pending_.clear();
    };
    const auto absorbKnown = [&](int64_t image, bool counted) {
        const int owner = ownerOfImage(image);
        settleDraw(owner, image - shareFirstImage_[owner], -1, none, false, 0, counted, chosen);
    };
    // Seeds involve no draw: lowering D with several at once changes nothing but the speed.
    constexpr int kSeedBatch = 8;
    for (int image : seeds) { // the order does not matter: D is a minimum over the set
        absorbKnown(image, false);
        if (pending_.picks() >= kSeedBatch)
            lower();
    }
    lower();
    result.picks.reserve(count);
    result.coverage.reserve(count);
    for (int64_t rank = 0; rank < count; ++rank) {
        if (options_.rule == SamplingRule::Replay) {
            absorbKnown(options_.replayOrder.at(rank), true);
        } else if (rank == 0 && seeds.empty()) {
            absorbKnown(static_cast<int64_t>(random.uniformIndex(uint64_t(images))), true);
        } else {
            while (true) {
                int64_t localImage = -1, localRow = -1;
                double score = 0.0;
                bool byMass = false;
                const int owner = drawNextRow(random, localImage, localRow, score, byMass);
                const bool judge = byMass && pending_.queryCount() > 0;
                const uint64_t acceptBits =
                    judge ? static_cast<uint64_t>(random.uniform01() * 0x1p53) : 0;
                if (settleDraw(owner, localImage, localRow, score, judge, acceptBits, true, chosen))
                    break;
                ++stats_.rejectedDraws;
                if (++pending_.rejections >= batch) // D_then has aged: lower D before drawing on
                    lower();
            }
        }
        result.picks.push_back({static_cast<int>(chosen.image), chosen.score});
        if (pending_.picks() >= batch || (rank == 0 && seeds.empty()))
            lower(); // the first pick at once: D is infinite before it
    }
    lower();
    stats_.samplingSeconds = timer.nsecsElapsed() * 1e-9;
    return result;
}

} // namespace freesel::sampling_detail
