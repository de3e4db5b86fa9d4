// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/synthetic_pool.h"

#include "patterns/neighbourhood_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace freesel::testing {

ImageFeatures randomFeatureImage(int index, int dims) {
    Gaussian gaussian(1000 + index);
    ImageFeatures image;
    image.grid = {8, 8};
    image.dims = dims;
    const int n = image.grid.size();
    image.clsAttention.resize(n);
    for (float& a : image.clsAttention)
        a = static_cast<float>(std::exp(2.0 * gaussian.next()));
    image.patchTokens.resize(static_cast<size_t>(n) * dims);
    for (float& t : image.patchTokens)
        t = static_cast<float>(gaussian.next());
    std::vector<float> dense(static_cast<size_t>(n) * n);
    for (float& a : dense)
        a = static_cast<float>(gaussian.random().uniform01());
    image.neighbourhood = NeighbourhoodAttention::fromDense(dense.data(), image.grid, 3);
    return image;
}

PatternPool makeClusteredPool(int images, int dims, int concepts, int maxPatterns,
                              ConceptSpread spread, uint64_t seed, bool fixedPatternCount) {
    return fillClusteredPool(PatternPool(dims), images, concepts, maxPatterns, spread, seed,
                             fixedPatternCount);
}

PatternPool copyToFile(const PatternPool& pool) {
    PatternPool onFile = PatternPool::withRowsInFile(pool.dims());
    for (int image = 0; image < pool.imageCount(); ++image)
        onFile.addImage(pool.pattern(pool.firstPatternOf(image)), pool.patternCountOf(image));
    return onFile;
}

PatternPool fillClusteredPool(PatternPool pool, int images, int concepts, int maxPatterns,
                              ConceptSpread spread, uint64_t seed, bool fixedPatternCount) {
    const int dims = pool.dims();
    Gaussian gaussian(seed);
    const double scale = 1.0; // centres and noise are both N(0, 1) per dimension
    std::vector<float> centres(static_cast<size_t>(concepts) * dims);
    for (float& value : centres)
        value = static_cast<float>(gaussian.next());
    std::vector<float> bases(static_cast<size_t>(concepts) * spread.rank * dims);
    for (float& value : bases) // rank random directions per concept, norm ~sqrt(dims / rank)
        value = static_cast<float>(gaussian.next() / std::sqrt(std::max(1, spread.rank)));
    pool.reserve(images, static_cast<int64_t>(images) * maxPatterns);
    std::vector<float> rows;
    std::vector<double> z(spread.rank);
    for (int image = 0; image < images; ++image) {
        const int count = fixedPatternCount
                              ? maxPatterns
                              : 1 + static_cast<int>(gaussian.random().uniformIndex(maxPatterns));
        int shown[3];
        for (int& shownConcept : shown)
            shownConcept = static_cast<int>(gaussian.random().uniformIndex(concepts));
        rows.assign(static_cast<size_t>(count) * dims, 0.0f);
        for (int p = 0; p < count; ++p) {
            const int patternConcept = shown[gaussian.random().uniformIndex(3)];
            for (double& value : z)
                value = spread.along * gaussian.next();
            float* row = rows.data() + static_cast<size_t>(p) * dims;
            const float* centre = centres.data() + static_cast<size_t>(patternConcept) * dims;
            for (int k = 0; k < dims; ++k)
                row[k] = centre[k] + static_cast<float>(scale * spread.noise * gaussian.next());
            for (int r = 0; r < spread.rank; ++r) {
                const float* basis =
                    bases.data() + (static_cast<size_t>(patternConcept) * spread.rank + r) * dims;
                for (int k = 0; k < dims; ++k)
                    row[k] += static_cast<float>(z[r]) * basis[k];
            }
        }
        pool.addImage(rows.data(), count);
    }
    return pool;
}

PatternPool makeClusteredPool(int images, int dims, int concepts, int maxPatterns, double noise,
                              uint64_t seed, bool fixedPatternCount) {
    return makeClusteredPool(images, dims, concepts, maxPatterns, ConceptSpread{noise, 0, 0.0},
                             seed, fixedPatternCount);
}

PatternPool poolOfVectors(const std::vector<std::vector<std::vector<float>>>& images) {
    PatternPool pool(int(images.front().front().size()));
    for (const auto& patterns : images) {
        std::vector<float> rows;
        for (const auto& p : patterns)
            rows.insert(rows.end(), p.begin(), p.end());
        pool.addImage(rows.data(), int(patterns.size()));
    }
    return pool;
}

std::vector<int> imagesOf(const SelectionResult& result) {
    std::vector<int> images;
    for (const Pick& pick : result.picks)
        images.push_back(pick.image);
    return images;
}

double dotInDouble(const float* a, const float* b, int dims) {
    double sum = 0.0;
    for (int k = 0; k < dims; ++k)
        sum += static_cast<double>(a[k]) * b[k];
    return sum;
}

std::vector<ReferencePick> referenceDistanceSampling(const PatternPool& pool, int64_t budget,
                                                     uint64_t seed, bool farthest, bool cosine,
                                                     const std::vector<int>& seeds, int batch) {
    const int images = pool.imageCount();
    const int64_t rows = pool.patternCount();
    const int dims = pool.dims();
    auto norm = [&](int64_t r) {
        return std::sqrt(dotInDouble(pool.pattern(r), pool.pattern(r), dims));
    };
    auto distance = [&](int64_t a, int64_t b) {
        double s = 0.0;
        if (cosine) {
            s = dotInDouble(pool.pattern(a), pool.pattern(b), dims);
            const double na = norm(a), nb = norm(b);
            return (na > 0 && nb > 0) ? std::max(0.0, 1.0 - s / (na * nb)) : 1.0;
        }
        for (int k = 0; k < dims; ++k) {
            const double d = static_cast<double>(pool.pattern(a)[k]) - pool.pattern(b)[k];
            s += d * d;
        }
        return std::sqrt(s);
    };
    std::vector<double> d(rows, std::numeric_limits<double>::infinity()); // as of the last lowering
    std::vector<bool> selected(images, false);
    std::vector<int> pending; // picks not lowered into d yet
    int rejections = 0;
    std::vector<ReferencePick> picks;
    RandomStream random(seed);
    const auto nearest = [&](int64_t r, int image) {
        double best = std::numeric_limits<double>::infinity();
        for (int q = 0; q < pool.patternCountOf(image); ++q)
            best = std::min(best, distance(r, pool.firstPatternOf(image) + q));
        return best;
    };
    auto lower = [&] {
        for (int image : pending)
            for (int64_t r = 0; r < rows; ++r)
                d[r] = std::min(d[r], nearest(r, image));
        pending.clear();
        rejections = 0;
    };
    auto absorb = [&](int image) {
        selected[image] = true;
        pending.push_back(image);
    };
    for (int image : seeds)
        absorb(image);
    lower();
    if (farthest)
        batch = 1;
    const auto seeded = static_cast<int64_t>(seeds.size());
    const int64_t count = std::min<int64_t>(budget, images - seeded);
    for (int64_t rank = 0; rank < count; ++rank) {
        int image = -1;
        double score = std::numeric_limits<double>::quiet_NaN();
        if (rank == 0 && seeds.empty()) {
            image = static_cast<int>(random.uniformIndex(images));
        } else {
            double total = 0.0, best = 0.0;
            int64_t bestRow = -1;
            for (int64_t r = 0; r < rows; ++r) {
                if (selected[pool.imageOf(r)])
                    continue;
                total += d[r] * d[r];
                if (d[r] > best) {
                    best = d[r];
                    bestRow = r;
                }
            }
            int64_t row = -1;
            if (farthest) {
                row = bestRow;
            } else if (total > 0.0) {
                const double target = random.uniform01() * total;
                double running = 0.0;
                for (int64_t r = 0; r < rows && row < 0; ++r) {
                    if (selected[pool.imageOf(r)])
                        continue;
                    running += d[r] * d[r];
                    if (running > target)
                        row = r;
                }
            }
            int64_t pendingRows = 0; // rowless pending images lower nothing: no test then
            for (int p : pending)
                pendingRows += pool.patternCountOf(p);
            if (row >= 0 && !farthest && pendingRows > 0) {
                double now = d[row];
                for (int p : pending)
                    now = std::min(now, nearest(row, p));
                const double then = d[row];
                d[row] = now;
                if (!(random.uniform01() * then * then < now * now)) {
                    if (++rejections >= batch)
                        lower();
                    --rank; // draw again for the same rank
                    continue;
                }
            }
            if (row >= 0) {
                image = pool.imageOf(row);
                score = d[row];
            } else {
                int k = static_cast<int>(random.uniformIndex(images - seeded - rank));
                for (image = 0; selected[image] || k-- > 0; ++image) {
                }
                score = 0.0;
            }
        }
        absorb(image);
        picks.push_back({image, score});
        if (int(pending.size()) >= batch || (rank == 0 && seeds.empty()))
            lower();
    }
    return picks;
}

} // namespace freesel::testing
