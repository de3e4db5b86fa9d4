// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Dense 8-bit dots of rows with many queries at once (the selection's early steps, when a new
// batch of picks may come closer to nearly every row). The queries are packed so that one
// AVX512-VNNI vpdpbusd adds four dimensions of one row to the sums of sixteen queries: a row
// is read once for all queries, every sum stays in its own lane (no horizontal additions), and
// the cost per (row, query) pair falls to about a quarter of rawDotsU8S8x4's (measured: 1.25
// against 5.0 ns per pair at 384 dimensions). The sums are the same exact integers as
// rawDotsU8S8x4's (int8_kernels.h), so which kernel computed a pair never shows in a result.

#include <cstdint>
#include <vector>

namespace freesel {

/// Signed query codes laid out for packedQueryDots: per quad of dimensions (4 bytes), the
/// queries in lanes of 4 bytes, in blocks of 16 lanes; lanes past `count` and dimensions past
/// `dims` hold zeros.
struct PackedQueries {
    std::vector<int8_t> codes; // [quads][blocks * 16][4]
    int count = 0;
    int blocks = 0;
    int quads = 0;
    int dims = 0;
    int lanes() const { return blocks * 16; }
};

/// Packs `count` queries of `dims` signed codes each (queries[k] points at query k's codes).
void packQueries(const int8_t* const* queries, int count, int dims, PackedQueries& packed);

/// out[r * packed.lanes() + k] = sum_i rows[r][i] * query_k[i] for four rows of offset-binary
/// codes (int8_kernels.h) and every packed query, exactly; lanes past packed.count get 0.
/// A row may repeat (padding a short tile). Reads no byte of a row past `packed.dims`.
void packedQueryDots(const uint8_t* const rows[4], const PackedQueries& packed, int32_t* out);

/// The portable path of packedQueryDots (plain integer loops), for tests and CPUs without
/// AVX512-VNNI.
void packedQueryDotsPortable(const uint8_t* const rows[4], const PackedQueries& packed,
                             int32_t* out);

/// Whether packedQueryDots runs the VNNI kernel here: without it the dense scan costs more
/// than testing pairs one by one, so callers choose by this.
bool packedQueryDotsAreFast();

} // namespace freesel
