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

PackedLinear packPatchEmbedding(const torch::Tensor& weight, const torch::Tensor& bias,
                                int64_t typicalRows) {
    const int64_t width = weight.size(0);
    const torch::Tensor rows = weight.to(torch::kFloat32).reshape({width, -1});
    const torch::Tensor b =
        bias.defined() ? bias.to(torch::kFloat32) : torch::zeros({width}, rows.options());
    return PackedLinear::pack(rows, b, typicalRows);
}

torch::Tensor packedPatchEmbedding(const torch::Tensor& images, int patch,
                                   const PackedLinear& layer) {
    const int64_t batch = images.size(0), rows = images.size(2) / patch;
    const int64_t cols = images.size(3) / patch;
    // B x 3 x rows x P x cols x P -> B x rows x cols x 3 x P x P: each patch's pixels in the
    // weight's (channel, y, x) order.
    const torch::Tensor patches = images.to(torch::kFloat32)
                                      .view({batch, 3, rows, patch, cols, patch})
                                      .permute({0, 2, 4, 1, 3, 5})
                                      .reshape({batch, rows * cols, 3 * patch * patch});
    return layer(patches);
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
