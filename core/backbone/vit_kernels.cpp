// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/vit_kernels.h"

#include "backbone/vit_model.h"

#include <dlfcn.h>

namespace freesel {

bool packedKernelsAvailable() {
    return at::hasMKLDNN();
}

torch::Tensor packLinearWeight(const torch::Tensor& weight) {
    if (!packedKernelsAvailable() || !weight.device().is_cpu())
        return {};
    return weight.contiguous().to_mkldnn();
}

namespace {

/// .. x in -> rows x in in oneDNN's layout and the packed weight's type. For a contiguous
/// float input of that type this is one copy (LibTorch 1.13 has no zero-copy view).
torch::Tensor packedRows(const torch::Tensor& x, const VitLinear& layer) {
    return x.reshape({-1, x.size(-1)}).to(layer.packed.scalar_type()).contiguous().to_mkldnn();
}

torch::Tensor unpackRows(const torch::Tensor& rows, std::vector<int64_t> shape) {
    const torch::Tensor y = rows.to_dense();
    shape.back() = y.size(-1);
    return y.view(shape);
}

} // namespace

torch::Tensor packedLinear(const torch::Tensor& x, const VitLinear& layer) {
    return unpackRows(at::mkldnn_linear(packedRows(x, layer), layer.packed, layer.packedBias),
                      x.sizes().vec());
}

void avoidBlasThreadContention() {
    using SetThreads = void (*)(int);
    // Looked up at run time: the symbol exists only when LibTorch was linked with OpenBLAS.
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        set(1);
}

torch::Tensor packedMlp(const torch::Tensor& y, const VitLinear& fc1, const VitLinear& fc2) {
    // The hidden activations (B*T x 4d, the largest tensor of the block) never leave oneDNN's
    // layout: GELU runs on the oneDNN tensor (oneDNN's exact erf GELU, as nn.GELU()), which
    // saves a dense copy of them each way. LibTorch 1.13 cannot fuse bias + GELU into the
    // product (no post-op API); 2.x's mkldnn::_linear_pointwise could.
    const torch::Tensor hidden =
        at::gelu(at::mkldnn_linear(packedRows(y, fc1), fc1.packed, fc1.packedBias));
    return unpackRows(at::mkldnn_linear(hidden, fc2.packed, fc2.packedBias), y.sizes().vec());
}

} // namespace freesel
