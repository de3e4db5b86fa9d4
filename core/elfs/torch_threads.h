// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The ELFS training loops set LibTorch's intra-op thread count (and, for the token proxy, the
// BLAS library's own pool) to the run's --threads; these guards restore the caller's counts when
// training ends, however it ends (an exception, a cancel).

#include <ATen/Parallel.h>

#include <dlfcn.h>

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

/// OpenBLAS keeps its own thread pool, which at::set_num_threads does not size (the ViT backend
/// even sets it to 1 for good, core/backbone/vit_kernels.cpp). Looked up at run time: the symbols
/// exist only when LibTorch was linked with OpenBLAS; elsewhere this does nothing.
class BlasThreads {
public:
    explicit BlasThreads(int threads) {
        set_ = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
        const auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
        if (!set_ || !get)
            return;
        saved_ = get();
        set_(threads);
    }
    ~BlasThreads() {
        if (set_ && saved_ > 0)
            set_(saved_);
    }
    BlasThreads(const BlasThreads&) = delete;
    BlasThreads& operator=(const BlasThreads&) = delete;

private:
    using Set = void (*)(int);
    using Get = int (*)();
    Set set_ = nullptr;
    int saved_ = 0;
};

} // namespace freesel
