// SPDX-License-Identifier: GPL-3.0-or-later
// The JSON-based exports: FreeSel's own JSON, a COCO image-only subset, Label Studio tasks and
// the CVAT image manifest (JSON lines).

#include "export/export_writers.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

#include <cmath>

namespace freesel::exportdetail {

namespace {

QByteArray indented(const QJsonObject& object) {
    return QJsonDocument(object).toJson(QJsonDocument::Indented);
}

/// Strategy clip: the label scored, SAS, SDS and a_i (null where the image has none).
void insertClipScores(QJsonObject& entry, const ExportImage& image) {
    entry.insert(QStringLiteral("clip_label"), image.clipLabel);
    entry.insert(QStringLiteral("sas"), scoreJson(image.sas));
    entry.insert(QStringLiteral("sds"), scoreJson(image.sds));
    entry.insert(QStringLiteral("clip_score"), scoreJson(image.clipScore));
}

/// Strategy clip: every scored image (selected or not), in pool order.
QJsonArray clipScoresJson(const SelectionExport& selection) {
    QJsonArray rows;
    for (const ExportImage& image : selection.images) {
        if (image.failed || image.clipLabel.isEmpty())
            continue;
        QJsonObject row{{QStringLiteral("path"), absolutePath(image)}};
        insertClipScores(row, image);
        rows.append(row);
    }
    return rows;
}

QJsonArray selectedJson(const SelectionExport& selection) {
    QJsonArray selected;
    for (size_t rank = 0; rank < selection.picks.size(); ++rank) {
        const Pick& pick = selection.picks[rank];
        const ExportImage& image = selection.images[size_t(pick.image)];
        QJsonObject entry{{QStringLiteral("rank"), int(rank + 1)},
                          {QStringLiteral("path"), absolutePath(image)},
                          {QStringLiteral("score"), scoreJson(pick.score)},
                          {QStringLiteral("n_patterns"), image.patternCount}};
        if (selection.hasElfsScores) {
            entry.insert(QStringLiteral("pseudo_label"), image.pseudoLabel);
            entry.insert(QStringLiteral("aum"), scoreJson(image.aum));
            entry.insert(QStringLiteral("forgetting"), scoreJson(image.forgetting));
            entry.insert(QStringLiteral("el2n"), scoreJson(image.el2n));
        }
        if (selection.hasClipScores)
            insertClipScores(entry, image);
        selected.append(entry);
    }
    return selected;
}

QJsonArray failedJson(const SelectionExport& selection, const std::vector<int>& failed) {
    QJsonArray array;
    for (int index : failed) {
        const ExportImage& image = selection.images[size_t(index)];
        array.append(QJsonObject{{QStringLiteral("path"), absolutePath(image)},
                                 {QStringLiteral("error"), image.error}});
    }
    return array;
}

/// COCO's own info fields, plus the full provenance under "freesel" (extra keys are ignored by
/// pycocotools and the annotation tools that import COCO).
QJsonObject cocoInfo(const Provenance& provenance) {
    const QDateTime created = provenance.created;
    return QJsonObject{
        {QStringLiteral("description"), QStringLiteral("FreeSel Studio selection")},
        {QStringLiteral("version"), provenance.appVersion},
        {QStringLiteral("year"), created.isValid() ? created.date().year() : 0},
        {QStringLiteral("contributor"), QStringLiteral("FreeSel Studio")},
        {QStringLiteral("url"), QString()},
        {QStringLiteral("date_created"),
         created.isValid() ? created.toString(Qt::ISODate) : QString()},
        {QStringLiteral("freesel"), provenanceJson(provenance)},
    };
}

/// The original COCO ids keep the subset joinable with the source annotations; they are used
/// only when every selected image has one, else the rank is the id.
bool useCocoIds(const SelectionExport& selection) {
    for (const Pick& pick : selection.picks)
        if (selection.images[size_t(pick.image)].cocoId < 0)
            return false;
    return true;
}

QJsonArray cocoImages(const SelectionExport& selection) {
    const bool cocoIds = useCocoIds(selection);
    QJsonArray images;
    for (size_t rank = 0; rank < selection.picks.size(); ++rank) {
        const ExportImage& image = selection.images[size_t(selection.picks[rank].image)];
        const double id = cocoIds ? double(image.cocoId) : double(rank + 1);
        images.append(QJsonObject{{QStringLiteral("id"), id},
                                  {QStringLiteral("file_name"), relativeName(image)},
                                  {QStringLiteral("width"), image.width},
                                  {QStringLiteral("height"), image.height}});
    }
    return images;
}

QString modelVersion(const Provenance& provenance) {
    return QStringLiteral("freesel %1").arg(provenance.appVersion);
}

/// Rank 1 scores 1 and later ranks less, so Label Studio's sort by prediction score
/// reproduces the selection order whatever the strategy's scores are. (count - rank) / count
/// is one correctly rounded division, so 3/10 is written 0.3; 1 - 7/10 was 0.30000000000000004.
double rankScore(size_t rank, size_t count) {
    return double(count - rank) / double(count);
}

QJsonObject labelStudioTask(const SelectionExport& selection, size_t rank,
                            const ExportOptions& options) {
    const Pick& pick = selection.picks[rank];
    const ExportImage& image = selection.images[size_t(pick.image)];
    const bool raw = options.labelStudioRawScore && std::isfinite(pick.score);
    const double score = raw ? pick.score : rankScore(rank, selection.picks.size());
    // Percent-encoded: a relative path may hold spaces, '&' or '#', which would break the URL.
    const QString url = options.labelStudioPrefix +
                        QString::fromLatin1(QUrl::toPercentEncoding(relativeName(image), "/"));
    const QJsonObject prediction{
        {QStringLiteral("model_version"), modelVersion(selection.provenance)},
        {QStringLiteral("score"), score},
        {QStringLiteral("result"), QJsonArray()}};
    return QJsonObject{{QStringLiteral("data"), QJsonObject{{QStringLiteral("image"), url}}},
                       {QStringLiteral("predictions"), QJsonArray{prediction}},
                       {QStringLiteral("meta"),
                        QJsonObject{{QStringLiteral("rank"), int(rank + 1)},
                                    {QStringLiteral("freesel_score"), scoreJson(pick.score)}}}};
}

/// One manifest line per image, as CVAT's utils/dataset_manifest writes them: the name is the
/// path relative to the data root without its extension, the extension keeps its dot.
QJsonObject cvatEntry(const ExportImage& image) {
    const QString name = relativeName(image);
    const QString suffix = QFileInfo(name).suffix();
    const QString stem = suffix.isEmpty() ? name : name.left(name.size() - suffix.size() - 1);
    return QJsonObject{
        {QStringLiteral("name"), stem},
        {QStringLiteral("extension"), suffix.isEmpty() ? QString() : QLatin1Char('.') + suffix},
        {QStringLiteral("width"), image.width},
        {QStringLiteral("height"), image.height},
        {QStringLiteral("meta"), QJsonObject{{QStringLiteral("related_images"), QJsonArray()}}}};
}

QByteArray jsonLine(const QJsonObject& object) {
    return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
}

} // namespace

ExportResult writeJson(const SelectionExport& selection, const QString& path) {
    const PoolPartition partition = partitionPool(selection);
    QJsonArray unselected;
    for (int index : partition.unselected)
        unselected.append(absolutePath(selection.images[size_t(index)]));
    QJsonObject root{{QStringLiteral("provenance"), provenanceJson(selection.provenance)},
                     {QStringLiteral("selected"), selectedJson(selection)},
                     {QStringLiteral("unselected"), unselected},
                     {QStringLiteral("failed"), failedJson(selection, partition.failed)}};
    if (selection.hasClipScores)
        root.insert(QStringLiteral("clip_scores"), clipScoresJson(selection));
    return writeSingleFile(path, indented(root));
}

ExportResult writeCoco(const SelectionExport& selection, const QString& path) {
    const QJsonObject root{{QStringLiteral("info"), cocoInfo(selection.provenance)},
                           {QStringLiteral("licenses"), QJsonArray()},
                           {QStringLiteral("images"), cocoImages(selection)},
                           {QStringLiteral("annotations"), QJsonArray()},
                           {QStringLiteral("categories"), QJsonArray()}};
    return writeSingleFile(path, indented(root));
}

ExportResult writeLabelStudio(const SelectionExport& selection, const QString& path,
                              const ExportOptions& options) {
    QJsonArray tasks;
    for (size_t rank = 0; rank < selection.picks.size(); ++rank)
        tasks.append(labelStudioTask(selection, rank, options));
    return writeSingleFile(path, QJsonDocument(tasks).toJson(QJsonDocument::Indented));
}

/// CVAT image manifest (docs.cvat.ai, "Dataset manifest"): a version line, a type line, then
/// one line per image in task order. Version 1.1 is what current CVAT writes for images. The
/// optional per-image "checksum" is left out: CVAT computes it as an MD5 of the decoded pixels,
/// which only its own decoder reproduces, and it does not require it.
ExportResult writeCvat(const SelectionExport& selection, const QString& path) {
    QByteArray text = jsonLine(QJsonObject{{QStringLiteral("version"), QStringLiteral("1.1")}});
    text += jsonLine(QJsonObject{{QStringLiteral("type"), QStringLiteral("images")}});
    for (const Pick& pick : selection.picks)
        text += jsonLine(cvatEntry(selection.images[size_t(pick.image)]));
    return writeSingleFile(path, text);
}

} // namespace freesel::exportdetail
