// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The user's manual override of a selection: images excluded by hand (never picked), images
// marked as already labelled (they seed the next selection and are never picked again) and
// images included by hand (always selected, first, counted in the budget). All three are lists
// of absolute pool paths in RunParameters (excludedImages, labeledImages, includedImages), so
// they are part of the selection key and of project files.

#include "worker/pipeline_worker.h"

#include <QStringList>

#include <vector>

class QPainter;
class QRect;
class QFont;

namespace freesel {

enum class PoolMark { None = 0, Excluded = 1, Labelled = 2, Included = 3 };

/// The three lists of the manual override, as RunParameters keeps them.
struct ManualMarks {
    QStringList labelled, excluded, included;
    static ManualMarks of(const RunParameters& p);
    void writeTo(RunParameters& p) const;
    bool operator==(const ManualMarks& other) const;
    bool operator!=(const ManualMarks& other) const { return !(*this == other); }
};

/// Puts `paths` on the list of `mark` (and off the others); PoolMark::None takes them off all
/// three (the image is an ordinary candidate again). Lists stay sorted and free of repeats.
void applyMark(ManualMarks& marks, const QStringList& paths, PoolMark mark);

/// Per pool image: its PoolMark as a char (labelled wins over excluded over included, as in
/// the pipeline).
std::vector<char> marksOfPool(const PoolSnapshot& pool, const ManualMarks& marks);

/// The pool paths named in a text file, one per line (absolute, relative to the file's folder,
/// or as the pool lists them relative to its root; blank lines and # comments skipped).
/// Lines that match no pool image go to *unmatched. False with *error when the file cannot
/// be read.
bool readPoolPathList(const QString& file, const PoolSnapshot& pool, QStringList* paths,
                      QStringList* unmatched, QString* error);

/// "excluded by hand" / "marked as labelled" / "included by hand" (tooltips, the legend).
QString markDescription(PoolMark mark);

/// The badge of a marked image in the grid, in the top-right corner of `imageArea`.
void paintMarkBadge(QPainter* painter, const QRect& imageArea, const QFont& font, PoolMark mark);

} // namespace freesel
