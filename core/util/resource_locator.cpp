// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/resource_locator.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <utility>

// Set by core/CMakeLists.txt on this file only, so a changed install layout recompiles one file.
#if !defined(FREESEL_DATA_FROM_BINDIR) || !defined(FREESEL_BUILD_TREE) ||                          \
    !defined(FREESEL_BUILD_TREE_DATA)
#error "resource_locator.cpp needs FREESEL_DATA_FROM_BINDIR, FREESEL_BUILD_TREE and \
FREESEL_BUILD_TREE_DATA (see core/util/CMakeLists.txt)"
#endif

namespace freesel {

namespace {

QString executableDir() {
    if (QCoreApplication::instance())
        return QCoreApplication::applicationDirPath();
    // Static initialisers and tools without a QCoreApplication: Linux knows the executable too.
    return QFileInfo(QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath()).path();
}

bool isInside(const QString& path, const QString& folder) {
    const QString base = QDir::cleanPath(folder);
    return !base.isEmpty() && (path == base || path.startsWith(base + QLatin1Char('/')));
}

} // namespace

ResourceLocator::Layout ResourceLocator::defaultLayout() {
    Layout layout;
    layout.executableDir = executableDir();
    layout.installedRelative = QStringLiteral(FREESEL_DATA_FROM_BINDIR);
    layout.buildTree = QStringLiteral(FREESEL_BUILD_TREE);
    layout.buildTreeData = QStringLiteral(FREESEL_BUILD_TREE_DATA);
    for (const QString& dir :
         QStandardPaths::standardLocations(QStandardPaths::GenericDataLocation))
        layout.systemDirs << dir + QLatin1Char('/') + QLatin1String(kFolderName);
    return layout;
}

ResourceLocator::ResourceLocator(Layout layout) : layout_(std::move(layout)) {}

bool ResourceLocator::runsFromBuildTree() const {
    // Compare resolved paths: the build folder may be reached through a symlink.
    const QString exe = QFileInfo(layout_.executableDir).canonicalFilePath();
    const QString tree = QFileInfo(layout_.buildTree).canonicalFilePath();
    return !exe.isEmpty() && isInside(exe, tree);
}

QVector<DataDirectory> ResourceLocator::candidates() const {
    QVector<DataDirectory> out;
    auto add = [&out](const QString& path, const QString& origin) {
        if (path.isEmpty())
            return;
        const QString clean = QDir::cleanPath(QDir(path).absolutePath());
        for (const DataDirectory& known : out)
            if (known.path == clean)
                return; // e.g. prefix /usr: installed and system name the same folder
        out.append({clean, origin});
    };
    if (!layout_.executableDir.isEmpty() && !layout_.installedRelative.isEmpty())
        add(QDir(layout_.executableDir).filePath(layout_.installedRelative),
            QStringLiteral("installed"));
    if (runsFromBuildTree())
        add(layout_.buildTreeData, QStringLiteral("build tree"));
    for (const QString& dir : layout_.systemDirs)
        add(dir, QStringLiteral("system"));
    return out;
}

QVector<DataDirectory> ResourceLocator::dataDirectories() const {
    QVector<DataDirectory> out;
    for (const DataDirectory& dir : candidates())
        if (QFileInfo(dir.path).isDir())
            out.append(dir);
    return out;
}

QStringList ResourceLocator::findAll(const QString& relative) const {
    QStringList out;
    for (const DataDirectory& dir : dataDirectories()) {
        const QString path = QDir::cleanPath(dir.path + QLatin1Char('/') + relative);
        if (QFileInfo::exists(path))
            out << path;
    }
    return out;
}

} // namespace freesel
