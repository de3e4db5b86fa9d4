// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A pool folder holding what real image folders hold besides clean photos: broken and odd files,
// links and names that break naive code. Shared by the CLI and GUI hostile-input tests so both
// are checked against the same list of kinds and expectations.

#include <QString>

#include <vector>

namespace hostile {

enum class Outcome {
    Used,   ///< decoded and part of the selection pool
    Failed, ///< listed as a failed image with a reason containing `reason`
    Warned, ///< no pool entry; a scan warning containing `reason` names it
};

struct Case {
    QString kind;         ///< what it exercises, e.g. "CMYK JPEG"
    QString relativePath; ///< under the pool folder
    Outcome outcome = Outcome::Used;
    QString reason; ///< a fragment of the failure reason or warning (Failed, Warned)
};

struct CorpusOptions {
    /// A file with no read permission. Only meaningful for a reader that is not root (root
    /// reads it anyway), so in-process tests running as root leave it out.
    bool unreadableFile = true;
};

/// Writes the corpus into `folder` (created) and returns one case per kind. Ordinary scenes
/// (kind "ordinary scene") are added so a selection has something to choose among.
std::vector<Case> writeCorpus(const QString& folder, const CorpusOptions& options = {});

/// Makes the corpus removable again: QDir cannot see (so cannot delete) the non-UTF-8 name,
/// and the unreadable file gets its permissions back.
void prepareRemoval(const QString& folder);

/// How many distinct kinds of hostile input `cases` holds (ordinary scenes not counted).
int hostileKindCount(const std::vector<Case>& cases);

} // namespace hostile
