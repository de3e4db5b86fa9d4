// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Where the labels of the CLIP-powered selection come from (issue 12): a folder per class
// (ImageFolder), a COCO json (the category of each image's largest box) or a CSV "path,label".

#include <QString>
#include <QStringList>

#include <vector>

namespace freesel {

struct PoolLabels {
    QStringList classNames;   ///< index = label
    std::vector<int> labels;  ///< per pool image; -1 where the source says nothing about it
    int unmatchedEntries = 0; ///< source entries naming no pool image (ignored)
    /// COCO only: the label of every box of each pool image (detection users count objects);
    /// boxes of a category outside `classNames` are left out. Empty for other sources.
    std::vector<std::vector<int>> boxLabels;

    int unlabelled() const;
};

/// Every source takes the pool's images (absolute paths) and the pool root they lie under.
/// `classes` (e.g. from --classes) fixes the class order; a label outside it is an error
/// naming the source. Without it the classes are the sorted distinct labels found.

/// ImageFolder: the first folder below `root` names the class; images directly in `root` stay
/// unlabelled.
PoolLabels labelsFromFolders(const QString& root, const QStringList& imagePaths,
                             const QStringList& classes = {});

/// COCO json: images[].file_name (relative to `root`, or a bare file name when that is unique
/// in the pool), annotations[].bbox [x, y, w, h], categories[].name. Each image gets the
/// category of its largest box (area w x h; the first on ties); images without boxes stay
/// unlabelled.
PoolLabels labelsFromCoco(const QString& jsonPath, const QString& root,
                          const QStringList& imagePaths, const QStringList& classes = {});

/// CSV: "path,label" per line (a first line "path,label" is a header), paths relative to `root`
/// or absolute; a label may be double-quoted.
PoolLabels labelsFromCsv(const QString& csvPath, const QString& root, const QStringList& imagePaths,
                         const QStringList& classes = {});

} // namespace freesel
