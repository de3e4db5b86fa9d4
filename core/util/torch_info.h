// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the linked LibTorch offers (About, freesel info, the device choice): its version and
// whether this build and machine can run on CUDA.

#include <QString>

namespace freesel {

QString libtorchVersion(); ///< e.g. "1.13.0"
bool cudaAvailable();      ///< a CUDA build of LibTorch with at least one device
int cudaDeviceCount();
/// One line: "LibTorch 1.13.0, CUDA not available (CPU-only build or no device)".
QString torchDescription();

} // namespace freesel
