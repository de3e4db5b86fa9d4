// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/pool_scanner.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>
#include <deque>

#ifdef Q_OS_UNIX
#include <dirent.h>
#endif

namespace freesel {

namespace {

constexpr int kRootProbeCount = 32; // COCO: files checked per candidate image root

PoolEntry entryFor(const QString& absolutePath, const QString& relativePath) {
    PoolEntry entry;
    entry.path = QDir::cleanPath(absolutePath);
    entry.relativePath = relativePath;
    const QFileInfo info(entry.path);
    if (info.exists() && !info.isDir()) {
        entry.size = info.size();
        entry.mtimeMs = info.lastModified().toMSecsSinceEpoch();
    }
    return entry;
}

QString resolveAgainst(const QDir& base, const QString& path) {
    const QString native = QDir::fromNativeSeparators(path);
    return QDir::cleanPath(QDir::isAbsolutePath(native) ? native : base.absoluteFilePath(native));
}

PoolScan failure(const QString& message) {
    PoolScan scan;
    scan.error = message;
    return scan;
}

/// Folders still to list. Real folders are listed before any symlinked one, so a file
/// reachable both ways is listed under its real path, whatever the directory order.
struct FolderQueue {
    std::deque<QString> real;
    std::deque<QString> linked;
    QSet<QString> visited; // canonical paths: each real folder once, so symlink loops end
};

/// The entries of one folder in code-point order of their names (directory order varies).
QFileInfoList sortedEntries(const QString& folder) {
    QFileInfoList entries;
    QDirIterator it(folder, QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::System);
    while (it.hasNext()) {
        it.next();
        if (!it.fileName().startsWith(QLatin1Char('.')))
            entries << it.fileInfo();
    }
    std::sort(entries.begin(), entries.end(),
              [](const QFileInfo& a, const QFileInfo& b) { return a.fileName() < b.fileName(); });
    return entries;
}

/// The names in `folder` that are not valid UTF-8, decoded lossily (with U+FFFD). QDirIterator
/// leaves such entries out without a word; the user must hear that they were not used.
QStringList undecodableNames(const QString& folder) {
    QStringList names;
#ifdef Q_OS_UNIX
    DIR* dir = ::opendir(QFile::encodeName(folder).constData());
    if (!dir)
        return names;
    while (const dirent* entry = ::readdir(dir)) {
        const QByteArray raw(entry->d_name);
        const QString name = QFile::decodeName(raw);
        if (QFile::encodeName(name) != raw && !name.startsWith(QLatin1Char('.')))
            names << name;
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
#else
    Q_UNUSED(folder)
#endif
    return names;
}

/// Lists one folder level: image files into the scan, sub-folders into the queue.
void scanOneFolder(const QString& folder, const QDir& root, FolderQueue* queue, PoolScan* scan) {
    for (const QString& name : undecodableNames(folder)) {
        const QString path = QDir(folder).filePath(name);
        if (hasPoolImageExtension(name))
            scan->entries.push_back(entryFor(path, root.relativeFilePath(path)));
        else
            scan->warnings
                << QStringLiteral("%1: name is not valid UTF-8, not scanned; rename it").arg(path);
    }
    for (const QFileInfo& info : sortedEntries(folder)) {
        if (info.isDir() && info.isSymLink()) {
            queue->linked.push_back(info.filePath());
        } else if (info.isDir()) {
            const QString canonical = info.canonicalFilePath();
            if (!canonical.isEmpty() && !queue->visited.contains(canonical)) {
                queue->visited.insert(canonical);
                queue->real.push_back(info.filePath());
            }
        } else if (hasPoolImageExtension(info.fileName())) {
            // Regular files, and also what is named like an image but is none: FIFOs, sockets,
            // dangling or looping symlinks, names that are not valid UTF-8. Those are kept so
            // extraction reports each with its reason instead of dropping it silently.
            scan->entries.push_back(
                entryFor(info.absoluteFilePath(), root.relativeFilePath(info.absoluteFilePath())));
        }
    }
}

/// The next folder to list, or an empty string when done.
QString nextFolder(FolderQueue* queue, PoolScan* scan) {
    if (!queue->real.empty()) {
        const QString next = queue->real.front();
        queue->real.pop_front();
        return next;
    }
    while (!queue->linked.empty()) {
        const QString link = queue->linked.front();
        queue->linked.pop_front();
        const QString canonical = QFileInfo(link).canonicalFilePath();
        if (!canonical.isEmpty() && !queue->visited.contains(canonical)) {
            queue->visited.insert(canonical);
            return link;
        }
        scan->warnings << QStringLiteral("%1: symlink to a folder already scanned (loop or "
                                         "alias), skipped")
                              .arg(link);
    }
    return {};
}

void removeDuplicatePaths(PoolScan* scan) {
    QSet<QString> seen;
    std::vector<PoolEntry> kept;
    kept.reserve(scan->entries.size());
    for (PoolEntry& entry : scan->entries) {
        if (seen.contains(entry.path)) {
            scan->warnings
                << QStringLiteral("%1: listed more than once, kept once").arg(entry.path);
            continue;
        }
        seen.insert(entry.path);
        kept.push_back(std::move(entry));
    }
    scan->entries = std::move(kept);
}

void warnMissing(PoolScan* scan) {
    for (const PoolEntry& entry : scan->entries)
        if (!entry.exists())
            scan->warnings << QStringLiteral("%1: no such file").arg(entry.path);
}

QStringList cocoRootCandidates(const QFileInfo& json) {
    const QDir folder = json.absoluteDir();
    QString stem = json.completeBaseName();
    QStringList candidates{folder.absolutePath(), folder.absoluteFilePath(stem)};
    if (stem.startsWith(QStringLiteral("instances_"))) {
        stem.remove(0, int(qstrlen("instances_")));
        candidates << QDir::cleanPath(folder.absoluteFilePath(QStringLiteral("../") + stem));
    }
    return candidates;
}

/// The candidate root under which most of the first file names exist.
QString chooseCocoRoot(const QFileInfo& json, const QJsonArray& images) {
    const QStringList candidates = cocoRootCandidates(json);
    QString best = candidates.first();
    int bestHits = -1;
    for (const QString& candidate : candidates) {
        const QDir dir(candidate);
        int hits = 0;
        for (int i = 0; i < std::min<int>(kRootProbeCount, int(images.size())); ++i) {
            const QString name = images[i].toObject().value(QStringLiteral("file_name")).toString();
            hits += !name.isEmpty() && QFileInfo::exists(resolveAgainst(dir, name));
        }
        if (hits > bestHits) {
            best = candidate;
            bestHits = hits;
        }
    }
    return best;
}

QJsonArray readCocoImages(const QString& jsonFile, QString* error) {
    QFile file(jsonFile);
    if (!file.exists()) {
        *error = QStringLiteral("%1: no such COCO json file").arg(jsonFile);
        return {};
    }
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read COCO json: %2").arg(jsonFile, file.errorString());
        return {};
    }
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parse);
    if (parse.error != QJsonParseError::NoError) {
        *error = QStringLiteral("%1: not valid JSON at offset %2: %3")
                     .arg(jsonFile)
                     .arg(parse.offset)
                     .arg(parse.errorString());
        return {};
    }
    if (!doc.isObject() || !doc.object().value(QStringLiteral("images")).isArray()) {
        *error =
            QStringLiteral("%1: not a COCO file (no top-level \"images\" array)").arg(jsonFile);
        return {};
    }
    return doc.object().value(QStringLiteral("images")).toArray();
}

} // namespace

const QStringList& poolImageExtensions() {
    static const QStringList extensions{QStringLiteral("jpg"),  QStringLiteral("jpeg"),
                                        QStringLiteral("png"),  QStringLiteral("bmp"),
                                        QStringLiteral("tif"),  QStringLiteral("tiff"),
                                        QStringLiteral("webp"), QStringLiteral("gif")};
    return extensions;
}

bool hasPoolImageExtension(const QString& fileName) {
    const int dot = int(fileName.lastIndexOf(QLatin1Char('.')));
    if (dot < 0)
        return false;
    return poolImageExtensions().contains(fileName.mid(dot + 1), Qt::CaseInsensitive);
}

PoolScan scanFolder(const QString& folder) {
    const QFileInfo info(folder);
    if (!info.exists())
        return failure(QStringLiteral("%1: no such folder").arg(folder));
    if (!info.isDir())
        return failure(QStringLiteral("%1: not a folder").arg(folder));
    if (!info.isReadable())
        return failure(QStringLiteral("%1: folder is not readable").arg(folder));

    PoolScan scan;
    const QDir root(info.absoluteFilePath());
    scan.root = root.absolutePath();
    FolderQueue queue;
    queue.visited.insert(info.canonicalFilePath());
    for (QString current = root.absolutePath(); !current.isEmpty();
         current = nextFolder(&queue, &scan)) {
        if (!QFileInfo(current).isReadable() || !QDir(current).isReadable()) {
            scan.warnings << QStringLiteral("%1: folder is not readable, skipped").arg(current);
            continue;
        }
        scanOneFolder(current, root, &queue, &scan);
    }
    // Code-point order, not locale collation: the pool order (and with it every seed-driven
    // result) must not depend on the machine's language settings.
    std::sort(scan.entries.begin(), scan.entries.end(), [](const PoolEntry& a, const PoolEntry& b) {
        return a.relativePath < b.relativePath;
    });
    return scan;
}

PoolScan scanListFile(const QString& listFile) {
    QFile file(listFile);
    if (!file.exists())
        return failure(QStringLiteral("%1: no such list file").arg(listFile));
    if (QFileInfo(listFile).isDir())
        return failure(QStringLiteral("%1: is a folder, not a list file").arg(listFile));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return failure(
            QStringLiteral("%1: cannot read list file: %2").arg(listFile, file.errorString()));

    PoolScan scan;
    const QDir base = QFileInfo(listFile).absoluteDir();
    scan.root = base.absolutePath();
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    for (QString line : lines) {
        line = line.trimmed();
        if (line.startsWith(QChar(0xFEFF)))
            line = line.mid(1).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        scan.entries.push_back(entryFor(resolveAgainst(base, line),
                                        QDir::cleanPath(QDir::fromNativeSeparators(line))));
    }
    removeDuplicatePaths(&scan);
    warnMissing(&scan);
    return scan;
}

PoolScan scanCocoJson(const QString& jsonFile, const QString& imageRoot) {
    QString error;
    const QJsonArray images = readCocoImages(jsonFile, &error);
    if (!error.isEmpty())
        return failure(error);
    if (!imageRoot.isEmpty() && !QFileInfo(imageRoot).isDir())
        return failure(QStringLiteral("%1: COCO image root is not a folder").arg(imageRoot));

    PoolScan scan;
    const QFileInfo json(jsonFile);
    scan.root = imageRoot.isEmpty() ? chooseCocoRoot(json, images)
                                    : QFileInfo(imageRoot).absoluteFilePath();
    const QDir root(scan.root);
    for (int i = 0; i < int(images.size()); ++i) {
        const QJsonObject image = images[i].toObject();
        const QString name = image.value(QStringLiteral("file_name")).toString();
        if (name.isEmpty()) {
            scan.warnings
                << QStringLiteral("%1: images[%2] has no file_name, skipped").arg(jsonFile).arg(i);
            continue;
        }
        PoolEntry entry = entryFor(resolveAgainst(root, name), QDir::cleanPath(name));
        entry.cocoId = image.value(QStringLiteral("id")).toVariant().toLongLong();
        if (!image.contains(QStringLiteral("id")))
            entry.cocoId = -1;
        entry.width = image.value(QStringLiteral("width")).toInt();
        entry.height = image.value(QStringLiteral("height")).toInt();
        scan.entries.push_back(std::move(entry));
    }
    removeDuplicatePaths(&scan);
    warnMissing(&scan);
    return scan;
}

PoolScan scanPool(const QString& source, const QString& imageRoot) {
    const QFileInfo info(source);
    if (info.isDir())
        return scanFolder(source);
    if (!info.exists())
        return failure(QStringLiteral("%1: no such folder or file").arg(source));
    if (info.suffix().compare(QStringLiteral("json"), Qt::CaseInsensitive) == 0)
        return scanCocoJson(source, imageRoot);
    return scanListFile(source);
}

} // namespace freesel
