// SPDX-License-Identifier: GPL-3.0-or-later
// Exporters of a selection, format by format: every format is written, parsed back and
// checked against its schema and against the other formats (export_test_support.h: the pool).

#include "export/selection_export.h"
#include "export_test_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <QtTest>

#include <stdexcept>

using namespace freesel;
using namespace freesel::exporttest;

class SelectionExportTest : public ExportFixture {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { writePool(); }
    void parsesFormatNames();
    void txtListsSelectedPathsInRankOrder();
    void csvListsEveryImageWithQuoting();
    void jsonMatchesSchema();
    void formatsAgreeOnOrder();
    void cocoIsAnImageOnlySubset();
    void labelStudioTasks();
    void labelStudioScoresHaveNoFloatNoise();
    void cvatManifestLines();

private:
    QStringList csvSelectedPaths();
};

QStringList SelectionExportTest::csvSelectedPaths() {
    QStringList paths;
    const auto rows = parseCsv(QString::fromUtf8(readAll(out(QStringLiteral("order.csv")))));
    for (const QStringList& row : rows)
        if (row.size() == 7 && row[4] == QLatin1String("1"))
            paths << row[0];
    return paths;
}

void SelectionExportTest::parsesFormatNames() {
    const QStringList names = exportFormatNames();
    QCOMPARE(names.size(), 9);
    for (const QString& name : names)
        QCOMPARE(exportFormatName(parseExportFormat(name)), name);
    QCOMPARE(parseExportFormat(QStringLiteral("LabelStudio")), ExportFormat::LabelStudio);
    try {
        parseExportFormat(QStringLiteral("xml"));
        QFAIL("an unknown format was accepted");
    } catch (const std::invalid_argument& e) {
        const QString message = QString::fromStdString(e.what());
        QVERIFY2(message.contains(QLatin1String("xml")), qPrintable(message));
        for (const QString& name : names)
            QVERIFY2(message.contains(name), qPrintable(message));
    }
}

void SelectionExportTest::txtListsSelectedPathsInRankOrder() {
    const ExportResult result = write(ExportFormat::Txt, QStringLiteral("order.txt"));
    QVERIFY2(result.ok(), qPrintable(result.message()));
    const QString text = QString::fromUtf8(readAll(out(QStringLiteral("order.txt"))));
    QVERIFY(text.endsWith(QLatin1Char('\n')));
    QCOMPARE(text.split(QLatin1Char('\n'), Qt::SkipEmptyParts), selectedPaths());
    for (const QString& line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        QVERIFY(QFileInfo(line).isAbsolute());
}

void SelectionExportTest::csvListsEveryImageWithQuoting() {
    const ExportResult result = write(ExportFormat::Csv, QStringLiteral("order.csv"));
    QVERIFY2(result.ok(), qPrintable(result.message()));
    const QByteArray bytes = readAll(out(QStringLiteral("order.csv")));
    QVERIFY(bytes.contains("\"\"big\"\"")); // doubled quotes inside a quoted field
    const auto rows = parseCsv(QString::fromUtf8(bytes));
    QCOMPARE(rows.size(), 1 + 7);
    QCOMPARE(rows[0].join(QLatin1Char(',')),
             QStringLiteral("path,rank,score,n_patterns,selected,status,error"));
    for (const QStringList& row : rows)
        QCOMPARE(row.size(), 7);
    // Selected in rank order, first with an empty (NaN) score; every column read back against
    // the fixture (patternCount = 3 + index, so swapped columns cannot agree by chance).
    const QString scores[] = {QString(), QStringLiteral("0.75"), QStringLiteral("0.5"),
                              QStringLiteral("0.125")};
    for (int rank = 1; rank <= 4; ++rank) {
        const QStringList& row = rows[rank];
        const ExportImage& source = selection_.images[size_t(selection_.picks[rank - 1].image)];
        QCOMPARE(row[0], selectedPaths()[rank - 1]);
        QCOMPARE(row[1], QString::number(rank));
        QCOMPARE(row[2], scores[rank - 1]);
        QCOMPARE(row[3], QString::number(source.patternCount));
        QCOMPARE(row[4], QStringLiteral("1"));
        QCOMPARE(row[5], QStringLiteral("ok"));
        QCOMPARE(row[6], QString());
    }
    QCOMPARE(rows[1][2], QString());
    QCOMPARE(rows[2][2].toDouble(), 0.75);
    QCOMPARE(rows[1][3], QString::number(selection_.images[1].patternCount));
    // Then the unselected one, then the failed ones with their reasons (commas, newline).
    QCOMPARE(rows[5][0], QFileInfo(selection_.images[2].path).absoluteFilePath());
    QCOMPARE(rows[5], (QStringList{QFileInfo(selection_.images[2].path).absoluteFilePath(),
                                   QString(), QString(), QStringLiteral("5"), QStringLiteral("0"),
                                   QStringLiteral("ok"), QString()}));
    QCOMPARE(rows[6], (QStringList{QFileInfo(selection_.images[3].path).absoluteFilePath(),
                                   QString(), QString(), QString(), QStringLiteral("0"),
                                   QStringLiteral("failed"), selection_.images[3].error}));
    QCOMPARE(rows[7], (QStringList{QFileInfo(selection_.images[6].path).absoluteFilePath(),
                                   QString(), QString(), QString(), QStringLiteral("0"),
                                   QStringLiteral("failed"), QStringLiteral("truncated data")}));
}

void SelectionExportTest::jsonMatchesSchema() {
    const ExportResult result = write(ExportFormat::Json, QStringLiteral("order.json"));
    QVERIFY2(result.ok(), qPrintable(result.message()));
    const auto doc = readJson(out(QStringLiteral("order.json")));
    QVERIFY(doc && doc->isObject());
    const QJsonObject root = doc->object();
    QCOMPARE(schemaError(root, {{"provenance", QJsonValue::Object},
                                {"selected", QJsonValue::Array},
                                {"unselected", QJsonValue::Array},
                                {"failed", QJsonValue::Array}}),
             QString());
    QCOMPARE(schemaError(root.value(QLatin1String("provenance")).toObject(), kProvenanceSchema),
             QString());
    const QJsonArray selected = root.value(QLatin1String("selected")).toArray();
    QCOMPARE(selected.size(), 4);
    for (int i = 0; i < selected.size(); ++i) {
        const QJsonObject entry = selected[i].toObject();
        QCOMPARE(schemaError(entry, {{"rank", QJsonValue::Double},
                                     {"path", QJsonValue::String},
                                     {"n_patterns", QJsonValue::Double}}),
                 QString());
        QVERIFY(isScore(entry.value(QLatin1String("score"))));
        QCOMPARE(entry.value(QLatin1String("rank")).toInt(), i + 1);
        const ExportImage& source = selection_.images[size_t(selection_.picks[size_t(i)].image)];
        QCOMPARE(entry.value(QLatin1String("path")).toString(), selectedPaths()[i]);
        QCOMPARE(entry.value(QLatin1String("n_patterns")).toInt(), source.patternCount);
    }
    QCOMPARE(selected[1].toObject().value(QLatin1String("score")).toDouble(), 0.75);
    QVERIFY(selected[0].toObject().value(QLatin1String("score")).isNull());
    QCOMPARE(selected[3].toObject().value(QLatin1String("score")).toDouble(), 0.125);
    const QJsonArray unselected = root.value(QLatin1String("unselected")).toArray();
    QCOMPARE(unselected.size(), 1);
    QCOMPARE(unselected[0].toString(), QFileInfo(selection_.images[2].path).absoluteFilePath());
    const QJsonArray failed = root.value(QLatin1String("failed")).toArray();
    QCOMPARE(failed.size(), 2);
    for (const QJsonValue& value : failed)
        QCOMPARE(schemaError(value.toObject(),
                             {{"path", QJsonValue::String}, {"error", QJsonValue::String}}),
                 QString());
    QCOMPARE(failed[0].toObject().value(QLatin1String("error")).toString(),
             selection_.images[3].error);
    QCOMPARE(failed[1].toObject().value(QLatin1String("path")).toString(),
             QFileInfo(selection_.images[6].path).absoluteFilePath());
    QCOMPARE(failed[1].toObject().value(QLatin1String("error")).toString(),
             QStringLiteral("truncated data"));
}

void SelectionExportTest::formatsAgreeOnOrder() {
    QVERIFY(write(ExportFormat::Txt, QStringLiteral("order.txt")).ok());
    QVERIFY(write(ExportFormat::Csv, QStringLiteral("order.csv")).ok());
    QVERIFY(write(ExportFormat::Json, QStringLiteral("order.json")).ok());
    const QStringList txt = QString::fromUtf8(readAll(out(QStringLiteral("order.txt"))))
                                .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QStringList json;
    const auto doc = readJson(out(QStringLiteral("order.json")));
    QVERIFY(doc);
    for (const QJsonValue& value : doc->object().value(QLatin1String("selected")).toArray())
        json << value.toObject().value(QLatin1String("path")).toString();
    QCOMPARE(txt, json);
    QCOMPARE(csvSelectedPaths(), txt);
    QCOMPARE(txt, selectedPaths());
}

void SelectionExportTest::cocoIsAnImageOnlySubset() {
    QVERIFY(write(ExportFormat::Coco, QStringLiteral("coco.json")).ok());
    auto doc = readJson(out(QStringLiteral("coco.json")));
    QVERIFY(doc && doc->isObject());
    const QJsonObject root = doc->object();
    QCOMPARE(schemaError(root, {{"info", QJsonValue::Object},
                                {"images", QJsonValue::Array},
                                {"annotations", QJsonValue::Array},
                                {"categories", QJsonValue::Array}}),
             QString());
    QVERIFY(root.value(QLatin1String("annotations")).toArray().isEmpty());
    QVERIFY(root.value(QLatin1String("categories")).toArray().isEmpty());
    const QJsonObject info = root.value(QLatin1String("info")).toObject();
    QCOMPARE(schemaError(info, {{"version", QJsonValue::String},
                                {"year", QJsonValue::Double},
                                {"freesel", QJsonValue::Object}}),
             QString());
    QCOMPARE(schemaError(info.value(QLatin1String("freesel")).toObject(), kProvenanceSchema),
             QString());
    const QJsonArray images = root.value(QLatin1String("images")).toArray();
    QCOMPARE(images.size(), 4);
    for (int i = 0; i < images.size(); ++i) {
        const QJsonObject image = images[i].toObject();
        QCOMPARE(schemaError(image, {{"id", QJsonValue::Double},
                                     {"file_name", QJsonValue::String},
                                     {"width", QJsonValue::Double},
                                     {"height", QJsonValue::Double}}),
                 QString());
        const ExportImage& source = selection_.images[size_t(selection_.picks[size_t(i)].image)];
        QCOMPARE(image.value(QLatin1String("id")).toInt(), i + 1); // no COCO ids: the rank
        QCOMPARE(image.value(QLatin1String("file_name")).toString(), source.relativePath);
        QCOMPARE(image.value(QLatin1String("width")).toInt(), source.width);
        QCOMPARE(image.value(QLatin1String("height")).toInt(), source.height);
    }
    // A pool from COCO keeps its ids.
    SelectionExport fromCoco = selection_;
    for (size_t i = 0; i < fromCoco.images.size(); ++i)
        fromCoco.images[i].cocoId = 1000 + qint64(i);
    QVERIFY(write(ExportFormat::Coco, QStringLiteral("coco_ids.json"), {}, &fromCoco).ok());
    doc = readJson(out(QStringLiteral("coco_ids.json")));
    QVERIFY(doc);
    const QJsonArray withIds = doc->object().value(QLatin1String("images")).toArray();
    for (int i = 0; i < withIds.size(); ++i)
        QCOMPARE(withIds[i].toObject().value(QLatin1String("id")).toInt(),
                 1000 + selection_.picks[size_t(i)].image);
}

void SelectionExportTest::labelStudioTasks() {
    QVERIFY(write(ExportFormat::LabelStudio, QStringLiteral("ls.json")).ok());
    const auto doc = readJson(out(QStringLiteral("ls.json")));
    QVERIFY(doc && doc->isArray());
    const QJsonArray tasks = doc->array();
    QCOMPARE(tasks.size(), 4);
    const QString prefix = QStringLiteral("/data/local-files/?d=");
    double previousScore = 2.0;
    for (int i = 0; i < tasks.size(); ++i) {
        const QJsonObject task = tasks[i].toObject();
        QCOMPARE(schemaError(task, {{"data", QJsonValue::Object},
                                    {"predictions", QJsonValue::Array},
                                    {"meta", QJsonValue::Object}}),
                 QString());
        const QString url =
            task.value(QLatin1String("data")).toObject().value(QLatin1String("image")).toString();
        QVERIFY2(url.startsWith(prefix), qPrintable(url));
        const QString encoded = url.mid(prefix.size());
        QVERIFY2(!encoded.contains(QLatin1Char(' ')) && !encoded.contains(QLatin1Char(',')),
                 qPrintable(url));
        const ExportImage& source = selection_.images[size_t(selection_.picks[size_t(i)].image)];
        QCOMPARE(QUrl::fromPercentEncoding(encoded.toLatin1()), source.relativePath);
        const QJsonArray predictions = task.value(QLatin1String("predictions")).toArray();
        QCOMPARE(predictions.size(), 1);
        const QJsonObject prediction = predictions[0].toObject();
        QCOMPARE(schemaError(prediction, {{"model_version", QJsonValue::String},
                                          {"score", QJsonValue::Double},
                                          {"result", QJsonValue::Array}}),
                 QString());
        QCOMPARE(prediction.value(QLatin1String("model_version")).toString(),
                 QStringLiteral("freesel 1.2.3"));
        const double score = prediction.value(QLatin1String("score")).toDouble();
        QVERIFY(score < previousScore && score > 0.0); // rank-derived: sorting reproduces rank
        QCOMPARE(score, 1.0 - i / 4.0);                // 1, 0.75, 0.5, 0.25 for 4 picks
        previousScore = score;
        const QJsonObject meta = task.value(QLatin1String("meta")).toObject();
        QCOMPARE(meta.value(QLatin1String("rank")).toInt(), i + 1);
        QVERIFY(isScore(meta.value(QLatin1String("freesel_score"))));
    }
    QVERIFY(tasks[0]
                .toObject()
                .value(QLatin1String("meta"))
                .toObject()
                .value(QLatin1String("freesel_score"))
                .isNull());

    ExportOptions options;
    options.labelStudioPrefix = QStringLiteral("https://example.org/pool/");
    options.labelStudioRawScore = true;
    QVERIFY(write(ExportFormat::LabelStudio, QStringLiteral("ls_raw.json"), options).ok());
    const auto raw = readJson(out(QStringLiteral("ls_raw.json")));
    QVERIFY(raw);
    const QJsonObject second = raw->array()[1].toObject();
    QCOMPARE(
        second.value(QLatin1String("data")).toObject().value(QLatin1String("image")).toString(),
        QStringLiteral("https://example.org/pool/fish.jpg"));
    QCOMPARE(second.value(QLatin1String("predictions"))
                 .toArray()[0]
                 .toObject()
                 .value(QLatin1String("score"))
                 .toDouble(),
             0.75);
    // The NaN first score falls back to the rank-derived value.
    QCOMPARE(raw->array()[0]
                 .toObject()
                 .value(QLatin1String("predictions"))
                 .toArray()[0]
                 .toObject()
                 .value(QLatin1String("score"))
                 .toDouble(),
             1.0);
}

void SelectionExportTest::labelStudioScoresHaveNoFloatNoise() {
    // Ten picks: rank 8 scores (10 - 7) / 10, written 0.3; 1 - 7/10 was 0.30000000000000004.
    SelectionExport ten = selection_;
    ten.picks.clear();
    ten.images.clear();
    for (int i = 0; i < 10; ++i) { // ten distinct usable images (picks may not repeat one)
        ExportImage image = selection_.images[0];
        image.relativePath = QStringLiteral("img%1.jpg").arg(i);
        image.path = dir_.filePath(QStringLiteral("pool/") + image.relativePath);
        ten.images.push_back(image);
        ten.picks.push_back({i, i / 8.0}); // exact binary scores
    }
    QVERIFY(write(ExportFormat::LabelStudio, QStringLiteral("ls10.json"), {}, &ten).ok());
    QFile file(out(QStringLiteral("ls10.json")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY2(!text.contains("0000000"), text.constData());
    QVERIFY(text.contains("\"score\": 0.3") || text.contains("\"score\":0.3"));
    const QJsonArray tasks = QJsonDocument::fromJson(text).array();
    for (int i = 0; i < 10; ++i)
        QCOMPARE(
            tasks[i].toObject()[QLatin1String("predictions")][0][QLatin1String("score")].toDouble(),
            (10 - i) / 10.0);
}

void SelectionExportTest::cvatManifestLines() {
    const QString dir = out(QStringLiteral("cvat"));
    QVERIFY(QDir().mkpath(dir));
    const ExportResult result = write(ExportFormat::Cvat, QStringLiteral("cvat"));
    QVERIFY2(result.ok(), qPrintable(result.message()));
    const QString manifest = QDir(dir).filePath(QStringLiteral("manifest.jsonl"));
    QVERIFY(result.value().contains(manifest));
    QVERIFY(QFileInfo::exists(manifest + QStringLiteral(".provenance.json")));
    const QList<QByteArray> lines = readAll(manifest).split('\n');
    QCOMPARE(lines.size(), 2 + 4 + 1); // the file ends with a newline
    QVERIFY(lines.last().isEmpty());
    QCOMPARE(lines[0], QByteArray("{\"version\":\"1.1\"}"));
    QCOMPARE(lines[1], QByteArray("{\"type\":\"images\"}"));
    for (int i = 0; i < 4; ++i) {
        const QJsonDocument doc = QJsonDocument::fromJson(lines[2 + i]);
        QVERIFY(doc.isObject());
        const QJsonObject entry = doc.object();
        QCOMPARE(schemaError(entry, {{"name", QJsonValue::String},
                                     {"extension", QJsonValue::String},
                                     {"width", QJsonValue::Double},
                                     {"height", QJsonValue::Double},
                                     {"meta", QJsonValue::Object}}),
                 QString());
        QVERIFY(entry.value(QLatin1String("meta"))
                    .toObject()
                    .value(QLatin1String("related_images"))
                    .isArray());
        const ExportImage& source = selection_.images[size_t(selection_.picks[size_t(i)].image)];
        const QString name = entry.value(QLatin1String("name")).toString();
        const QString extension = entry.value(QLatin1String("extension")).toString();
        QVERIFY(extension.startsWith(QLatin1Char('.')));
        QCOMPARE(name + extension, source.relativePath);
        QCOMPARE(extension, QLatin1Char('.') + QFileInfo(source.relativePath).suffix());
        QCOMPARE(entry.value(QLatin1String("width")).toInt(), source.width);
        QCOMPARE(entry.value(QLatin1String("height")).toInt(), source.height);
    }
}

QTEST_GUILESS_MAIN(SelectionExportTest)
#include "test_selection_export.moc"
