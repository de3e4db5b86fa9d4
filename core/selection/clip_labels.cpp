// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/clip_labels.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace freesel {

namespace {

[[noreturn]] void fail(const QString& source, const QString& what) {
    throw std::invalid_argument((source + QStringLiteral(": ") + what).toStdString());
}

/// Pool images by their path relative to the root, and by bare file name when unique.
class PoolIndex {
public:
    PoolIndex(const QString& root, const QStringList& imagePaths) : root_(root) {
        QHash<QString, int> nameCount;
        for (int i = 0; i < imagePaths.size(); ++i) {
            byRelative_.insert(QDir::cleanPath(root_.relativeFilePath(imagePaths[i])), i);
            const QString name = QFileInfo(imagePaths[i]).fileName();
            byName_.insert(name, i);
            nameCount[name] += 1;
        }
        for (auto it = nameCount.cbegin(); it != nameCount.cend(); ++it)
            if (it.value() > 1)
                byName_.remove(it.key());
    }

    /// -1 when `path` names no pool image.
    int find(const QString& path) const {
        const QString relative =
            QDir::cleanPath(QFileInfo(path).isAbsolute() ? root_.relativeFilePath(path) : path);
        const int index = byRelative_.value(relative, -1);
        return index >= 0 ? index : byName_.value(relative, -1);
    }

private:
    QDir root_;
    QHash<QString, int> byRelative_;
    QHash<QString, int> byName_;
};

/// Turns per-image label names into indices over `classes`, or over the sorted names found.
PoolLabels finish(const std::vector<QString>& names, const QStringList& classes,
                  const QString& source, int unmatched) {
    PoolLabels out;
    out.unmatchedEntries = unmatched;
    if (!classes.isEmpty()) {
        out.classNames = classes;
    } else {
        for (const QString& name : names)
            if (!name.isEmpty() && !out.classNames.contains(name))
                out.classNames << name;
        std::sort(out.classNames.begin(), out.classNames.end());
    }
    QHash<QString, int> index;
    for (int c = 0; c < out.classNames.size(); ++c)
        index.insert(out.classNames[c], c);
    out.labels.reserve(names.size());
    for (const QString& name : names) {
        if (name.isEmpty()) {
            out.labels.push_back(-1);
            continue;
        }
        const int label = index.value(name, -1);
        if (label < 0)
            fail(source, QStringLiteral("label \"%1\" is not one of the %2 given classes")
                             .arg(name)
                             .arg(classes.size()));
        out.labels.push_back(label);
    }
    return out;
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        fail(path, QStringLiteral("cannot read: ") + file.errorString());
    return file.readAll();
}

} // namespace

int PoolLabels::unlabelled() const {
    return int(std::count(labels.begin(), labels.end(), -1));
}

PoolLabels labelsFromFolders(const QString& root, const QStringList& imagePaths,
                             const QStringList& classes) {
    const QDir dir(root);
    std::vector<QString> names;
    for (const QString& path : imagePaths) {
        const QString relative = QDir::cleanPath(dir.relativeFilePath(path));
        const qsizetype slash = relative.indexOf(QLatin1Char('/'));
        names.push_back(slash > 0 && !relative.startsWith(QStringLiteral("../"))
                            ? relative.left(slash)
                            : QString());
    }
    return finish(names, classes, root, 0);
}

PoolLabels labelsFromCoco(const QString& jsonPath, const QString& root,
                          const QStringList& imagePaths, const QStringList& classes) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(readAll(jsonPath), &error);
    if (!doc.isObject())
        fail(jsonPath, QStringLiteral("not a COCO json object (%1)").arg(error.errorString()));
    const QJsonObject root0 = doc.object();
    QHash<qint64, QString> categories;
    for (const QJsonValue& c : root0.value(QStringLiteral("categories")).toArray())
        categories.insert(c[QStringLiteral("id")].toInteger(),
                          c[QStringLiteral("name")].toString());
    const PoolIndex pool(root, imagePaths);
    QHash<qint64, int> imageOf; // COCO image id -> pool index
    int unmatched = 0;
    for (const QJsonValue& image : root0.value(QStringLiteral("images")).toArray()) {
        const int index = pool.find(image[QStringLiteral("file_name")].toString());
        if (index < 0)
            ++unmatched;
        else
            imageOf.insert(image[QStringLiteral("id")].toInteger(), index);
    }
    std::vector<double> largest(size_t(imagePaths.size()), -1.0);
    std::vector<QString> names(size_t(imagePaths.size()));
    std::vector<std::vector<QString>> boxNames(size_t(imagePaths.size()));
    for (const QJsonValue& a : root0.value(QStringLiteral("annotations")).toArray()) {
        const int index = imageOf.value(a[QStringLiteral("image_id")].toInteger(), -1);
        if (index < 0)
            continue;
        const QJsonArray box = a[QStringLiteral("bbox")].toArray();
        const double area = box.size() == 4 ? box[2].toDouble() * box[3].toDouble() : 0.0;
        const qint64 category = a[QStringLiteral("category_id")].toInteger();
        if (!categories.contains(category))
            fail(jsonPath, QStringLiteral("annotation of category %1, which is not in "
                                          "\"categories\"")
                               .arg(category));
        boxNames[size_t(index)].push_back(categories.value(category));
        if (area > largest[size_t(index)]) { // strictly larger: the first box wins ties
            largest[size_t(index)] = area;
            names[size_t(index)] = categories.value(category);
        }
    }
    QStringList order = classes;
    if (order.isEmpty()) // COCO's own category order, not alphabetical
        for (const QJsonValue& c : root0.value(QStringLiteral("categories")).toArray())
            order << c[QStringLiteral("name")].toString();
    PoolLabels labels = finish(names, order, jsonPath, unmatched);
    QHash<QString, int> labelOf;
    for (int c = 0; c < labels.classNames.size(); ++c)
        labelOf.insert(labels.classNames[c], c);
    labels.boxLabels.resize(boxNames.size());
    for (size_t i = 0; i < boxNames.size(); ++i)
        for (const QString& name : boxNames[i])
            if (const int label = labelOf.value(name, -1); label >= 0)
                labels.boxLabels[i].push_back(label);
    return labels;
}

PoolLabels labelsFromCsv(const QString& csvPath, const QString& root, const QStringList& imagePaths,
                         const QStringList& classes) {
    const PoolIndex pool(root, imagePaths);
    std::vector<QString> names(size_t(imagePaths.size()));
    int unmatched = 0, lineNumber = 0;
    for (const QByteArray& raw : readAll(csvPath).split('\n')) {
        ++lineNumber;
        const QString line = QString::fromUtf8(raw).trimmed();
        if (line.isEmpty() || (lineNumber == 1 && line == QLatin1String("path,label")))
            continue;
        const qsizetype comma = line.lastIndexOf(QLatin1Char(','));
        if (comma <= 0)
            fail(csvPath, QStringLiteral("line %1 is not \"path,label\"").arg(lineNumber));
        QString label = line.mid(comma + 1).trimmed();
        if (label.size() >= 2 && label.startsWith(QLatin1Char('"')) &&
            label.endsWith(QLatin1Char('"')))
            label = label.mid(1, label.size() - 2);
        if (label.isEmpty())
            fail(csvPath, QStringLiteral("line %1 has an empty label").arg(lineNumber));
        const int index = pool.find(line.left(comma).trimmed());
        if (index < 0)
            ++unmatched;
        else
            names[size_t(index)] = label;
    }
    return finish(names, classes, csvPath, unmatched);
}

} // namespace freesel
