// SPDX-License-Identifier: GPL-3.0-or-later
// Exporters of a selection, beyond the list formats: embeddings, folders of links or copies,
// the provenance sidecar of every format, the errors a user can cause (an unwritable path,
// picks outside the pool) and image sizes read from the headers.

#include "export/export_image_sizes.h"
#include "export/selection_export.h"
#include "export_test_support.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

using namespace freesel;
using namespace freesel::exporttest;

class ExportOutputsTest : public ExportFixture {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { writePool(); }
    void embeddingsCsv();
    void embeddingsRefusedWithoutFeatures();
    void folderOfSymlinks();
    void folderOfCopies();
    void folderRefusesNonEmptyDirectory();
    void sidecarForEveryFormat();
    void unwritablePathIsNamed();
    void invalidPicksAreRefused();
    void imageSizesComeFromTheHeaders();
};

void ExportOutputsTest::embeddingsCsv() {
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

void ExportOutputsTest::embeddingsRefusedWithoutFeatures() {
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

void ExportOutputsTest::folderOfSymlinks() {
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

void ExportOutputsTest::folderOfCopies() {
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

void ExportOutputsTest::folderRefusesNonEmptyDirectory() {
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

void ExportOutputsTest::sidecarForEveryFormat() {
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

void ExportOutputsTest::unwritablePathIsNamed() {
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

void ExportOutputsTest::invalidPicksAreRefused() {
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

void ExportOutputsTest::imageSizesComeFromTheHeaders() {
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

QTEST_GUILESS_MAIN(ExportOutputsTest)
#include "test_export_outputs.moc"
