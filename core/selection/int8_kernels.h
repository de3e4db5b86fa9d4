// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The selection's 8-bit prefilter: each unit row is kept as one byte per dimension with a
// per-row scale, a quarter of the float bytes. Rough dots over these codes rule out most pairs
// before any float row is read; the caller bounds their error with the norms returned here.
//
// Rows are stored in offset binary (code = 128 + round(x / scale), in [1, 255]) and queries as
// signed bytes, the operand types of AVX512-VNNI's vpdpbusd (64 byte products per
// instruction); integer sums are exact, so a pair gets the same bits in any slot.

#include <cstdint>

namespace freesel {

/// What quantising a row kept: x ~ scale * (code - 128); `error` = |x - x^| and `norm` = |x^|
/// (summed in float: relative error below dims x 2^-24, which callers cover with slack).
struct QuantisedRow {
    float scale = 0.0f;
    float error = 0.0f;
    float norm = 0.0f;
};

/// A query's codes: q ~ scale * code; `codeSum` = sum of the codes (to undo the rows' offset).
struct QuantisedQuery {
    float scale = 0.0f;
    float error = 0.0f; ///< |q - q^|
    int32_t codeSum = 0;
};

/// Quantises `row` to offset-binary codes with scale max|x_i| / 127 (a zero row: all 128).
QuantisedRow quantiseRow(const float* row, int dims, uint8_t* codes);

/// Quantises `query` to signed codes in [-127, 127] with scale max|q_i| / 127.
QuantisedQuery quantiseQuery(const float* query, int dims, int8_t* codes);

/// out[k] = sum_i a[k][i] * b[k][i] for four (row, query) code pairs, exactly, in int32
/// (dims up to 65,000). Uses AVX512-VNNI where the CPU has it, vectorised integer loops elsewhere.
void rawDotsU8S8x4(const uint8_t* const a[4], const int8_t* const b[4], int dims, int32_t out[4]);
/// The portable path of rawDotsU8S8x4 (what CPUs without AVX512-VNNI run), for tests.
void rawDotsU8S8x4Portable(const uint8_t* const a[4], const int8_t* const b[4], int dims,
                           int32_t out[4]);

/// sum_i (codes[i] - 128) values[i] in float: times the row's scale, the dot of the restored
/// row x^ with a float vector (within dims x 2^-24 |x^| |values| of the exact product).
float restoredDot(const uint8_t* codes, const float* values, int dims);

/// x^ . q^ from a raw sum: scale_x scale_q (raw - 128 codeSum); `offset` = 128 codeSum, within
/// 2^-23 |x^| |q^| of the exact product of the quantised vectors (the integer is exact and below
/// 2^24 for dims <= 1040).
inline float quantisedDot(int32_t raw, float rowScale, float queryScale, int32_t offset) {
    return rowScale * queryScale * static_cast<float>(raw - offset);
}
inline float quantisedDot(int32_t raw, float rowScale, const QuantisedQuery& query) {
    return quantisedDot(raw, rowScale, query.scale, 128 * query.codeSum);
}

} // namespace freesel
