// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What `--precision auto` (the default) runs DINO in. bfloat16 selects as well as float32 (its
// coverage figures lie within float32's seed-to-seed spread: scripts/bf16-evidence, numbers in
// docs/ALGORITHM.md "Precision") and is about twice as fast where the CPU multiplies bfloat16
// natively; elsewhere it is emulated and slower, so float32 stays.

#include "backbone/dino_vit.h"

#include <string>
#include <vector>

namespace freesel {

/// The CPU's feature flags: the "flags" line of /proc/cpuinfo, split at spaces; empty where
/// there is no such file (then auto means float32).
std::vector<std::string> cpuFlags();

/// True when the flags show native bfloat16 products: avx512_bf16 (AVX512-BF16) or amx_bf16
/// (AMX).
bool hasNativeBfloat16(const std::vector<std::string>& flags);

/// The precision auto resolves to: bfloat16 on a CPU with native bfloat16 products, float32 on
/// other CPUs and on CUDA (where the evidence was not measured). Any other precision is
/// returned unchanged: an explicit choice always wins.
VitPrecision resolvePrecision(VitPrecision requested, bool cuda,
                              const std::vector<std::string>& flags);

} // namespace freesel
