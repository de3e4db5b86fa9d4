// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the CPU's matrix products allow a ViT (the "ceiling" the vit benchmark compares the
// network with) and where a block's time goes. Kept apart from bench_vit.cpp, which stays free
// of <torch/torch.h>.

#include "backbone/dino_vit.h"
#include "backbone/vit_config.h"

namespace freesel::bench {

/// FLOPs (2 per multiply-add) of one side x side image through the network: patch embedding,
/// per block the four products and the two attention products.
double vitImageFlops(const VitConfig& config, int side);

/// FLOP/s of the block's four products (qkv, proj, fc1, fc2) through PackedLinear (weights
/// reordered once: the path the network runs) on batch x tokens rows in `precision`, weighted
/// by their FLOPs; each shape's best of 5 runs.
double vitProductRate(const VitConfig& config, int side, int batch, VitPrecision precision,
                      bool threadClock);

/// Prints "# block part ..." lines: each step of one block as vit_model.cpp runs it (packed
/// products), best of 5 each, and their sum.
void printVitBlockBreakdown(const VitConfig& config, int side, int batch, VitPrecision precision,
                            bool threadClock);

} // namespace freesel::bench
