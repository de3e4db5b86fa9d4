// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/heap_tuning.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace freesel {

namespace {
bool userChoseHeapSettings() {
    return std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr ||
           std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr ||
           std::getenv("GLIBC_TUNABLES") != nullptr;
}
} // namespace

bool keepLargeBuffersInHeap() {
#if defined(__GLIBC__)
    if (userChoseHeapSettings())
        return false;
    // Setting either threshold also switches off glibc's adaptive raising of both.
    return mallopt(M_MMAP_THRESHOLD, int(kHeapMmapThresholdBytes)) == 1 &&
           mallopt(M_TRIM_THRESHOLD, int(kHeapTrimThresholdBytes)) == 1;
#else
    return false; // other C libraries: their own defaults
#endif
}

} // namespace freesel
