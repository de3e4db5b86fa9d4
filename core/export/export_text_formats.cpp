// SPDX-License-Identifier: GPL-3.0-or-later
// The line-oriented exports: the ranked path list (txt), the per-image table (csv, RFC 4180)
// and Lightly-style embeddings (csv).

#include "export/export_writers.h"

#include <QStringList>

#include <charconv>
#include <system_error>

namespace freesel::exportdetail {

namespace {

// RFC 4180 ends records with CRLF; Python's csv module and spreadsheets expect it too.
const QString kCrLf = QStringLiteral("\r\n");

/// RFC 4180: a field with a comma, quote or line break is quoted, inner quotes doubled.
QString csvField(const QString& value) {
    static const QString special = QStringLiteral(",\"\r\n");
    bool needsQuotes = false;
    for (QChar c : value)
        needsQuotes = needsQuotes || special.contains(c);
    if (!needsQuotes)
        return value;
    QString quoted = value;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

/// ELFS exports add pseudo_label, aum, forgetting and el2n (empty where an image has none).
QStringList elfsFields(const SelectionExport& selection, const ExportImage& image) {
    if (!selection.hasElfsScores)
        return {};
    if (image.pseudoLabel < 0)
        return {QString(), QString(), QString(), QString()};
    return {QString::number(image.pseudoLabel), scoreText(image.aum), scoreText(image.forgetting),
            scoreText(image.el2n)};
}

/// CLIP exports add clip_label, sas, sds and clip_score (empty where an image has none).
QStringList clipFields(const SelectionExport& selection, const ExportImage& image) {
    if (!selection.hasClipScores)
        return {};
    if (image.clipLabel.isEmpty())
        return {QString(), QString(), QString(), QString()};
    return {image.clipLabel, scoreText(image.sas), scoreText(image.sds),
            scoreText(image.clipScore)};
}

QString csvSelectedRow(const SelectionExport& selection, size_t rank) {
    const Pick& pick = selection.picks[rank];
    const ExportImage& image = selection.images[size_t(pick.image)];
    return csvRecord(QStringList{absolutePath(image), QString::number(rank + 1),
                                 scoreText(pick.score), QString::number(image.patternCount),
                                 QStringLiteral("1"), QStringLiteral("ok"), QString()} +
                     elfsFields(selection, image) + clipFields(selection, image));
}

QString csvUnselectedRow(const SelectionExport& selection, const ExportImage& image) {
    return csvRecord(QStringList{absolutePath(image), QString(), QString(),
                                 QString::number(image.patternCount), QStringLiteral("0"),
                                 QStringLiteral("ok"), QString()} +
                     elfsFields(selection, image) + clipFields(selection, image));
}

/// A failed image has no patterns: the column stays empty rather than claiming zero.
QString csvFailedRow(const SelectionExport& selection, const ExportImage& image) {
    return csvRecord(QStringList{absolutePath(image), QString(), QString(), QString(),
                                 QStringLiteral("0"), QStringLiteral("failed"), image.error} +
                     elfsFields(selection, image) + clipFields(selection, image));
}

/// The images the embeddings export covers, or an empty list and *error.
Result<std::vector<int>> embeddingRows(const SelectionExport& selection,
                                       const ExportOptions& options) {
    const PoolPartition partition = partitionPool(selection);
    std::vector<int> rows = partition.selected;
    if (options.embeddingsForAll)
        rows.insert(rows.end(), partition.unselected.begin(), partition.unselected.end());
    if (rows.empty())
        return Error::userInput(QStringLiteral("embeddings export: no images to write"));
    const size_t dimension = selection.images[size_t(rows.front())].embedding.size();
    for (int index : rows) {
        const ExportImage& image = selection.images[size_t(index)];
        if (image.embedding.empty() || image.embedding.size() != dimension) {
            return Error::userInput(
                image.embedding.empty()
                    ? QStringLiteral("embeddings export: no embedding for %1; run a "
                                     "strategy that computes global features")
                          .arg(image.path)
                    : QStringLiteral("embeddings export: %1 has %2 dimensions, expected %3")
                          .arg(image.path)
                          .arg(image.embedding.size())
                          .arg(dimension));
        }
    }
    return rows;
}

QString embeddingHeader(size_t dimension) {
    QStringList fields{QStringLiteral("filenames")};
    for (size_t d = 0; d < dimension; ++d)
        fields << QStringLiteral("embedding_%1").arg(d);
    fields << QStringLiteral("labels");
    return csvRecord(fields);
}

/// Shortest text that reads back as the same float: widening to double first would print
/// binary noise (0.1f as 0.10000000149011612) and double the file size.
QString floatText(float value) {
    char buffer[32];
    const auto [end, status] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return status == std::errc() ? QString::fromLatin1(buffer, int(end - buffer)) : QString();
}

QString embeddingRow(const ExportImage& image) {
    QStringList fields{relativeName(image)};
    for (float value : image.embedding)
        fields << floatText(value);
    // Lightly requires a labels column; an unlabeled pool has none, 0 is its convention.
    fields << QStringLiteral("0");
    return csvRecord(fields);
}

} // namespace

QString csvRecord(const QStringList& fields) {
    QStringList quoted;
    quoted.reserve(fields.size());
    for (const QString& field : fields)
        quoted << csvField(field);
    return quoted.join(QLatin1Char(',')) + kCrLf;
}

ExportResult writeTxt(const SelectionExport& selection, const QString& path) {
    QString text;
    for (const Pick& pick : selection.picks)
        text += absolutePath(selection.images[size_t(pick.image)]) + QLatin1Char('\n');
    return writeSingleFile(path, text.toUtf8());
}

ExportResult writeCsv(const SelectionExport& selection, const QString& path) {
    const PoolPartition partition = partitionPool(selection);
    QStringList header = {QStringLiteral("path"),     QStringLiteral("rank"),
                          QStringLiteral("score"),    QStringLiteral("n_patterns"),
                          QStringLiteral("selected"), QStringLiteral("status"),
                          QStringLiteral("error")};
    if (selection.hasElfsScores)
        header << QStringLiteral("pseudo_label") << QStringLiteral("aum")
               << QStringLiteral("forgetting") << QStringLiteral("el2n");
    if (selection.hasClipScores)
        header << QStringLiteral("clip_label") << QStringLiteral("sas") << QStringLiteral("sds")
               << QStringLiteral("clip_score");
    QString text = csvRecord(header);
    for (size_t rank = 0; rank < selection.picks.size(); ++rank)
        text += csvSelectedRow(selection, rank);
    for (int index : partition.unselected)
        text += csvUnselectedRow(selection, selection.images[size_t(index)]);
    for (int index : partition.failed)
        text += csvFailedRow(selection, selection.images[size_t(index)]);
    return writeSingleFile(path, text.toUtf8());
}

ExportResult writeEmbeddings(const SelectionExport& selection, const QString& path,
                             const ExportOptions& options) {
    const Result<std::vector<int>> rows = embeddingRows(selection, options);
    if (!rows)
        return rows.error();
    QString text = embeddingHeader(selection.images[size_t(rows.value().front())].embedding.size());
    for (int index : rows.value())
        text += embeddingRow(selection.images[size_t(index)]);
    return writeSingleFile(path, text.toUtf8());
}

} // namespace freesel::exportdetail
