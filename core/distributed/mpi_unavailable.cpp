// SPDX-License-Identifier: GPL-3.0-or-later
// A build without MPI: the interface exists, and says why it cannot run.
#include "distributed/mpi_peers.h"

#include <stdexcept>

namespace freesel {

bool mpiAvailable() {
    return false;
}

MpiRuntime::MpiRuntime() {
    throw std::invalid_argument(
        "--mpi: this freesel was built without MPI (install libopenmpi-dev and rebuild with "
        "-DFREESEL_MPI=ON; see docs/SCALE.md)");
}

MpiRuntime::~MpiRuntime() = default;

std::unique_ptr<SamplingPeers> MpiRuntime::peers() const {
    return nullptr;
}

} // namespace freesel
