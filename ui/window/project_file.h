// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// .freesel project files: a small JSON document with the pool, the parameters and the feature
// store location, so a project reopens exactly where it was left.

#include "run_parameters.h"

#include <QString>

#include <vector>

namespace freesel {

/// One image of a saved selection: its absolute pool path and the score that picked it.
struct ProjectPick {
    QString path;
    double score = 0.0; ///< NaN where none applies (written as null)
};

struct ProjectFile {
    static constexpr int kVersion = 1;
    RunParameters parameters; ///< includes the pool source and the store folder
    /// The selection of the saved parameters, rank 1 first (empty: none was saved); a
    /// project reopens with it shown, without re-running.
    std::vector<ProjectPick> selection;

    /// Writes atomically; false with *error naming the file.
    bool save(const QString& path, QString* error) const;
    /// False with *error naming the file and what is wrong.
    bool load(const QString& path, QString* error);
};

} // namespace freesel
