// SPDX-License-Identifier: GPL-3.0-or-later
// The folder export: the selected images as symlinks (default) or copies, named by rank so a
// file browser lists them in selection order.

#include "export/export_writers.h"
#include "util/save_file.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

namespace freesel::exportdetail {

namespace {

/// Zero-padded to at least five digits, more for larger selections, so names sort by rank.
int rankDigits(size_t count) {
    return std::max(5, int(QString::number(qulonglong(count)).size()));
}

QString rankedName(size_t rank, int digits, const ExportImage& image) {
    return QStringLiteral("%1_%2")
        .arg(qulonglong(rank + 1), digits, 10, QLatin1Char('0'))
        .arg(QFileInfo(image.path).fileName());
}

QStringList entriesOf(const QDir& dir) {
    return dir.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
}

/// With overwrite, only what an earlier folder export wrote goes (rank-prefixed files and
/// links, provenance.json); anything else the user keeps there is left alone.
Status removeEarlierExport(const QDir& dir) {
    static const QRegularExpression ranked(QStringLiteral("^\\d{5,}_"));
    for (const QString& name : entriesOf(dir)) {
        const QFileInfo info(dir.filePath(name));
        const bool ours = name == QLatin1String("provenance.json") || ranked.match(name).hasMatch();
        if (!ours || (info.isDir() && !info.isSymLink()))
            continue;
        if (!QFile::remove(info.filePath()))
            return Error::userInput(
                QStringLiteral("cannot remove %1 from the earlier export").arg(info.filePath()));
    }
    return {};
}

/// Checks the target and makes it ready: created if missing, refused if non-empty without
/// overwrite.
Status prepareDirectory(const QString& path, const ExportOptions& options) {
    const QFileInfo info(path);
    if (info.exists() && !info.isDir())
        return Error::userInput(
            QStringLiteral("folder export: %1 exists and is not a directory").arg(path));
    const QDir dir(path);
    if (info.exists() && !entriesOf(dir).isEmpty()) {
        if (!options.overwrite)
            return Error::userInput(
                QStringLiteral("folder export: %1 is not empty; choose an empty folder or "
                               "allow overwriting")
                    .arg(path));
        return removeEarlierExport(dir);
    }
    if (!QDir().mkpath(path))
        return Error::userInput(
            QStringLiteral("folder export: cannot create directory %1").arg(path));
    return {};
}

/// QFile::copy writes a temporary file and renames it, so a copy is never half there.
Status placeImage(const QString& source, const QString& target, bool copy) {
    if (!QFileInfo::exists(source))
        return Error::userInput(QStringLiteral("folder export: %1 does not exist").arg(source));
    QFile::remove(target); // an earlier export's entry under the same name, if overwriting
    QFile file(source);
    if (copy ? file.copy(target) : file.link(target))
        return {};
    // The source exists, so a failed copy is the target's disk or permissions.
    return Error{fileErrorCategory(file.error()),
                 QStringLiteral("folder export: cannot %1 %2 to %3: %4")
                     .arg(copy ? QStringLiteral("copy") : QStringLiteral("link"), source, target,
                          file.errorString())};
}

} // namespace

ExportResult writeFolder(const SelectionExport& selection, const QString& dirPath,
                         const ExportOptions& options) {
    if (const Status prepared = prepareDirectory(dirPath, options); !prepared)
        return prepared.error();
    QStringList files;
    const QDir dir(dirPath);
    const int digits = rankDigits(selection.picks.size());
    for (size_t rank = 0; rank < selection.picks.size(); ++rank) {
        const ExportImage& image = selection.images[size_t(selection.picks[rank].image)];
        const QString target =
            QFileInfo(dir.filePath(rankedName(rank, digits, image))).absoluteFilePath();
        if (const Status placed = placeImage(absolutePath(image), target, options.copyFiles);
            !placed)
            return placed.error();
        files << target;
    }
    return files;
}

} // namespace freesel::exportdetail
