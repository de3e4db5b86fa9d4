// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Where the pattern stage keeps the pool's rows (--pattern-rows). A million images x 5
// patterns x 384 floats are 7.7 GB, and a run holds the pool more than once (the session's
// copy, the sampler's normalised copy and its bfloat16 prefilter), so at that size the rows go
// to an unlinked file beside the store and only the sampler's bfloat16 copy stays resident
// (PatternPool::withRowsInFile, docs/SCALE.md). The selection is the same either way.

#include <QString>
#include <cstdint>
#include <string>

namespace freesel {

enum class PatternRowsPlace { Automatic, Memory, File };

/// "auto", "memory" or "file"; throws std::invalid_argument naming --pattern-rows otherwise.
PatternRowsPlace parsePatternRowsPlace(const QString& text);

/// Automatic keeps the rows in a file when they would take more than this share of the
/// machine's physical memory: in memory a run peaks at about 2.5 times the rows.
constexpr double kPatternRowsMemoryShare = 0.25;

/// Bytes of float rows for `images` with at most `patternsPerImage` patterns of `dims`.
int64_t patternRowBytes(int64_t images, int patternsPerImage, int dims);

/// Whether rows of `rowBytes` go to a file on a machine with `physicalBytes` of memory.
bool keepPatternRowsInFile(PatternRowsPlace place, int64_t rowBytes, int64_t physicalBytes);

/// The machine's physical memory (sysconf), 0 when unknown.
int64_t physicalMemoryBytes();

/// The folder computePatterns is given for the rows: `folder` when they go to a file, ""
/// (memory) otherwise.
std::string patternRowsFolder(const QString& place, int64_t images, int patternsPerImage, int dims,
                              const QString& folder);

} // namespace freesel
