#include "vit_kernels.h"

#include "vit_model.h"

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

torch::Tensor packedLinear(const torch::Tensor& x, const VitLinear& layer) {
    std::vector<int64_t> shape = x.sizes().vec();
    const torch::Tensor rows =
        x.reshape({-1, x.size(-1)}).to(layer.weight.scalar_type()).contiguous().to_mkldnn();
    const torch::Tensor y = at::mkldnn_linear(rows, layer.packed, layer.bias).to_dense();
    shape.back() = y.size(-1);
    return y.view(shape);
}

void avoidBlasThreadContention() {
    using SetThreads = void (*)(int);
    // Looked up at run time: the symbol exists only when LibTorch was linked with OpenBLAS.
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        set(1);
}

torch::Tensor packedMlp(const torch::Tensor& y, const VitLinear& fc1, const VitLinear& fc2) {
    return packedLinear(at::gelu(packedLinear(y, fc1)), fc2);
}

} // namespace freesel
