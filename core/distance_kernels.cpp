#include "distance_kernels.h"

// Hand-written loops instead of Eigen here: Eigen picks its SIMD width at compile time, and a
// portable binary (Debian's baseline is SSE2) would lose 4-8x on the selection's hot path.
// GCC's target_clones compiles each function for several instruction sets and dispatches once
// through an ifunc, so one binary runs everywhere and uses AVX-512 or AVX2 where present.
// `omp simd reduction` lets the compiler vectorise the float sum without -ffast-math.

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define FREESEL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FREESEL_CLONES
#endif

namespace freesel {

FREESEL_CLONES float dotProduct(const float* a, const float* b, int dims) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < dims; ++i)
        sum += a[i] * b[i];
    return sum;
}

FREESEL_CLONES float squaredDistance(const float* a, const float* b, int dims) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < dims; ++i) {
        const float difference = a[i] - b[i];
        sum += difference * difference;
    }
    return sum;
}

void dotProducts(const float* rows, int64_t rowCount, const float* queries, int queryCount,
                 int dims, float* out) {
    for (int64_t r = 0; r < rowCount; ++r) {
        for (int q = 0; q < queryCount; ++q)
            out[r * queryCount + q] = dotProduct(rows + r * dims, queries + q * dims, dims);
    }
}

} // namespace freesel
