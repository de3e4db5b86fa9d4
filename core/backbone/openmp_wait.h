// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace freesel {

/// The OpenMP wait policy FreeSel runs with unless the user chose one: "PASSIVE".
///
/// Why: LibTorch (and oneDNN, and the pattern stage) run on GNU OpenMP, whose threads spin for
/// ~300,000 iterations at every barrier before they sleep. On a machine where another program
/// keeps a core busy, the spinning threads take CPU time from the one thread still working, and
/// ViT-S/16 fell to 38% of its quiet speed; with OMP_WAIT_POLICY=PASSIVE it kept 60%
/// (issue 19; `freesel-bench vit_busy` measures it). A desktop app shares its machine, so FreeSel
/// prefers to give a core back over the last few percent on an idle machine.
///
/// Why a re-exec: libgomp reads its environment in an ELF constructor, before main() starts, so
/// a setenv() in main() (or in any static initializer of ours, or even in .preinit_array, which
/// runs before libc has set `environ`) comes too late; this was checked with omp_display_env.
/// The only reliable place is the environment of a fresh process image.
constexpr const char* kPreferredOpenMpWaitPolicy = "PASSIVE";

/// True when neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set: the user left the choice to us.
bool openMpWaitIsUnset();

/// Call first thing in main(), before anything else runs: when openMpWaitIsUnset(), sets
/// OMP_WAIT_POLICY=PASSIVE and re-executes the program (/proc/self/exe, same arguments and
/// environment otherwise). Returns normally when nothing needs doing or the exec fails (the
/// program then simply runs with libgomp's default). Setting OMP_WAIT_POLICY (e.g. ACTIVE) or
/// GOMP_SPINCOUNT yourself keeps your choice and skips the re-exec.
void adoptPreferredOpenMpWait(char** argv);

} // namespace freesel
