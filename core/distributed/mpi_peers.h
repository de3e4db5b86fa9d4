// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "selection/sampling_peers.h"

#include <memory>

namespace freesel {

/// Whether this build has MPI (FREESEL_MPI, docs/SCALE.md).
bool mpiAvailable();

/// MPI for the life of this object: initialised (MPI_Init_thread, funneled: only the thread
/// that made it calls MPI) unless someone already did, finalised when it goes. Throws
/// std::invalid_argument naming --mpi when the build has no MPI.
class MpiRuntime {
public:
    MpiRuntime();
    ~MpiRuntime();
    MpiRuntime(const MpiRuntime&) = delete;
    MpiRuntime& operator=(const MpiRuntime&) = delete;
    int rank() const { return rank_; }
    int size() const { return size_; }
    /// The ranks of MPI_COMM_WORLD as shares of one distance sampling, in rank order.
    std::unique_ptr<SamplingPeers> peers() const;

private:
    int rank_ = 0;
    int size_ = 1;
    bool finalise_ = false;
};

} // namespace freesel
