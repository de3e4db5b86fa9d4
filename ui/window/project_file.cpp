// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/project_file.h"

#include "util/save_file.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <limits>

namespace freesel {

bool ProjectFile::save(const QString& path, QString* error) const {
    QJsonObject root{{QStringLiteral("format"), QStringLiteral("freesel-project")},
                     {QStringLiteral("version"), kVersion},
                     {QStringLiteral("parameters"), parameters.toJson()}};
    if (!selection.empty()) {
        QJsonArray picks;
        for (const ProjectPick& pick : selection)
            picks.append(
                QJsonObject{{QStringLiteral("path"), pick.path},
                            {QStringLiteral("score"),
                             std::isnan(pick.score) ? QJsonValue() : QJsonValue(pick.score)}});
        root.insert(QStringLiteral("selection"), picks);
    }
    const Status saved =
        saveFileAtomically(path, QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!saved)
        *error = QObject::tr("project not saved: %1").arg(saved.message());
    return saved.ok();
}

bool ProjectFile::load(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QObject::tr("cannot open project %1: %2").arg(path, file.errorString());
        return false;
    }
    QJsonParseError parse;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parse);
    if (!document.isObject()) {
        *error = QObject::tr("%1 is not a FreeSel project: %2").arg(path, parse.errorString());
        return false;
    }
    const QJsonObject root = document.object();
    if (root.value(QStringLiteral("format")).toString() != QStringLiteral("freesel-project")) {
        *error = QObject::tr("%1 is not a FreeSel project (no \"format\": \"freesel-project\")")
                     .arg(path);
        return false;
    }
    if (root.value(QStringLiteral("version")).toInt() > kVersion) {
        *error = QObject::tr("%1 was written by a newer FreeSel Studio (version %2)")
                     .arg(path)
                     .arg(root.value(QStringLiteral("version")).toInt());
        return false;
    }
    parameters = RunParameters::fromJson(root.value(QStringLiteral("parameters")).toObject());
    selection.clear();
    for (const QJsonValue& value : root.value(QStringLiteral("selection")).toArray()) {
        const QJsonValue score = value[QStringLiteral("score")];
        selection.push_back(
            {value[QStringLiteral("path")].toString(),
             score.isDouble() ? score.toDouble() : std::numeric_limits<double>::quiet_NaN()});
    }
    return true;
}

} // namespace freesel
