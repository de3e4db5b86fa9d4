// SPDX-License-Identifier: GPL-3.0-or-later
// The export format table: one entry per format, the format an --out extension names, a
// mismatch refused, the extension following the format.
#include "export/export_format.h"

#include <QSet>
#include <QTest>

using namespace freesel;

class TestExportFormat : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyFormatIsInTheTableOnce() {
        QSet<QString> names;
        for (const ExportFormatInfo& info : exportFormats()) {
            names.insert(QString::fromLatin1(info.name));
            QCOMPARE(exportFormatInfo(info.format).name, info.name);
            QCOMPARE(parseExportFormat(QString::fromLatin1(info.name)), info.format);
        }
        QCOMPARE(names.size(), 9);
        QCOMPARE(int(exportFormats().size()), 9);
        QCOMPARE(exportFormatList(),
                 QStringLiteral(
                     "txt, csv, json, coco, labelstudio, cvat, embeddings, suspects or folder"));
        // The options each format honours, as the dialog enables them.
        QCOMPARE(exportFormatInfo(ExportFormat::Folder).options,
                 unsigned(OptionOverwrite | OptionCopyFiles));
        QCOMPARE(exportFormatInfo(ExportFormat::LabelStudio).options,
                 unsigned(OptionLabelStudioPrefix | OptionLabelStudioRawScore));
        QCOMPARE(exportFormatInfo(ExportFormat::Embeddings).options,
                 unsigned(OptionEmbeddingsForAll));
        QCOMPARE(exportFormatInfo(ExportFormat::Csv).options, 0u);
        QVERIFY(exportFormatInfo(ExportFormat::Folder).writesFolder());
        QVERIFY(!exportFormatInfo(ExportFormat::Cvat).writesFolder());
    }

    void theExtensionNamesTheFormat() {
        QCOMPARE(formatForExtension(QStringLiteral("a/picks.txt")), ExportFormat::Txt);
        QCOMPARE(formatForExtension(QStringLiteral("a/picks.CSV")), ExportFormat::Csv);
        QCOMPARE(formatForExtension(QStringLiteral("picks.json")), ExportFormat::Json);
        QCOMPARE(formatForExtension(QStringLiteral("manifest.jsonl")), ExportFormat::Cvat);
        QVERIFY(!formatForExtension(QStringLiteral("picks")).has_value());
        QVERIFY(!formatForExtension(QStringLiteral("picks.list")).has_value());
        QVERIFY(!formatForExtension(QStringLiteral("my.csv.d/picks")).has_value());
        // Without --format: the extension's format, else txt.
        QCOMPARE(resolveExportFormat(QString(), QStringLiteral("picks.csv")), ExportFormat::Csv);
        QCOMPARE(resolveExportFormat(QString(), QStringLiteral("picks")), ExportFormat::Txt);
        QCOMPARE(resolveExportFormat(QString(), QStringLiteral("out.jsonl")), ExportFormat::Cvat);
        // With it: formats sharing an extension, and unknown extensions, are accepted.
        QCOMPARE(resolveExportFormat(QStringLiteral("labelstudio"), QStringLiteral("t.json")),
                 ExportFormat::LabelStudio);
        QCOMPARE(resolveExportFormat(QStringLiteral("embeddings"), QStringLiteral("e.csv")),
                 ExportFormat::Embeddings);
        QCOMPARE(resolveExportFormat(QStringLiteral("coco"), QStringLiteral("d.coco")),
                 ExportFormat::Coco);
        QCOMPARE(resolveExportFormat(QStringLiteral("folder"), QStringLiteral("out.csv")),
                 ExportFormat::Folder);
    }

    void aMismatchIsRefusedNamingBoth() {
        try {
            resolveExportFormat(QStringLiteral("labelstudio"), QStringLiteral("picks.csv"));
            QFAIL("Label Studio JSON would have been written to picks.csv");
        } catch (const std::invalid_argument& error) {
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(QStringLiteral("--format labelstudio writes .json")),
                     error.what());
            QVERIFY2(message.contains(QStringLiteral("picks.csv")), error.what());
            QVERIFY2(message.contains(QStringLiteral("write csv")), error.what());
        }
        QVERIFY_THROWS_EXCEPTION(
            std::invalid_argument,
            resolveExportFormat(QStringLiteral("txt"), QStringLiteral("x.json")));
        QVERIFY_THROWS_EXCEPTION(
            std::invalid_argument,
            resolveExportFormat(QStringLiteral("pdf"), QStringLiteral("x.pdf")));
    }

    void theExtensionFollowsTheFormat() {
        QCOMPARE(withFormatExtension(QStringLiteral("/x/picks.csv"), ExportFormat::LabelStudio),
                 QStringLiteral("/x/picks.json"));
        QCOMPARE(withFormatExtension(QStringLiteral("/x/picks"), ExportFormat::Cvat),
                 QStringLiteral("/x/picks.jsonl"));
        QCOMPARE(withFormatExtension(QStringLiteral("/x.d/picks.json"), ExportFormat::Txt),
                 QStringLiteral("/x.d/picks.txt"));
        QCOMPARE(withFormatExtension(QStringLiteral("/x/out"), ExportFormat::Folder),
                 QStringLiteral("/x/out"));
        QCOMPARE(withFormatExtension(QString(), ExportFormat::Csv), QString());
    }
};

QTEST_GUILESS_MAIN(TestExportFormat)
#include "test_export_format.moc"
