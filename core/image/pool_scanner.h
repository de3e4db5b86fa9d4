// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

#include <vector>

namespace freesel {

/// One image of the pool as the scan found it. `size` and `mtimeMs` identify the file version
/// the feature store keyed its record on, so a changed file is extracted again.
struct PoolEntry {
    QString path;         ///< absolute, cleaned, '/' separators
    QString relativePath; ///< what exports print: relative to the folder / list / image root
    qint64 size = -1;     ///< bytes; -1 when the file does not exist (list and COCO inputs)
    qint64 mtimeMs = 0;   ///< last modification, ms since the epoch (UTC); 0 when missing
    qint64 cocoId = -1;   ///< COCO images[].id; -1 for folder and list inputs
    int width = 0;        ///< COCO images[].width; 0 when unknown
    int height = 0;       ///< COCO images[].height; 0 when unknown

    bool exists() const { return size >= 0; }
};

/// The result of a scan. `error` is empty on success; otherwise it names the path and the
/// reason and `entries` is empty. `warnings` lists what was skipped (unreadable folders,
/// missing or duplicate list entries, symlink loops) without failing the scan.
struct PoolScan {
    std::vector<PoolEntry> entries;
    QStringList warnings;
    QString error;
    QString root; ///< the folder relativePath is relative to

    bool ok() const { return error.isEmpty(); }
};

/// The image extensions a folder scan keeps (lower case, no dot): jpg jpeg png bmp tif tiff
/// webp gif. Matching is case-insensitive.
const QStringList& poolImageExtensions();
bool hasPoolImageExtension(const QString& fileName);

/// Every image file under `folder`, recursively, sorted by relative path (plain code-point
/// order, so the order is the same on every machine and locale). Symlinked files and folders
/// are followed, each real folder is visited once (so a symlink loop ends), unreadable folders
/// are skipped with a warning, hidden entries (leading '.') are skipped: they are caches and
/// macOS "._x.jpg" resource forks, never the user's images. A folder named like an image
/// (x.jpg/) is descended into, never listed.
PoolScan scanFolder(const QString& folder);

/// One path per line, in file order. Relative paths are resolved against the list's folder;
/// blank lines and lines starting with '#' are skipped; surrounding whitespace and a UTF-8 BOM
/// are removed. No extension filter (the user chose these files). Missing files are kept
/// (size -1, with a warning) so extraction records them as failed with a reason; repeated
/// paths are kept once (first occurrence).
PoolScan scanListFile(const QString& listFile);

/// The images[] of a COCO annotation file, in file order, keeping id, width and height.
/// images[].file_name is relative to `imageRoot`; when that is empty, the root is chosen among
/// the json's folder, <json folder>/<json stem> and <json folder>/../<stem without
/// "instances_"> as the one where most of the first 32 files exist (ties: that order).
PoolScan scanCocoJson(const QString& jsonFile, const QString& imageRoot = {});

/// Dispatches on the source: a folder -> scanFolder, *.json -> scanCocoJson, anything else ->
/// scanListFile. `imageRoot` only applies to COCO.
PoolScan scanPool(const QString& source, const QString& imageRoot = {});

} // namespace freesel
