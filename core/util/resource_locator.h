// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>

namespace freesel {

/// One folder that may hold FreeSel's read-only data, and why it is searched.
struct DataDirectory {
    QString path;   ///< absolute, cleaned
    QString origin; ///< "installed", "build tree" or "system" (QStandardPaths)
};

/// Finds FreeSel's read-only data folder ("freesel-studio"): today its weights/ subfolder, where
/// an administrator pre-installs checkpoints for every user (clusters without internet).
/// Everything else the app needs is compiled in as Qt resources.
///
/// Search order:
///  1. installed: the executable's folder + the install-time relative path from bin/ to
///     share/freesel-studio, so an installed tree works from any prefix (even one unpacked with
///     dpkg-deb -x into a scratch folder);
///  2. build tree: <build>/data, only for executables inside the build tree, so an installed
///     binary never picks up a developer's build folder;
///  3. QStandardPaths::GenericDataLocation + "/freesel-studio": ~/.local/share, then
///     $XDG_DATA_DIRS (/usr/local/share, /usr/share).
class ResourceLocator {
public:
    static constexpr const char* kFolderName = "freesel-studio";

    /// Everything the search depends on; defaultLayout() is the running program's.
    struct Layout {
        QString executableDir;     ///< folder of the running executable
        QString installedRelative; ///< from the executable's folder to the data folder
        QString buildTree;         ///< executables below this folder run from the build tree
        QString buildTreeData;     ///< the data folder of the build tree
        QStringList systemDirs;    ///< GenericDataLocation folders, most specific first
    };

    static Layout defaultLayout();

    explicit ResourceLocator(Layout layout = defaultLayout());

    /// Every folder searched, in order, without duplicates, whether it exists or not.
    QVector<DataDirectory> candidates() const;
    /// The candidates that exist.
    QVector<DataDirectory> dataDirectories() const;
    /// `relative` (e.g. "weights") inside every existing data folder where it exists, in order.
    QStringList findAll(const QString& relative) const;

private:
    bool runsFromBuildTree() const;

    Layout layout_;
};

} // namespace freesel
