// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

namespace freesel {

/// The processes that share one distance sampling (MPI ranks, core/distributed): each holds a
/// contiguous run of the pool's images, in share order. The sampler only needs these two
/// collectives, so its core stays free of MPI; a single process is one share of its own.
class SamplingPeers {
public:
    virtual ~SamplingPeers() = default;
    virtual int count() const = 0;
    virtual int self() const = 0;
    /// Every share's `mine` (the same length on all), concatenated in share order.
    virtual std::vector<uint64_t> allGather(const std::vector<uint64_t>& mine) = 0;
    /// `bytes` bytes at `data` from share `root` to every share.
    virtual void broadcast(int root, void* data, int64_t bytes) = 0;
};

/// The single process: one share, collectives are copies.
class LonePeers : public SamplingPeers {
public:
    int count() const override { return 1; }
    int self() const override { return 0; }
    std::vector<uint64_t> allGather(const std::vector<uint64_t>& mine) override { return mine; }
    void broadcast(int, void*, int64_t) override {}
};

} // namespace freesel
