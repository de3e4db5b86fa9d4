#pragma once

#include <cstdint>

namespace freesel {

/// dot(a, b) over `dims` floats, vectorised for the CPU it runs on (AVX-512, AVX2 or the
/// baseline, chosen once at load time), with float accumulation.
float dotProduct(const float* a, const float* b, int dims);

/// sum_i (a_i - b_i)^2 over `dims` floats, vectorised like dotProduct.
float squaredDistance(const float* a, const float* b, int dims);

/// out[r * queryCount + q] = dot(rows[r], queries[q]) for `rowCount` contiguous rows.
void dotProducts(const float* rows, int64_t rowCount, const float* queries, int queryCount,
                 int dims, float* out);

} // namespace freesel
