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

ManualMarks ManualMarks::of(const RunParameters& p) {
    return ManualMarks{p.labeledImages, p.excludedImages, p.includedImages};
}

void ManualMarks::writeTo(RunParameters& p) const {
    p.labeledImages = labelled;
    p.excludedImages = excluded;
    p.includedImages = included;
}

bool ManualMarks::operator==(const ManualMarks& other) const {
    return labelled == other.labelled && excluded == other.excluded && included == other.included;
}

void applyMark(ManualMarks& marks, const QStringList& paths, PoolMark mark) {
    const QSet<QString> set(paths.begin(), paths.end());
    for (QStringList* list : {&marks.labelled, &marks.excluded, &marks.included})
        list->removeIf([&set](const QString& path) { return set.contains(path); });
    if (mark == PoolMark::Labelled)
        marks.labelled += paths;
    else if (mark == PoolMark::Excluded)
        marks.excluded += paths;
    else if (mark == PoolMark::Included)
        marks.included += paths;
    for (QStringList* list : {&marks.labelled, &marks.excluded, &marks.included})
        sortUnique(*list);
}

std::vector<char> marksOfPool(const PoolSnapshot& pool, const ManualMarks& marks) {
    std::vector<char> result(static_cast<size_t>(pool.size()), 0);
    if (marks == ManualMarks())
        return result;
    const QSet<QString> l(marks.labelled.begin(), marks.labelled.end());
    const QSet<QString> x(marks.excluded.begin(), marks.excluded.end());
    const QSet<QString> in(marks.included.begin(), marks.included.end());
    for (size_t i = 0; i < result.size(); ++i) {
        const QString& path = (*pool.entries)[i].path;
        result[i] = l.contains(path)    ? char(PoolMark::Labelled)
                    : x.contains(path)  ? char(PoolMark::Excluded)
                    : in.contains(path) ? char(PoolMark::Included)
                                        : char(0);
    }
    return result;
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
                                           "excluded by hand: never picked (U clears the mark)");
    case PoolMark::Labelled:
        return QCoreApplication::translate(
            "PoolMarks", "marked as labelled: seeds the next selection, never picked again");
    case PoolMark::Included:
        return QCoreApplication::translate(
            "PoolMarks", "included by hand: always selected, counted in the budget");
    case PoolMark::None:
        break;
    }
    return QString();
}

void paintMarkBadge(QPainter* painter, const QRect& imageArea, const QFont& font, PoolMark mark) {
    if (mark == PoolMark::None)
        return;
    const bool excluded = mark == PoolMark::Excluded;
    const QString text = excluded                     ? QStringLiteral("\u2715")
                         : mark == PoolMark::Included ? QStringLiteral("+")
                                                      : QStringLiteral("L");
    const QColor colour = excluded                     ? QColor(190, 30, 30)
                          : mark == PoolMark::Included ? QColor(30, 90, 200)
                                                       : QColor(30, 140, 60);
    const QRect badge(imageArea.right() - 23, imageArea.top() + 3, 20, 20);
    painter->save();
    painter->setPen(Qt::NoPen);
    painter->setBrush(colour);
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
