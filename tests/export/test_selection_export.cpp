// SPDX-License-Identifier: GPL-3.0-or-later
// Exporters of a selection: every format is written, parsed back and checked against its schema
// and against the other formats. The pool is generated here (files of distinct bytes; the
// exporters never decode images).

#include "export/export_image_sizes.h"
#include "export/selection_export.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

using namespace freesel;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Above 2^53: the sidecar must carry it as a string to keep every digit.
constexpr quint64 kBigSeed = (quint64(1) << 60) + 7;

QByteArray readAll(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

std::optional<QJsonDocument> readJson(const QString& path) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(readAll(path), &error);
    if (error.error != QJsonParseError::NoError)
        return std::nullopt;
    return doc;
}

/// RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.
QList<QStringList> parseCsv(const QString& text) {
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < text.size() && text[i + 1] == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            row << field;
            field.clear();
        } else if (c == QLatin1Char('\r') && i + 1 < text.size() &&
                   text[i + 1] == QLatin1Char('\n')) {
            row << field;
            rows << row;
            row.clear();
            field.clear();
            ++i;
        } else {
            field += c;
        }
    }
    if (!field.isEmpty() || !row.isEmpty())
        rows << (row << field);
    return rows;
}

using KeySpec = std::vector<std::pair<const char*, QJsonValue::Type>>;

/// Empty when every key is present with its type; else what is wrong.
QString schemaError(const QJsonObject& object, const KeySpec& keys) {
    for (const auto& [key, type] : keys) {
        const QString name = QString::fromLatin1(key);
        if (!object.contains(name))
            return QStringLiteral("missing key %1").arg(name);
        if (object.value(name).type() != type)
            return QStringLiteral("key %1 has type %2, expected %3")
                .arg(name)
                .arg(int(object.value(name).type()))
                .arg(int(type));
    }
    return {};
}

/// A score is a number, or null where the strategy had none.
bool isScore(const QJsonValue& value) {
    return value.isDouble() || value.isNull();
}

const KeySpec kProvenanceSchema{
    {"app_version", QJsonValue::String}, {"backend", QJsonValue::String},
    {"model", QJsonValue::String},       {"model_checksum", QJsonValue::String},
    {"tau", QJsonValue::Double},         {"clusters", QJsonValue::Double},
    {"eps", QJsonValue::Double},         {"budget", QJsonValue::Double},
    {"seed", QJsonValue::String},        {"strategy", QJsonValue::String},
    {"input_size", QJsonValue::String},  {"device", QJsonValue::String},
    {"precision", QJsonValue::String},   {"created", QJsonValue::String},
    {"pool_source", QJsonValue::String},
};

} // namespace

class SelectionExportTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void parsesFormatNames();
    void txtListsSelectedPathsInRankOrder();
    void csvListsEveryImageWithQuoting();
    void jsonMatchesSchema();
    void formatsAgreeOnOrder();
    void cocoIsAnImageOnlySubset();
    void labelStudioTasks();
    void labelStudioScoresHaveNoFloatNoise();
    void cvatManifestLines();
    void embeddingsCsv();
    void embeddingsRefusedWithoutFeatures();
    void folderOfSymlinks();
    void folderOfCopies();
    void folderRefusesNonEmptyDirectory();
    void sidecarForEveryFormat();
    void unwritablePathIsNamed();
    void invalidPicksAreRefused();
    void imageSizesComeFromTheHeaders();

private:
    QString out(const QString& name) const { return dir_.filePath(QStringLiteral("out/") + name); }
    ExportResult write(ExportFormat format, const QString& name, const ExportOptions& options = {},
                       const SelectionExport* selection = nullptr) const {
        return exportSelection(selection ? *selection : selection_, format, out(name), options);
    }
    QStringList selectedPaths() const;
    QStringList csvSelectedPaths();

    QTemporaryDir dir_;
    SelectionExport selection_;
};

void SelectionExportTest::initTestCase() {
    QVERIFY(dir_.isValid());
    const QDir pool(dir_.filePath(QStringLiteral("pool")));
    QVERIFY(pool.mkpath(QStringLiteral("sub")));
    struct Entry {
        const char* relative;
        bool failed;
        const char* error;
    };
    const Entry entries[] = {
        {"cat.jpg", false, ""},
        {"sub/dog, \"big\".jpg", false, ""}, // a comma and quotes: CSV quoting
        {"bird.png", false, ""},
        {"broken.jpg", true, "not an image, \"bad\" header\nsecond line"},
        {"fish.jpg", false, ""},
        {"sub/horse.jpeg", false, ""},
        {"truncated.jpg", true, "truncated data"},
    };
    int index = 0;
    for (const Entry& entry : entries) {
        ExportImage image;
        image.relativePath = QString::fromUtf8(entry.relative);
        image.path = pool.filePath(image.relativePath);
        image.width = 100 + index;
        image.height = 50 + index;
        image.failed = entry.failed;
        image.error = QString::fromUtf8(entry.error);
        image.patternCount = entry.failed ? 0 : 3 + index;
        if (!entry.failed)
            image.embedding = {0.5f * float(index), -1.25f, 1e-7f, float(index) / 3.0f};
        QFile file(image.path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray("image bytes ") + entry.relative +
                   QByteArray(100 + index, char(index)));
        selection_.images.push_back(image);
        ++index;
    }
    selection_.picks = {{1, kNaN}, {4, 0.75}, {0, 0.5}, {5, 0.125}};
    Provenance& p = selection_.provenance;
    p.appVersion = QStringLiteral("1.2.3");
    p.backend = QStringLiteral("offline");
    p.model = QStringLiteral("dino_vits16");
    p.modelChecksum = QStringLiteral("abc123");
    p.tau = 0.5;
    p.clusters = 5;
    p.eps = 3;
    p.budget = 4;
    p.seed = kBigSeed;
    p.strategy = QStringLiteral("freesel");
    p.inputSize = QStringLiteral("224");
    p.device = QStringLiteral("cpu");
    p.precision = QStringLiteral("bfloat16");
    p.created = QDateTime(QDate(2024, 5, 6), QTime(7, 8, 9), Qt::UTC);
    p.poolSource = QStringLiteral("folder");
}

QStringList SelectionExportTest::selectedPaths() const {
    QStringList paths;
    for (const Pick& pick : selection_.picks)
        paths << QFileInfo(selection_.images[size_t(pick.image)].path).absoluteFilePath();
    return paths;
}

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

void SelectionExportTest::embeddingsCsv() {
    QVERIFY(write(ExportFormat::Embeddings, QStringLiteral("emb.csv")).ok());
    auto rows = parseCsv(QString::fromUtf8(readAll(out(QStringLiteral("emb.csv")))));
    QCOMPARE(rows.size(), 1 + 4);
    const QStringList expectedHeader{QStringLiteral("filenames"),   QStringLiteral("embedding_0"),
                                     QStringLiteral("embedding_1"), QStringLiteral("embedding_2"),
                                     QStringLiteral("embedding_3"), QStringLiteral("labels")};
    QCOMPARE(rows[0], expectedHeader);
    for (int i = 1; i < rows.size(); ++i) {
        const ExportImage& source =
            selection_.images[size_t(selection_.picks[size_t(i - 1)].image)];
        QCOMPARE(rows[i].size(), 6);
        QCOMPARE(rows[i][0], source.relativePath);
        for (int d = 0; d < 4; ++d)
            QCOMPARE(rows[i][1 + d].toFloat(), source.embedding[size_t(d)]);
        QCOMPARE(rows[i][5], QStringLiteral("0"));
    }
    QCOMPARE(rows[1][3], QStringLiteral("1e-07")); // the shortest float text, not the double's
    ExportOptions all;
    all.embeddingsForAll = true;
    QVERIFY(write(ExportFormat::Embeddings, QStringLiteral("emb_all.csv"), all).ok());
    rows = parseCsv(QString::fromUtf8(readAll(out(QStringLiteral("emb_all.csv")))));
    QCOMPARE(rows.size(), 1 + 5); // every decoded image; failed ones have no feature
    QCOMPARE(rows[5][0], selection_.images[2].relativePath); // the unselected one, after the picks
}

void SelectionExportTest::embeddingsRefusedWithoutFeatures() {
    SelectionExport missing = selection_;
    missing.images[4].embedding.clear();
    const ExportResult result =
        write(ExportFormat::Embeddings, QStringLiteral("none.csv"), {}, &missing);
    QVERIFY(!result.ok());
    QVERIFY2(result.message().contains(QLatin1String("embedding")) &&
                 result.message().contains(missing.images[4].path),
             qPrintable(result.message()));
    QVERIFY(!QFileInfo::exists(out(QStringLiteral("none.csv"))));
    QVERIFY(!QFileInfo::exists(out(QStringLiteral("none.csv.provenance.json"))));
}

void SelectionExportTest::folderOfSymlinks() {
    const ExportResult result = write(ExportFormat::Folder, QStringLiteral("links"));
    QVERIFY2(result.ok(), qPrintable(result.message()));
    const QDir dir(out(QStringLiteral("links")));
    const QStringList names = dir.entryList(QDir::Files | QDir::System, QDir::Name);
    QCOMPARE(names.size(), 4 + 1);
    QCOMPARE(names.last(), QStringLiteral("provenance.json"));
    for (int i = 0; i < 4; ++i) {
        const ExportImage& source = selection_.images[size_t(selection_.picks[size_t(i)].image)];
        QCOMPARE(names[i], QStringLiteral("%1_%2")
                               .arg(i + 1, 5, 10, QLatin1Char('0'))
                               .arg(QFileInfo(source.path).fileName()));
        const QFileInfo link(dir.filePath(names[i]));
        QVERIFY(link.isSymLink());
        QCOMPARE(QFileInfo(link.symLinkTarget()).canonicalFilePath(),
                 QFileInfo(source.path).canonicalFilePath());
    }
}

void SelectionExportTest::folderOfCopies() {
    ExportOptions options;
    options.copyFiles = true;
    const ExportResult result = write(ExportFormat::Folder, QStringLiteral("copies"), options);
    QVERIFY2(result.ok(), qPrintable(result.message()));
    QCOMPARE(result.value().size(), 4 + 1);
    for (int i = 0; i < 4; ++i) {
        const ExportImage& source = selection_.images[size_t(selection_.picks[size_t(i)].image)];
        const QFileInfo copy(result.value()[i]);
        QVERIFY(!copy.isSymLink());
        QVERIFY(copy.fileName().startsWith(QStringLiteral("0000%1_").arg(i + 1)));
        QCOMPARE(readAll(copy.filePath()), readAll(source.path));
    }
}

void SelectionExportTest::folderRefusesNonEmptyDirectory() {
    const QString path = out(QStringLiteral("busy"));
    QVERIFY(QDir().mkpath(path));
    const QString keep = QDir(path).filePath(QStringLiteral("notes.txt"));
    QFile file(keep);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("mine");
    file.close();
    ExportResult result = write(ExportFormat::Folder, QStringLiteral("busy"));
    QVERIFY(!result.ok());
    QVERIFY2(result.message().contains(path) &&
                 result.message().contains(QLatin1String("not empty")),
             qPrintable(result.message()));
    ExportOptions overwrite;
    overwrite.overwrite = true;
    result = write(ExportFormat::Folder, QStringLiteral("busy"), overwrite);
    QVERIFY2(result.ok(), qPrintable(result.message()));
    // Again with a smaller selection: the earlier ranked entries go, the user's file stays.
    SelectionExport smaller = selection_;
    smaller.picks.resize(2);
    result = write(ExportFormat::Folder, QStringLiteral("busy"), overwrite, &smaller);
    QVERIFY2(result.ok(), qPrintable(result.message()));
    QCOMPARE(QDir(path).entryList(QDir::Files | QDir::System).size(), 2 + 1 + 1);
    QCOMPARE(readAll(keep), QByteArray("mine"));
}

void SelectionExportTest::sidecarForEveryFormat() {
    // The suspects format needs CLIP scores (a clip selection); with none given, it lists none.
    SelectionExport clip = selection_;
    clip.hasClipScores = true;
    for (const QString& name : exportFormatNames()) {
        const ExportFormat format = parseExportFormat(name);
        const QString output = out(QStringLiteral("side/") + name + QStringLiteral(".out"));
        const ExportResult result = exportSelection(
            format == ExportFormat::Suspects ? clip : selection_, format, output, {});
        QVERIFY2(result.ok(), qPrintable(name + QStringLiteral(": ") + result.message()));
        const QString sidecarPath = provenanceSidecarPath(format, output);
        QCOMPARE(result.value().last(), QFileInfo(sidecarPath).absoluteFilePath());
        if (format == ExportFormat::Folder)
            QCOMPARE(sidecarPath, QDir(output).filePath(QStringLiteral("provenance.json")));
        else
            QCOMPARE(sidecarPath, output + QStringLiteral(".provenance.json"));
        const auto doc = readJson(sidecarPath);
        QVERIFY2(doc && doc->isObject(), qPrintable(sidecarPath));
        const QJsonObject sidecar = doc->object();
        QCOMPARE(sidecar.value(QLatin1String("format")).toString(), name);
        const QJsonObject provenance = sidecar.value(QLatin1String("provenance")).toObject();
        QCOMPARE(schemaError(provenance, kProvenanceSchema), QString());
        QCOMPARE(provenance.value(QLatin1String("seed")).toString(), QString::number(kBigSeed));
        QCOMPARE(provenance.value(QLatin1String("model_checksum")).toString(),
                 QStringLiteral("abc123"));
        QCOMPARE(provenance.value(QLatin1String("tau")).toDouble(), 0.5);
        QCOMPARE(provenance.value(QLatin1String("clusters")).toInt(), 5);
        QCOMPARE(provenance.value(QLatin1String("eps")).toInt(), 3);
        QCOMPARE(provenance.value(QLatin1String("budget")).toInt(), 4);
        QCOMPARE(QDateTime::fromString(provenance.value(QLatin1String("created")).toString(),
                                       Qt::ISODateWithMs),
                 selection_.provenance.created);
        const QJsonObject counts = sidecar.value(QLatin1String("counts")).toObject();
        QCOMPARE(counts.value(QLatin1String("pool")).toInt(), 7);
        QCOMPARE(counts.value(QLatin1String("selected")).toInt(), 4);
        QCOMPARE(counts.value(QLatin1String("failed")).toInt(), 2);
        const QJsonArray failed = sidecar.value(QLatin1String("failed")).toArray();
        QCOMPARE(failed.size(), 2);
        QCOMPARE(failed[1].toObject().value(QLatin1String("error")).toString(),
                 QStringLiteral("truncated data"));
        QVERIFY(failed[1]
                    .toObject()
                    .value(QLatin1String("path"))
                    .toString()
                    .endsWith(QLatin1String("truncated.jpg")));
    }
    // A seed JSON numbers carry exactly stays a number.
    SelectionExport small = selection_;
    small.provenance.seed = 42;
    QVERIFY(write(ExportFormat::Txt, QStringLiteral("seed.txt"), {}, &small).ok());
    const auto doc = readJson(out(QStringLiteral("seed.txt.provenance.json")));
    QVERIFY(doc);
    const QJsonValue seed =
        doc->object().value(QLatin1String("provenance")).toObject().value(QLatin1String("seed"));
    QVERIFY(seed.isDouble());
    QCOMPARE(seed.toInt(), 42);
}

void SelectionExportTest::unwritablePathIsNamed() {
    // Runs as root too: a path below a regular file can never be created.
    const QString blocker = dir_.filePath(QStringLiteral("blocker"));
    QFile file(blocker);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    SelectionExport clip = selection_; // what the suspects format needs
    clip.hasClipScores = true;
    for (const QString& name : exportFormatNames()) {
        const QString output = blocker + QStringLiteral("/sub/") + name + QStringLiteral(".out");
        const ExportFormat format = parseExportFormat(name);
        const ExportResult result = exportSelection(
            format == ExportFormat::Suspects ? clip : selection_, format, output, {});
        QVERIFY2(!result.ok(), qPrintable(name));
        QVERIFY2(result.message().contains(blocker),
                 qPrintable(name + QStringLiteral(": ") + result.message()));
    }
    // An existing directory where a file should go.
    const QString dirAsFile = out(QStringLiteral("a_directory"));
    QVERIFY(QDir().mkpath(dirAsFile));
    const ExportResult result = exportSelection(selection_, ExportFormat::Json, dirAsFile, {});
    QVERIFY(!result.ok());
    QVERIFY2(result.message().contains(dirAsFile), qPrintable(result.message()));
    QVERIFY(!exportSelection(selection_, ExportFormat::Txt, QString(), {}).ok());
}

void SelectionExportTest::invalidPicksAreRefused() {
    SelectionExport bad = selection_;
    bad.picks.push_back({3, 0.1}); // a failed image
    ExportResult result = write(ExportFormat::Txt, QStringLiteral("bad.txt"), {}, &bad);
    QVERIFY(!result.ok());
    QVERIFY2(result.message().contains(QLatin1String("broken.jpg")), qPrintable(result.message()));
    bad = selection_;
    bad.picks.push_back({99, 0.1});
    result = write(ExportFormat::Txt, QStringLiteral("bad.txt"), {}, &bad);
    QVERIFY2(!result.ok() && result.message().contains(QLatin1String("99")),
             qPrintable(result.message()));
    bad = selection_;
    bad.picks.push_back(bad.picks.front());
    result = write(ExportFormat::Csv, QStringLiteral("bad.csv"), {}, &bad);
    QVERIFY2(!result.ok() && result.message().contains(QLatin1String("second time")),
             qPrintable(result.message()));
    QVERIFY(!QFileInfo::exists(out(QStringLiteral("bad.txt"))));
}

void SelectionExportTest::imageSizesComeFromTheHeaders() {
    // A 37 x 21 PNG (width != height, so a swapped dimension shows): its size comes from the
    // header; a failed image and one that already has a size are left alone.
    const QString path = dir_.filePath(QStringLiteral("sized.png"));
    QVERIFY(cv::imwrite(path.toStdString(), cv::Mat(21, 37, CV_8UC3, cv::Scalar(1, 2, 3))));
    SelectionExport sized;
    ExportImage image;
    image.path = path;
    image.relativePath = QStringLiteral("sized.png");
    sized.images = {image, image, image};
    sized.images[1].failed = true;
    sized.images[2].width = 5;
    sized.images[2].height = 6;
    fillExportImageSizes(sized);
    QCOMPARE(sized.images[0].width, 37);
    QCOMPARE(sized.images[0].height, 21);
    QCOMPARE(sized.images[1].width, 0);
    QCOMPARE(sized.images[1].height, 0);
    QCOMPARE(sized.images[2].width, 5);
    QCOMPARE(sized.images[2].height, 6);
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

QTEST_GUILESS_MAIN(SelectionExportTest)
#include "test_selection_export.moc"
