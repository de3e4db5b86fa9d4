// SPDX-License-Identifier: GPL-3.0-or-later
// The "suspects" export (suspected label errors of a CLIP selection): the rows a hand-made
// selection must give, and its refusals where there are no given labels to doubt.
#include "export/export_format.h"
#include "export/selection_export.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace freesel;

namespace {

ExportImage image(const QString& path, const QString& label, int rank, double sas, bool given,
                  const QStringList& top) {
    ExportImage e;
    e.path = path;
    e.clipLabel = label;
    e.clipLabelRank = rank;
    e.sas = sas;
    e.clipLabelGiven = given;
    e.clipTopClasses = top;
    return e;
}

QStringList readRows(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
}

} // namespace

class TestLabelSuspects : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void listsDoubtedLabelsLowestSasFirst() {
        QTemporaryDir dir;
        SelectionExport selection;
        selection.hasClipScores = true;
        const QString a = dir.filePath(QStringLiteral("a.png")), b = dir.filePath("b.png"),
                      c = dir.filePath("c.png"), d = dir.filePath("d.png"),
                      e = dir.filePath("e,1.png");
        const QStringList top{QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("car"),
                              QStringLiteral("bus")};
        selection.images = {image(a, "cat", 0, 0.9, true, top),               // CLIP agrees
                            image(b, "bus", 3, 0.20, true, top),              // 4th: suspect
                            image(c, "dog", 1, 0.5, true, top),               // 2nd: fine at top 3
                            image(d, "bus", 3, 0.1, false, top),              // zero-shot: never
                            image(e, "truck", 5, 0.15, true, top.mid(0, 3))}; // suspect
        selection.images[3].clipLabelGiven = false;
        selection.picks = {{0, 1.0}};
        const QString out = dir.filePath(QStringLiteral("suspects.csv"));
        const ExportResult written = exportSelection(selection, ExportFormat::Suspects, out);
        QVERIFY2(written.ok(), qPrintable(written.message()));
        QCOMPARE(readRows(out),
                 (QStringList{QStringLiteral("path,label,top_classes,sas,label_rank"),
                              QStringLiteral("\"%1\",truck,cat;dog;car,0.15,6").arg(e),
                              QStringLiteral("%1,bus,cat;dog;car,0.2,4").arg(b)}));
        ExportOptions one;
        one.suspectTop = 1; // now c (2nd guess) is doubted too, after the lower SAS
        QVERIFY(exportSelection(selection, ExportFormat::Suspects, out, one).ok());
        const QStringList rows = readRows(out);
        QCOMPARE(rows.size(), 4);
        QCOMPARE(rows[3], QStringLiteral("%1,dog,cat,0.5,2").arg(c));
        QVERIFY(QFile::exists(out + QStringLiteral(".provenance.json")));
    }

    void refusedWithoutGivenLabels() {
        QTemporaryDir dir;
        SelectionExport selection;
        selection.images = {image(dir.filePath("a.png"), "cat", 2, 0.1, false, {})};
        const QString out = dir.filePath(QStringLiteral("s.csv"));
        const ExportResult noClip = exportSelection(selection, ExportFormat::Suspects, out);
        QVERIFY(!noClip.ok());
        QVERIFY2(noClip.message().contains(QStringLiteral("--strategy clip")),
                 qPrintable(noClip.message()));
        selection.hasClipScores = true;
        selection.clipZeroShot = true;
        const ExportResult zeroShot = exportSelection(selection, ExportFormat::Suspects, out);
        QVERIFY(!zeroShot.ok());
        QVERIFY2(zeroShot.message().contains(QStringLiteral("--labels")),
                 qPrintable(zeroShot.message()));
        QVERIFY(!QFile::exists(out));
        QCOMPARE(parseExportFormat(QStringLiteral("suspects")), ExportFormat::Suspects);
        // .csv still means the selection table; suspects only by name
        QCOMPARE(formatForExtension(out), ExportFormat::Csv);
    }
};

QTEST_GUILESS_MAIN(TestLabelSuspects)
#include "test_label_suspects.moc"
