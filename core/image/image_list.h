// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Lists of images a user names for a continued round (--labeled, --exclude): what annotators
// already have, what they rejected. Any export of an earlier round is accepted as such a list,
// so a team can feed back what the tool wrote.

#include "image/pool_scanner.h"
#include "util/error.h"

#include <QString>
#include <QStringList>
#include <vector>

namespace freesel {

/// Reads the image names a file lists, by its content:
///  - JSON (starts with '{' or '['): every string under a key "path", "file_name", "filepath",
///    "image" or "img" at any depth (the json, COCO, Label Studio, CVAT and FiftyOne exports);
///  - CSV whose first line has a column "path", "file", "file_name", "filename" or "image"
///    (rows whose "selected" column says 0 are skipped: FreeSel's CSV lists every image);
///  - anything else: one name per line; blank lines and lines starting with '#' are skipped.
/// A user-input Error names the file when it cannot be read or holds no name.
Result<QStringList> readImageList(const QString& file);

struct PoolImageMatch {
    std::vector<int> poolIndices; ///< matched pool entries, in list order, without repeats
    QStringList unmatched;        ///< names no pool entry matches
};

/// Matches names to pool entries: the absolute path, else the path relative to the pool root,
/// else the longest trailing run of path components that is a relative path of the pool (so a
/// URL, a Label Studio "/data/local-files/?d=..." or another mount of the same folder match).
PoolImageMatch matchPoolImages(const std::vector<PoolEntry>& pool, const QStringList& names);

} // namespace freesel
