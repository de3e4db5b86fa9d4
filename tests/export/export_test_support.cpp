// SPDX-License-Identifier: GPL-3.0-or-later
#include "export_test_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QtTest>

namespace freesel::exporttest {

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

void ExportFixture::writePool() {
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

QStringList ExportFixture::selectedPaths() const {
    QStringList paths;
    for (const Pick& pick : selection_.picks)
        paths << QFileInfo(selection_.images[size_t(pick.image)].path).absoluteFilePath();
    return paths;
}

} // namespace freesel::exporttest
