// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

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

/// out[r] = dot(query, rows[r]) for `rowCount` contiguous rows, four rows per pass.
void dotsWithRows(const float* query, const float* rows, int rowCount, int dims, float* out);

/// out[4 i + j] = dot(a_i, b_j) for the four rows a_0..3 from `a` and b_0..3 from `b` (rows
/// `dims` apart): 16 independent sums over 8 loads a step.
void dotTile4x4(const float* a, const float* b, int dims, float* out);

/// out[q * rowCount + r] = dot(queries[q], rows[r]) for contiguous queries and rows, in 4 x 4
/// tiles: each row is loaded once for four queries, where dotsWithRows loads five rows for
/// four sums and is bound by the cache.
void dotsOfRowsWithRows(const float* queries, int queryCount, const float* rows, int rowCount,
                        int dims, float* out);

} // namespace freesel
