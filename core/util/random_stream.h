// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

namespace freesel {

__extension__ using UInt128 =
    unsigned __int128; // GCC and Clang; __extension__ keeps -pedantic quiet

/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64) with its own
/// uniform draws. Written here instead of <random> because the standard distributions differ
/// between library implementations: a seed must give the same selection on every platform.
class RandomStream {
public:
    explicit RandomStream(uint64_t seed) {
        uint64_t x = seed;
        for (uint64_t& word : state_)
            word = splitMix64(x);
    }

    /// An independent stream for one item (an image, a restart) derived from a base seed, so a
    /// result never depends on the order in which threads reach the items.
    static RandomStream forItem(uint64_t seed, uint64_t item) {
        uint64_t x = seed ^ (0x9e3779b97f4a7c15ULL * (item + 1));
        return RandomStream(splitMix64(x));
    }

    uint64_t next() {
        const uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform in [0, 1) with 53 random bits.
    double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject).
    uint64_t uniformIndex(uint64_t bound) {
        UInt128 product = static_cast<UInt128>(next()) * bound;
        uint64_t low = static_cast<uint64_t>(product);
        if (low < bound) {
            const uint64_t threshold = (0 - bound) % bound;
            while (low < threshold) {
                product = static_cast<UInt128>(next()) * bound;
                low = static_cast<uint64_t>(product);
            }
        }
        return static_cast<uint64_t>(product >> 64);
    }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static uint64_t splitMix64(uint64_t& x) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t state_[4];
};

} // namespace freesel
