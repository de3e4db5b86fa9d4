// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace freesel {

/// Largest buffer glibc's malloc may serve from its heap under keepLargeBuffersInHeap(): 32 MiB,
/// glibc's own ceiling for its adaptive threshold on 64-bit.
constexpr long kHeapMmapThresholdBytes = 32L << 20;
/// Free memory at the top of a heap kept for reuse instead of being handed back: 128 MiB.
constexpr long kHeapTrimThresholdBytes = 128L << 20;

/// Call first thing in main(): makes glibc serve buffers up to kHeapMmapThresholdBytes from its
/// heap and keep up to kHeapTrimThresholdBytes of freed memory for reuse.
///
/// Why: each image passes through per-image buffers of a few hundred KB (a ViT-S/16 image's
/// tokens are 300 KB, its attention more), allocated and freed once an image on every thread.
/// glibc's adaptive thresholds send such buffers to mmap/munmap some of the time (which way
/// depends on the order of earlier frees), and every fresh mapping costs a page fault and a
/// zeroed page per 4 KB. The pattern stage over in-memory features ran at 12,000-14,000 or
/// 35,000-39,000 images/s from one run to the next, and at 34,800-36,900 with these thresholds
/// (`freesel-bench patterns_busy`; docs/ARCHITECTURE.md). The price is up to 128 MiB of freed
/// memory kept per heap, small beside the stores and models the programs hold.
///
/// A user who set MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES keeps that
/// choice: nothing is changed then. Returns whether the thresholds were set.
bool keepLargeBuffersInHeap();

} // namespace freesel
