// SPDX-License-Identifier: GPL-3.0-or-later
// SamplingPeers over MPI: the ranks of MPI_COMM_WORLD (a duplicate, so no other library's
// messages can mix with ours) are the shares, in rank order.
#include "distributed/mpi_peers.h"

#include <algorithm>
#include <climits>
#include <mpi.h>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

void check(int code, const char* what) {
    if (code != MPI_SUCCESS)
        throw std::runtime_error(std::string("MPI: ") + what + " failed (code " +
                                 std::to_string(code) + ")");
}

class MpiPeers : public SamplingPeers {
public:
    MpiPeers() {
        check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
        check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    }
    ~MpiPeers() override { MPI_Comm_free(&comm_); }
    MpiPeers(const MpiPeers&) = delete;
    MpiPeers& operator=(const MpiPeers&) = delete;
    int count() const override { return size_; }
    int self() const override { return rank_; }
    std::vector<uint64_t> allGather(const std::vector<uint64_t>& mine) override {
        std::vector<uint64_t> all(mine.size() * size_t(size_));
        const int words = static_cast<int>(mine.size());
        check(
            MPI_Allgather(mine.data(), words, MPI_UINT64_T, all.data(), words, MPI_UINT64_T, comm_),
            "MPI_Allgather");
        return all;
    }
    void broadcast(int root, void* data, int64_t bytes) override {
        auto* cursor = static_cast<char*>(data);
        do { // MPI counts are int: large blocks go in pieces
            const int piece = static_cast<int>(std::min<int64_t>(bytes, INT_MAX));
            check(MPI_Bcast(cursor, piece, MPI_BYTE, root, comm_), "MPI_Bcast");
            cursor += piece;
            bytes -= piece;
        } while (bytes > 0);
    }

private:
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1;
};

} // namespace

bool mpiAvailable() {
    return true;
}

MpiRuntime::MpiRuntime() {
    int initialised = 0;
    check(MPI_Initialized(&initialised), "MPI_Initialized");
    if (!initialised) {
        int provided = 0;
        check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
        finalise_ = true;
    }
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
}

MpiRuntime::~MpiRuntime() {
    if (finalise_)
        MPI_Finalize();
}

std::unique_ptr<SamplingPeers> MpiRuntime::peers() const {
    return std::make_unique<MpiPeers>();
}

} // namespace freesel
