// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The AVX-512 kernels behind vit_attention_kernel.h (internal: only its dispatcher calls them).
// float32: FMA register blocks, K transposed per head. bfloat16: vdpbf16ps (AVX512-BF16) on K
// and V repacked in pairs. Both: 8 queries per block, softmax with a masked last vector.

#include "backbone/vit_attention_kernel.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace freesel::vitattn {

/// True when this build has the kernels and the CPU runs them for this type and head size
/// (AVX-512 F/BW/DQ/VL, plus AVX512-BF16 for bfloat16; headDim a multiple of 64).
bool avx512AttentionRuns(bool bf16, std::int64_t headDim);

/// One head through the AVX-512 kernels; call only when avx512AttentionRuns says so.
void attentionHeadAvx512(const AttentionHead& head);

/// `v`'s storage, grown to at least `size` elements and never shrunk: both kernels keep
/// per-thread buffers that every head the thread runs reuses.
template <class T> T* grow(std::vector<T>& v, std::int64_t size) {
    if (v.size() < static_cast<std::size_t>(size))
        v.resize(static_cast<std::size_t>(size));
    return v.data();
}

} // namespace freesel::vitattn
