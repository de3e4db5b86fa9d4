// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/image_list.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

namespace freesel {

namespace {

bool isNameKey(const QString& key) {
    static const QSet<QString> keys = {QStringLiteral("path"), QStringLiteral("file_name"),
                                       QStringLiteral("filepath"), QStringLiteral("image"),
                                       QStringLiteral("img")};
    return keys.contains(key);
}

void collectJsonNames(const QJsonValue& value, QStringList& names) {
    if (value.isArray()) {
        for (const QJsonValue& item : value.toArray())
            collectJsonNames(item, names);
        return;
    }
    if (!value.isObject())
        return;
    const QJsonObject object = value.toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it.value().isString() && isNameKey(it.key()))
            names << it.value().toString();
        else
            collectJsonNames(it.value(), names);
    }
}

/// A CSV cell, unquoted ("" inside quotes is one quote). Enough for the paths our exports and
/// spreadsheets write: a path holding a comma must be quoted, which this honours.
QStringList csvCells(const QString& line) {
    QStringList cells;
    QString cell;
    bool quoted = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted && c == QLatin1Char('"') && i + 1 < line.size() && line[i + 1] == c) {
            cell += c;
            ++i;
        } else if (c == QLatin1Char('"')) {
            quoted = !quoted;
        } else if (c == QLatin1Char(',') && !quoted) {
            cells << cell;
            cell.clear();
        } else {
            cell += c;
        }
    }
    cells << cell;
    return cells;
}

/// The column of a CSV header that holds the names, or -1 when the line is not such a header.
int nameColumn(const QString& header) {
    static const QStringList columns = {QStringLiteral("path"), QStringLiteral("file"),
                                        QStringLiteral("file_name"), QStringLiteral("filename"),
                                        QStringLiteral("image")};
    const QStringList cells = csvCells(header);
    if (cells.size() < 2)
        return -1;
    for (int i = 0; i < cells.size(); ++i)
        if (columns.contains(cells[i].trimmed().toLower()))
            return i;
    return -1;
}

/// The column a CSV header names `name` (case-insensitive), or -1.
int columnNamed(const QString& header, const QString& name) {
    const QStringList cells = csvCells(header);
    for (int i = 0; i < cells.size(); ++i)
        if (cells[i].trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return i;
    return -1;
}

/// A "selected" cell that says no: our CSV export lists every pool image with selected 0 or 1.
bool saysNotSelected(const QString& cell) {
    const QString value = cell.trimmed().toLower();
    return value == QLatin1String("0") || value == QLatin1String("false") ||
           value == QLatin1String("no");
}

QStringList textNames(const QString& text) {
    const QStringList lines = text.split(QRegularExpression(QStringLiteral("\r?\n")));
    QStringList names;
    int column = -1, selected = -1;
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        if (names.isEmpty() && column < 0 && (column = nameColumn(line)) >= 0) {
            selected = columnNamed(line, QStringLiteral("selected"));
            continue; // the header
        }
        if (column < 0) {
            names << line;
            continue;
        }
        const QStringList cells = csvCells(line);
        if (selected >= 0 && selected < cells.size() && saysNotSelected(cells[selected]))
            continue;
        if (column < cells.size() && !cells[column].trimmed().isEmpty())
            names << cells[column].trimmed();
    }
    return names;
}

} // namespace

Result<QStringList> readImageList(const QString& file) {
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return Error::userInput(
            QStringLiteral("cannot read the image list %1: %2").arg(file, in.errorString()));
    const QByteArray bytes = in.readAll();
    const QByteArray start = bytes.trimmed().left(1);
    QStringList names;
    if (start == "{" || start == "[") {
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(bytes, &error);
        if (document.isNull())
            return Error::userInput(QStringLiteral("the image list %1 is not valid JSON: %2 at "
                                                   "byte %3")
                                        .arg(file, error.errorString())
                                        .arg(error.offset));
        collectJsonNames(document.isArray() ? QJsonValue(document.array())
                                            : QJsonValue(document.object()),
                         names);
    } else {
        names = textNames(QString::fromUtf8(bytes));
    }
    if (names.isEmpty())
        return Error::userInput(
            QStringLiteral("the image list %1 names no image (one path per line, a CSV with a "
                           "path column, or a JSON export)")
                .arg(file));
    return names;
}

PoolImageMatch matchPoolImages(const std::vector<PoolEntry>& pool, const QStringList& names) {
    QHash<QString, int> byPath, byRelative;
    for (int i = 0; i < static_cast<int>(pool.size()); ++i) {
        byPath.insert(pool[size_t(i)].path, i);
        byRelative.insert(pool[size_t(i)].relativePath, i);
    }
    PoolImageMatch match;
    QSet<int> seen;
    for (const QString& name : names) {
        // Label Studio's local files: "/data/local-files/?d=sub%2Fimg.jpg".
        const QString clean = QUrl::fromPercentEncoding(name.toUtf8())
                                  .replace(QStringLiteral("?d="), QStringLiteral("/"))
                                  .replace(QLatin1Char('\\'), QLatin1Char('/'));
        int index = byPath.value(clean, byRelative.value(clean, -1));
        // Longest trailing run of components first: "a/b/c.jpg", then "b/c.jpg", "c.jpg".
        for (qsizetype slash = clean.indexOf(QLatin1Char('/')); index < 0 && slash >= 0;
             slash = clean.indexOf(QLatin1Char('/'), slash + 1))
            index = byRelative.value(clean.mid(slash + 1), -1);
        if (index < 0)
            match.unmatched << name;
        else if (!seen.contains(index)) {
            seen.insert(index);
            match.poolIndices.push_back(index);
        }
    }
    return match;
}

} // namespace freesel
