// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// bfloat16 is the upper half of a float's bits. These two conversions serve the ViT's row
// kernels; inline, so they vectorise inside the callers' `omp simd` loops.

#include <cstdint>
#include <cstring>

namespace freesel {

/// A bfloat16 widened back to float (exact).
inline float widenBfloat16(std::uint16_t h) {
    const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

/// A float rounded to bfloat16: to nearest, ties to even.
inline std::uint16_t roundToBfloat16(float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>(bits >> 16);
}

} // namespace freesel
