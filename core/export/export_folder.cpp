// SPDX-License-Identifier: GPL-3.0-or-later
// The folder export: the selected images as symlinks (default) or copies, named by rank so a
// file browser lists them in selection order.

#include "export/export_writers.h"

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
bool removeEarlierExport(const QDir& dir, QString* error) {
    static const QRegularExpression ranked(QStringLiteral("^\\d{5,}_"));
    for (const QString& name : entriesOf(dir)) {
        const QFileInfo info(dir.filePath(name));
        const bool ours = name == QLatin1String("provenance.json") || ranked.match(name).hasMatch();
        if (!ours || (info.isDir() && !info.isSymLink()))
            continue;
        if (!QFile::remove(info.filePath())) {
            *error =
                QStringLiteral("cannot remove %1 from the earlier export").arg(info.filePath());
            return false;
        }
    }
    return true;
}

/// Checks the target and makes it ready: created if missing, refused if non-empty without
/// overwrite.
bool prepareDirectory(const QString& path, const ExportOptions& options, QString* error) {
    const QFileInfo info(path);
    if (info.exists() && !info.isDir()) {
        *error = QStringLiteral("folder export: %1 exists and is not a directory").arg(path);
        return false;
    }
    const QDir dir(path);
    if (info.exists() && !entriesOf(dir).isEmpty()) {
        if (!options.overwrite) {
            *error = QStringLiteral("folder export: %1 is not empty; choose an empty folder or "
                                    "allow overwriting")
                         .arg(path);
            return false;
        }
        return removeEarlierExport(dir, error);
    }
    if (!QDir().mkpath(path)) {
        *error = QStringLiteral("folder export: cannot create directory %1").arg(path);
        return false;
    }
    return true;
}

/// QFile::copy writes a temporary file and renames it, so a copy is never half there.
bool placeImage(const QString& source, const QString& target, bool copy, QString* error) {
    if (!QFileInfo::exists(source)) {
        *error = QStringLiteral("folder export: %1 does not exist").arg(source);
        return false;
    }
    QFile::remove(target); // an earlier export's entry under the same name, if overwriting
    const bool ok = copy ? QFile::copy(source, target) : QFile::link(source, target);
    if (!ok)
        *error = QStringLiteral("folder export: cannot %1 %2 to %3")
                     .arg(copy ? QStringLiteral("copy") : QStringLiteral("link"), source, target);
    return ok;
}

} // namespace

ExportResult writeFolder(const SelectionExport& selection, const QString& dirPath,
                         const ExportOptions& options) {
    ExportResult result;
    if (!prepareDirectory(dirPath, options, &result.error))
        return result;
    const QDir dir(dirPath);
    const int digits = rankDigits(selection.picks.size());
    for (size_t rank = 0; rank < selection.picks.size(); ++rank) {
        const ExportImage& image = selection.images[size_t(selection.picks[rank].image)];
        const QString target =
            QFileInfo(dir.filePath(rankedName(rank, digits, image))).absoluteFilePath();
        if (!placeImage(absolutePath(image), target, options.copyFiles, &result.error))
            return result;
        result.files << target;
    }
    result.ok = true;
    return result;
}

} // namespace freesel::exportdetail
