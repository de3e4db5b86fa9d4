// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/packed_query_dots.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Hand-written for the reason of int8_kernels.cpp: no library offers exact u8 x s8 sums of one
// row with many queries from one portable binary (oneDNN's int8 GEMM would do it, but is not
// a Debian dependency of this project and rounds through its own scales).

namespace freesel {

namespace {
/// Four byte codes (a row's or a query's) from dimension i on as one word; past `dims` zeros
/// (never read).
int32_t quadOf(const void* codes, int i, int dims) {
    int32_t word = 0;
    std::memcpy(&word, static_cast<const char*>(codes) + i, size_t(std::min(4, dims - i)));
    return word;
}
} // namespace

/// Word by word, in the order the words are stored.
void packQueries(const int8_t* const* queries, int count, int dims, PackedQueries& packed) {
    packed.count = count;
    packed.dims = dims;
    packed.blocks = std::max(1, (count + 15) / 16);
    packed.quads = (dims + 3) / 4;
    const int lanes = packed.lanes();
    packed.codes.resize(size_t(packed.quads) * lanes * 4);
    int8_t* out = packed.codes.data();
    const int fullQuads = dims / 4;
    for (int quad = 0; quad < packed.quads; ++quad)
        for (int k = 0; k < lanes; ++k, out += 4) {
            int32_t word = 0;
            if (k < count && quad < fullQuads)
                std::memcpy(&word, queries[k] + quad * 4, 4);
            else if (k < count)
                word = quadOf(queries[k], quad * 4, dims);
            std::memcpy(out, &word, 4);
        }
}

void packedQueryDotsPortable(const uint8_t* const rows[4], const PackedQueries& packed,
                             int32_t* out) {
    const int lanes = packed.lanes();
    for (int r = 0; r < 4; ++r)
        for (int k = 0; k < lanes; ++k) {
            int32_t sum = 0;
            for (int i = 0; i < packed.dims; ++i)
                sum += int32_t(rows[r][i]) *
                       int32_t(packed.codes[(size_t(i / 4) * lanes + k) * 4 + i % 4]);
            out[r * lanes + k] = sum;
        }
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define FREESEL_HAVE_PACKED_VNNI 1
namespace {

/// One quad of dimensions: `Blocks` blocks of 16 queries' codes (at `codes`), each vpdpbusd
/// adding one broadcast quad of a row to one block's sums.
template <int Blocks>
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) inline void
quadStep(__m512i (&acc)[4][Blocks], const int8_t* codes, const int32_t (&words)[4]) {
    __m512i queries[Blocks];
    for (int b = 0; b < Blocks; ++b)
        queries[b] = _mm512_loadu_si512(codes + b * 64);
    for (int r = 0; r < 4; ++r) {
        const __m512i row = _mm512_set1_epi32(words[r]);
        for (int b = 0; b < Blocks; ++b)
            acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], row, queries[b]);
    }
}

/// Four rows against `Blocks` blocks of 16 queries from block `first` on: 4 x Blocks
/// accumulators of 16 lanes, at most 16 of the 32 registers.
template <int Blocks>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
packedBlocks(const uint8_t* const rows[4], const PackedQueries& packed, int first, int32_t* out) {
    __m512i acc[4][Blocks];
    for (auto& row : acc)
        for (auto& block : row)
            block = _mm512_setzero_si512();
    const int lanes = packed.lanes(), fullQuads = packed.dims / 4;
    const int8_t* codes = packed.codes.data() + size_t(first) * 64;
    for (int quad = 0; quad < fullQuads; ++quad) {
        int32_t words[4];
        for (int r = 0; r < 4; ++r)
            std::memcpy(&words[r], rows[r] + quad * 4, 4);
        quadStep<Blocks>(acc, codes + size_t(quad) * lanes * 4, words);
    }
    if (fullQuads < packed.quads) { // a last partial quad: its query bytes past dims are 0
        int32_t words[4];
        for (int r = 0; r < 4; ++r)
            words[r] = quadOf(rows[r], fullQuads * 4, packed.dims);
        quadStep<Blocks>(acc, codes + size_t(fullQuads) * lanes * 4, words);
    }
    for (int r = 0; r < 4; ++r)
        for (int b = 0; b < Blocks; ++b)
            _mm512_storeu_si512(out + r * lanes + (first + b) * 16, acc[r][b]);
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
packedDotsVnni(const uint8_t* const rows[4], const PackedQueries& packed, int32_t* out) {
    for (int first = 0; first < packed.blocks;) {
        switch (std::min(4, packed.blocks - first)) {
        case 1:
            packedBlocks<1>(rows, packed, first, out);
            first += 1;
            break;
        case 2:
            packedBlocks<2>(rows, packed, first, out);
            first += 2;
            break;
        case 3:
            packedBlocks<3>(rows, packed, first, out);
            first += 3;
            break;
        default:
            packedBlocks<4>(rows, packed, first, out);
            first += 4;
            break;
        }
    }
}

} // namespace
#endif

bool packedQueryDotsAreFast() {
#ifdef FREESEL_HAVE_PACKED_VNNI
    static const bool hasVnni =
        __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    return hasVnni;
#else
    return false;
#endif
}

void packedQueryDots(const uint8_t* const rows[4], const PackedQueries& packed, int32_t* out) {
#ifdef FREESEL_HAVE_PACKED_VNNI
    if (packedQueryDotsAreFast())
        return packedDotsVnni(rows, packed, out);
#endif
    packedQueryDotsPortable(rows, packed, out);
}

} // namespace freesel
