// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/torch_info.h"

// The two small headers, not torch/torch.h: this file only asks.
#include <torch/cuda.h>
#include <torch/version.h>

namespace freesel {

QString libtorchVersion() {
    return QStringLiteral(TORCH_VERSION);
}

bool cudaAvailable() {
    return torch::cuda::is_available();
}

int cudaDeviceCount() {
    return static_cast<int>(torch::cuda::device_count());
}

QString torchDescription() {
    const int devices = cudaAvailable() ? cudaDeviceCount() : 0;
    return devices > 0 ? QStringLiteral("LibTorch %1, CUDA available (%2 device(s))")
                             .arg(libtorchVersion())
                             .arg(devices)
                       : QStringLiteral("LibTorch %1, CUDA not available (CPU-only build or no "
                                        "CUDA device)")
                             .arg(libtorchVersion());
}

} // namespace freesel
