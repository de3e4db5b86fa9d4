// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The ELFS training loops set LibTorch's intra-op thread count to the run's --threads; this
// restores the caller's count when training ends, however it ends (an exception, a cancel).

#include <ATen/Parallel.h>

namespace freesel {

class TorchThreads {
public:
    explicit TorchThreads(int threads) : saved_(at::get_num_threads()) {
        at::set_num_threads(threads);
    }
    ~TorchThreads() { at::set_num_threads(saved_); }
    TorchThreads(const TorchThreads&) = delete;
    TorchThreads& operator=(const TorchThreads&) = delete;

private:
    int saved_;
};

} // namespace freesel
