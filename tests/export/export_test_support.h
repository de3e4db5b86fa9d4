// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What the export tests share: a generated pool of seven files (two of them failed images)
// with a selection of four, its provenance, and readers for what the exporters write (JSON,
// RFC 4180 CSV) with a schema check.

#include "export/selection_export.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QStringList>
#include <QTemporaryDir>

#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace freesel::exporttest {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Above 2^53: the sidecar must carry it as a string to keep every digit.
constexpr quint64 kBigSeed = (quint64(1) << 60) + 7;

QByteArray readAll(const QString& path);
std::optional<QJsonDocument> readJson(const QString& path);
/// RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.
QList<QStringList> parseCsv(const QString& text);

using KeySpec = std::vector<std::pair<const char*, QJsonValue::Type>>;
/// Empty when every key is present with its type; else what is wrong.
QString schemaError(const QJsonObject& object, const KeySpec& keys);
/// A score is a number, or null where the strategy had none.
bool isScore(const QJsonValue& value);
extern const KeySpec kProvenanceSchema;

/// The tests' fixture: the pool under a temporary folder, the selection of it, and exports
/// into its out/ folder. A test class derives from it and calls writePool() first.
class ExportFixture : public QObject {
protected:
    /// Writes the pool's files (distinct bytes; the exporters never decode images) and fills
    /// selection_; fails the running test (QVERIFY) when a file cannot be written.
    void writePool();
    QString out(const QString& name) const { return dir_.filePath(QStringLiteral("out/") + name); }
    ExportResult write(ExportFormat format, const QString& name, const ExportOptions& options = {},
                       const SelectionExport* selection = nullptr) const {
        return exportSelection(selection ? *selection : selection_, format, out(name), options);
    }
    /// The selected images' absolute paths in rank order.
    QStringList selectedPaths() const;

    QTemporaryDir dir_;
    SelectionExport selection_;
};

} // namespace freesel::exporttest
