// SPDX-License-Identifier: GPL-3.0-or-later
#include "pool/pool_marks.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QPainter>
#include <QSet>

namespace freesel {

namespace {

void sortUnique(QStringList& list) {
    list.sort();
    list.removeDuplicates();
}

} // namespace

void applyMark(QStringList& labelled, QStringList& excluded, const QStringList& paths,
               PoolMark mark) {
    const QSet<QString> set(paths.begin(), paths.end());
    auto remove = [&set](QStringList& list) {
        list.removeIf([&set](const QString& path) { return set.contains(path); });
    };
    remove(labelled);
    remove(excluded);
    if (mark == PoolMark::Labelled)
        labelled += paths;
    else if (mark == PoolMark::Excluded)
        excluded += paths;
    sortUnique(labelled);
    sortUnique(excluded);
}

std::vector<char> marksOfPool(const PoolSnapshot& pool, const QStringList& labelled,
                              const QStringList& excluded) {
    std::vector<char> marks(static_cast<size_t>(pool.size()), 0);
    if (labelled.isEmpty() && excluded.isEmpty())
        return marks;
    const QSet<QString> l(labelled.begin(), labelled.end());
    const QSet<QString> x(excluded.begin(), excluded.end());
    for (size_t i = 0; i < marks.size(); ++i) {
        const QString& path = (*pool.entries)[i].path;
        marks[i] = l.contains(path)   ? char(PoolMark::Labelled)
                   : x.contains(path) ? char(PoolMark::Excluded)
                                      : char(0);
    }
    return marks;
}

bool readPoolPathList(const QString& file, const PoolSnapshot& pool, QStringList* paths,
                      QStringList* unmatched, QString* error) {
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = QCoreApplication::translate("PoolMarks", "cannot read %1: %2")
                     .arg(file, in.errorString());
        return false;
    }
    QHash<QString, QString> byName; // absolute and pool-relative spellings -> pool path
    for (int i = 0; i < pool.size(); ++i) {
        const PoolEntry& entry = (*pool.entries)[static_cast<size_t>(i)];
        byName.insert(entry.path, entry.path);
        byName.insert(entry.relativePath, entry.path);
    }
    const QDir base = QFileInfo(file).absoluteDir();
    while (!in.atEnd()) {
        const QString line = QString::fromUtf8(in.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        QString match = byName.value(line);
        if (match.isEmpty())
            match = byName.value(QDir::cleanPath(base.absoluteFilePath(line)));
        if (match.isEmpty())
            unmatched->append(line);
        else
            paths->append(match);
    }
    return true;
}

QString markDescription(PoolMark mark) {
    switch (mark) {
    case PoolMark::Excluded:
        return QCoreApplication::translate("PoolMarks",
                                           "excluded by hand: never picked (I includes it again)");
    case PoolMark::Labelled:
        return QCoreApplication::translate(
            "PoolMarks", "marked as labelled: seeds the next selection, never picked again");
    case PoolMark::None:
        break;
    }
    return QString();
}

void paintMarkBadge(QPainter* painter, const QRect& imageArea, const QFont& font, PoolMark mark) {
    if (mark == PoolMark::None)
        return;
    const bool excluded = mark == PoolMark::Excluded;
    const QString text = excluded ? QStringLiteral("\u2715") : QStringLiteral("L");
    const QRect badge(imageArea.right() - 23, imageArea.top() + 3, 20, 20);
    painter->save();
    painter->setPen(Qt::NoPen);
    painter->setBrush(excluded ? QColor(190, 30, 30) : QColor(30, 140, 60));
    painter->drawEllipse(badge);
    QFont bold = font;
    bold.setBold(true);
    painter->setFont(bold);
    painter->setPen(Qt::white);
    painter->drawText(badge, Qt::AlignCenter, text);
    if (excluded) { // the thumbnail fades: it is out of the running
        painter->setBrush(QColor(255, 255, 255, 110));
        painter->drawRect(imageArea);
    }
    painter->restore();
}

} // namespace freesel
