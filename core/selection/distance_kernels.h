// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/bfloat16.h"

#include <cstdint>

namespace freesel {

/// dot(a, b) over `dims` floats, vectorised for the CPU it runs on (AVX-512, AVX2 or the
/// baseline, chosen once at load time), with float accumulation.
float dotProduct(const float* a, const float* b, int dims);

/// sum_i (a_i - b_i)^2 over `dims` floats, vectorised like dotProduct.
float squaredDistance(const float* a, const float* b, int dims);

/// out[k] = dot(a[k], b[k]) for four pairs at once: four independent sums keep the FMA units
/// busy (one chain per dot is latency bound). Each slot runs the same instructions, so a pair
/// gets the same bits in any slot and next to any other pairs.
void dotProducts4(const float* const a[4], const float* const b[4], int dims, float out[4]);

/// Rounds floats to bfloat16 (round to nearest even), the upper half of a float's bits.
void toBfloat16(const float* values, int64_t count, uint16_t* out);

/// Rounds one row to bfloat16 like toBfloat16 and returns, summed in float (relative error
/// below dims x 2^-24), the squared rounding error sum (x - x~)^2 in `error2` and the squared
/// norm of the rounded row in `norm2`.
void roundRowToBfloat16(const float* row, int dims, uint16_t* out, float* error2, float* norm2);

/// out[k] = dot(a[k], b[k]) for four pairs of bfloat16 vectors, accumulated in float: half the
/// memory traffic of float rows, for a cheap first look whose error the caller bounds. Uses
/// AVX512-BF16 (vdpbf16ps) where the CPU has it, widened FMAs elsewhere.
void dotProductsBf16x4(const uint16_t* const a[4], const uint16_t* const b[4], int dims,
                       float out[4]);
/// The portable path of dotProductsBf16x4 (what CPUs without AVX512-BF16 run), for tests.
void dotProductsBf16x4Portable(const uint16_t* const a[4], const uint16_t* const b[4], int dims,
                               float out[4]);

/// out[r] = dot(query, rows[r]) for `rowCount` contiguous rows, four rows per pass.
void dotsWithRows(const float* query, const float* rows, int rowCount, int dims, float* out);

} // namespace freesel
