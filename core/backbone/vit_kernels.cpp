// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/vit_kernels.h"

#include <dlfcn.h>

namespace freesel {

bool packedKernelsAvailable() {
    return PackedLinear::available();
}

void avoidBlasThreadContention() {
    using SetThreads = void (*)(int);
    // Looked up at run time: the symbol exists only when LibTorch was linked with OpenBLAS.
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        set(1);
}

torch::Tensor packedMlp(const torch::Tensor& y, const PackedLinear& fc1, const PackedLinear& fc2) {
    torch::Tensor hidden = fc1(y);
    return fc2(at::gelu_(hidden));
}

torch::Tensor parallelBatchedProducts(const torch::Tensor& a, const torch::Tensor& b) {
    torch::Tensor out = torch::empty({a.size(0), a.size(1), b.size(2)}, a.options());
    at::parallel_for(0, a.size(0), 1, [&](int64_t begin, int64_t end) {
        torch::Tensor slice = out.slice(0, begin, end);
        at::bmm_out(slice, a.slice(0, begin, end), b.slice(0, begin, end));
    });
    return out;
}

} // namespace freesel
