// SPDX-License-Identifier: GPL-3.0-or-later
// Helpers shared by the exporters: the pool partition, number formatting, the provenance
// object and the single-file write.

#include "export/export_writers.h"
#include "util/save_file.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>

#include <cmath>

namespace freesel::exportdetail {

PoolPartition partitionPool(const SelectionExport& selection) {
    PoolPartition partition;
    std::vector<bool> picked(selection.images.size(), false);
    for (const Pick& pick : selection.picks) {
        partition.selected.push_back(pick.image);
        picked[size_t(pick.image)] = true;
    }
    for (size_t i = 0; i < selection.images.size(); ++i) {
        if (selection.images[i].failed)
            partition.failed.push_back(int(i));
        else if (!picked[i])
            partition.unselected.push_back(int(i));
    }
    return partition;
}

QString absolutePath(const ExportImage& image) {
    return QDir::cleanPath(QFileInfo(image.path).absoluteFilePath());
}

QString relativeName(const ExportImage& image) {
    if (!image.relativePath.isEmpty())
        return QDir::fromNativeSeparators(image.relativePath);
    return QFileInfo(image.path).fileName();
}

QString scoreText(double score) {
    if (std::isnan(score))
        return {};
    // 'g' with the shortest precision round-trips exactly and never depends on the locale.
    return QString::number(score, 'g', QLocale::FloatingPointShortest);
}

QJsonValue scoreJson(double score) {
    if (!std::isfinite(score))
        return QJsonValue(QJsonValue::Null);
    return QJsonValue(score);
}

namespace {

QJsonValue seedJson(quint64 seed) {
    constexpr quint64 kExactDoubleLimit = quint64(1) << 53;
    if (seed <= kExactDoubleLimit)
        return QJsonValue(double(seed));
    return QJsonValue(QString::number(seed));
}

} // namespace

QJsonObject provenanceJson(const Provenance& p) {
    QJsonObject object;
    object.insert(QStringLiteral("app_version"), p.appVersion);
    object.insert(QStringLiteral("backend"), p.backend);
    object.insert(QStringLiteral("model"), p.model);
    object.insert(QStringLiteral("model_checksum"), p.modelChecksum);
    object.insert(QStringLiteral("tau"), p.tau);
    object.insert(QStringLiteral("clusters"), p.clusters);
    object.insert(QStringLiteral("eps"), p.eps);
    object.insert(QStringLiteral("budget"), double(p.budget));
    object.insert(QStringLiteral("seed"), seedJson(p.seed));
    object.insert(QStringLiteral("strategy"), p.strategy);
    object.insert(QStringLiteral("input_size"), p.inputSize);
    object.insert(QStringLiteral("device"), p.device);
    object.insert(QStringLiteral("precision"), p.precision);
    object.insert(QStringLiteral("created"),
                  p.created.isValid() ? p.created.toString(Qt::ISODateWithMs) : QString());
    object.insert(QStringLiteral("pool_source"), p.poolSource);
    return object;
}

ExportResult writeSingleFile(const QString& path, const QByteArray& content) {
    if (const Status saved = saveFileAtomically(path, content); !saved)
        return saved.error();
    return QStringList{QFileInfo(path).absoluteFilePath()};
}

} // namespace freesel::exportdetail
