// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// FREESEL_CLONES: compile a hot loop for AVX-512, AVX2 and the baseline, dispatched once through
// an ifunc (GCC's target_clones), so one portable binary (Debian's baseline is SSE2) still uses
// the widest vectors the CPU has. Other compilers get the baseline only.

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define FREESEL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FREESEL_CLONES
#endif
