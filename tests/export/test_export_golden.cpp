// SPDX-License-Identifier: GPL-3.0-or-later
// Golden files of the exporters: a fixed generated pool and a fixed selection are exported in
// every content format, and each file is compared byte for byte with the reviewed reference in
// tests/export/golden/. A change of an exporter's output shows up here as a diff to review.
//
// What is fixed, so that the files depend on nothing but the exporters:
// - the pool: 12 images of chosen sizes (names with a space, a comma, sub-folders) and one
//   truncated JPEG, written to a temporary folder and scanned by the CLI's own scanner;
// - the selection: hand-chosen ranks, scores exact in binary (rank 1 has no score, as in D^2
//   sampling), pattern counts and 3-d embeddings; the broken file is failed with a fixed reason;
// - the provenance: a fixed version, backend, parameters and creation time.
// The only normalisation: the temporary pool folder, which txt, csv and json print as absolute
// paths, is replaced by "$POOL". The provenance sidecar is not compared (it names the output's
// absolute path; test_selection_export checks its fields).
//
// To accept a reviewed change: FREESEL_UPDATE_GOLDEN=1 ctest --test-dir build -R
// test_export_golden rewrites the files in the source tree; then read `git diff tests/export`.

#include "export/export_image_sizes.h"
#include "export/selection_export.h"
#include "image/pool_scanner.h"
#include "support/scene_pool.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <limits>
#include <map>

using namespace freesel;

namespace {

struct GoldenImage {
    const char* relativePath;
    int width;
    int height;
};

// Distinct, non-square sizes: a swapped width and height or a wrong image shows in COCO and CVAT.
const GoldenImage kImages[] = {
    {"beach.png", 64, 48},           {"city.jpg", 80, 60},
    {"forest.png", 40, 72},          {"harbour.jpg", 96, 54},
    {"market, evening.png", 50, 50}, {"mountain.png", 72, 40},
    {"night sky.jpg", 88, 66},       {"river.png", 30, 90},
    {"sub/field.png", 56, 42},       {"sub/garden.jpg", 64, 64},
    {"sub/deep/lake.png", 48, 36},   {"zoo.png", 36, 28},
};
const char* const kBroken = "broken.jpg";
const char* const kBrokenReason = "cannot decode: the JPEG data ends early (truncated file)";

struct GoldenPick {
    const char* relativePath;
    double score;
};

const GoldenPick kPicks[] = {
    {"night sky.jpg", std::numeric_limits<double>::quiet_NaN()},
    {"sub/field.png", 0.8125},
    {"market, evening.png", 0.5},
    {"harbour.jpg", 0.25},
    {"sub/deep/lake.png", 0.0625},
};

struct GoldenFile {
    ExportFormat format;
    const char* name; ///< under tests/export/golden/
};

const GoldenFile kFiles[] = {
    {ExportFormat::Txt, "selection.txt"},
    {ExportFormat::Csv, "selection.csv"},
    {ExportFormat::Json, "selection.json"},
    {ExportFormat::Coco, "selection.coco.json"},
    {ExportFormat::LabelStudio, "selection.labelstudio.json"},
    {ExportFormat::Cvat, "selection.cvat.jsonl"},
    {ExportFormat::Embeddings, "selection.embeddings.csv"},
};

QString goldenFolder() {
    return QStringLiteral(FREESEL_SOURCE_DIR "/tests/export/golden");
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

Provenance fixedProvenance(const QString& poolFolder) {
    Provenance p;
    p.appVersion = QStringLiteral("0.0.0-golden");
    p.backend = QStringLiteral("offline");
    p.model = QStringLiteral("offline-sift-lab");
    p.modelChecksum = QStringLiteral("sha256:0123456789abcdef");
    p.tau = 0.5;
    p.clusters = 5;
    p.eps = 1;
    p.budget = 5;
    p.seed = 2023;
    p.strategy = QStringLiteral("freesel");
    p.inputSize = QStringLiteral("224x224");
    p.device = QStringLiteral("cpu");
    p.precision = QStringLiteral("float32");
    p.created = QDateTime(QDate(2024, 1, 2), QTime(3, 4, 5, 678), Qt::UTC);
    p.poolSource = poolFolder;
    return p;
}

/// The first line where `actual` and `expected` differ, as "-expected / +actual", 1-based.
QString firstDifference(const QByteArray& expected, const QByteArray& actual) {
    const QList<QByteArray> want = expected.split('\n');
    const QList<QByteArray> got = actual.split('\n');
    for (qsizetype line = 0; line < std::max(want.size(), got.size()); ++line) {
        const QByteArray a = line < want.size() ? want[line] : QByteArray("<end of file>");
        const QByteArray b = line < got.size() ? got[line] : QByteArray("<end of file>");
        if (a != b)
            return QStringLiteral("line %1:\n-%2\n+%3")
                .arg(line + 1)
                .arg(QString::fromUtf8(a), QString::fromUtf8(b));
    }
    return QStringLiteral("(same lines; the bytes differ in line endings)");
}

} // namespace

class TestExportGolden : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString pool_;
    SelectionExport selection_;

    void writePool() {
        pool_ = dir_.filePath(QStringLiteral("pool"));
        int index = 0;
        for (const GoldenImage& image : kImages) {
            const QString path = QDir(pool_).filePath(QString::fromUtf8(image.relativePath));
            QVERIFY(QDir().mkpath(QFileInfo(path).path()));
            const cv::Mat pixels = scenepool::sceneImage(index++, image.width, image.height);
            QVERIFY(cv::imwrite(path.toStdString(), pixels));
        }
        std::vector<uchar> jpeg;
        QVERIFY(cv::imencode(".jpg", scenepool::sceneImage(99, 64, 48), jpeg));
        const QByteArray head(reinterpret_cast<const char*>(jpeg.data()), 200);
        QVERIFY(writeAll(QDir(pool_).filePath(QString::fromUtf8(kBroken)), head));
    }

    /// The export model as the pipeline session builds it (every pool image, sizes from the
    /// file headers), with the hand-chosen picks and per-image values.
    void buildSelection() {
        const PoolScan scan = scanPool(pool_);
        QVERIFY2(scan.ok(), qPrintable(scan.error));
        QCOMPARE(int(scan.entries.size()), int(std::size(kImages)) + 1);
        std::map<QString, int> indexOf;
        for (const PoolEntry& entry : scan.entries) {
            ExportImage image;
            image.path = entry.path;
            image.relativePath = entry.relativePath;
            if (entry.relativePath == QLatin1String(kBroken)) {
                image.failed = true;
                image.error = QString::fromUtf8(kBrokenReason);
            } else {
                const int n = int(indexOf.size());
                image.patternCount = 1 + n % 4;
                image.embedding = {0.25f * float(n), -0.5f, 1.0f / float(n + 1)};
            }
            indexOf[entry.relativePath] = int(selection_.images.size());
            selection_.images.push_back(image);
        }
        for (const GoldenPick& pick : kPicks) {
            const auto found = indexOf.find(QString::fromUtf8(pick.relativePath));
            QVERIFY2(found != indexOf.end(), pick.relativePath);
            selection_.picks.push_back(Pick{found->second, pick.score});
        }
        selection_.provenance = fixedProvenance(pool_);
        fillExportImageSizes(selection_);
    }

    QByteArray exported(ExportFormat format, const QString& name) {
        const QString path = dir_.filePath(QStringLiteral("out/") + name);
        const ExportResult result = exportSelection(selection_, format, path);
        if (!result.ok())
            qWarning("%s: %s", qPrintable(name), qPrintable(result.message()));
        QByteArray bytes = readAll(path);
        return bytes.replace(QDir(pool_).absolutePath().toUtf8(), "$POOL");
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        writePool();
        buildSelection();
    }

    // Independent of the golden files: the sizes COCO and CVAT report are the generated ones.
    void sizesAreTheGeneratedOnes() {
        const QJsonObject coco =
            QJsonDocument::fromJson(exported(ExportFormat::Coco, QStringLiteral("sizes.json")))
                .object();
        const QJsonArray images = coco.value(QStringLiteral("images")).toArray();
        QCOMPARE(images.size(), qsizetype(std::size(kPicks)));
        for (qsizetype rank = 0; rank < images.size(); ++rank) {
            const QJsonObject image = images[rank].toObject();
            const QString name = image.value(QStringLiteral("file_name")).toString();
            QCOMPARE(name, QString::fromUtf8(kPicks[rank].relativePath));
            QCOMPARE(image.value(QStringLiteral("id")).toInt(), int(rank + 1));
            const auto* expected =
                std::find_if(std::begin(kImages), std::end(kImages), [&](const GoldenImage& g) {
                    return name == QString::fromUtf8(g.relativePath);
                });
            QVERIFY(expected != std::end(kImages));
            QCOMPARE(image.value(QStringLiteral("width")).toInt(), expected->width);
            QCOMPARE(image.value(QStringLiteral("height")).toInt(), expected->height);
        }
    }

    void filesMatchTheGoldenOnes_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<QString>("name");
        for (const GoldenFile& file : kFiles)
            QTest::newRow(file.name) << int(file.format) << QString::fromUtf8(file.name);
    }

    void filesMatchTheGoldenOnes() {
        QFETCH(int, format);
        QFETCH(QString, name);
        const QByteArray actual = exported(ExportFormat(format), name);
        QVERIFY2(!actual.isEmpty(), qPrintable(name));
        QVERIFY2(!actual.contains(dir_.path().toUtf8()),
                 qPrintable(name + QStringLiteral(" names the temporary folder")));
        const QString golden = goldenFolder() + QLatin1Char('/') + name;
        if (qEnvironmentVariableIntValue("FREESEL_UPDATE_GOLDEN") == 1) {
            QVERIFY2(writeAll(golden, actual), qPrintable(golden));
            qInfo("rewrote %s", qPrintable(golden));
            return;
        }
        const QByteArray expected = readAll(golden);
        const QString regenerate =
            QStringLiteral("If the change is intended: FREESEL_UPDATE_GOLDEN=1 ctest --test-dir "
                           "build -R test_export_golden, then review git diff tests/export/golden");
        if (expected.isEmpty())
            QFAIL(qPrintable(golden + QStringLiteral(" is missing.\n") + regenerate));
        if (actual != expected)
            QFAIL(qPrintable(QStringLiteral("%1 differs from the golden file, %2\n%3")
                                 .arg(golden, firstDifference(expected, actual), regenerate)));
    }
};

QTEST_MAIN(TestExportGolden)
#include "test_export_golden.moc"
