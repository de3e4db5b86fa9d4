// SPDX-License-Identifier: GPL-3.0-or-later
// freesel compare as a user runs it: a generated pool in class folders, the report's files,
// its rows, random's exact expectation, COCO instance counts, and the refusals.
#include "support/cli_test_support.h"
#include "support/scene_pool.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <map>
#include <set>

using namespace clitest;
using scenepool::sceneImage;
using scenepool::writePool;

namespace {

constexpr int kClasses = 3;
constexpr int kPerClass = 4;

/// 12 images, 4 per class folder.
QString writeClassPool(const QTemporaryDir& dir) {
    const QString root = dir.filePath(QStringLiteral("pool"));
    for (int c = 0; c < kClasses; ++c) {
        const QString folder = QStringLiteral("%1/class%2").arg(root).arg(c);
        QDir().mkpath(folder);
        for (int i = 0; i < kPerClass; ++i)
            cv::imwrite(QStringLiteral("%1/img_%2.png").arg(folder).arg(i).toStdString(),
                        sceneImage(c * kPerClass + i));
    }
    return root;
}

struct CsvRow {
    QString strategy, budget, seed, metric;
    int images = 0;
    double value = 0;
};

std::vector<CsvRow> readCsv(const QString& path) {
    std::vector<CsvRow> rows;
    const QStringList lines = readLines(path);
    for (int i = 1; i < lines.size(); ++i) {
        const QStringList f = lines[i].split(QLatin1Char(','));
        if (f.size() == 6)
            rows.push_back({f[0], f[1], f[3], f[4], f[2].toInt(), f[5].toDouble()});
    }
    return rows;
}

QStringList baseArguments(const QString& pool, const QString& store, const QString& out) {
    return {QStringLiteral("compare"),      pool,
            QStringLiteral("--backend"),    QStringLiteral("offline"),
            QStringLiteral("--store"),      store,
            QStringLiteral("--out"),        out,
            QStringLiteral("--strategies"), QStringLiteral("freesel,random"),
            QStringLiteral("--seeds"),      QStringLiteral("2")};
}

} // namespace

class TestCliCompare : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reportWithFolderLabels() {
        QTemporaryDir dir;
        const QString pool = writeClassPool(dir);
        const QString out = dir.filePath(QStringLiteral("report"));
        const Run run = runFreesel(baseArguments(pool, dir.filePath(QStringLiteral("store")), out)
                                   << QStringLiteral("--budgets") << QStringLiteral("3,50%")
                                   << QStringLiteral("--labels") << pool);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        for (const char* name : {"summary.csv", "summary.json", "index.html", "coverage.svg",
                                 "coverage.png", "classes_covered.svg", "pattern_coverage.png"})
            QVERIFY2(QFileInfo::exists(QDir(out).filePath(QLatin1String(name))), name);

        const std::vector<CsvRow> rows = readCsv(QDir(out).filePath(QStringLiteral("summary.csv")));
        // 2 budgets x 2 strategies x 2 seeds x 9 metrics, and random's expectation per budget.
        QCOMPARE(int(rows.size()), 2 * 2 * 2 * 9 + 2);
        const int n = kClasses * kPerClass;
        for (const CsvRow& row : rows) {
            QVERIFY(row.images == 3 || row.images == n / 2);
            if (row.metric == QLatin1String("classes_covered") && row.seed != "expected") {
                QVERIFY(row.value >= 1 && row.value <= kClasses);
                QCOMPARE(row.value, std::round(row.value));
            }
            if (row.seed == QLatin1String("expected")) {
                // Each class of 4 among 12 is missed by B draws with C(8, B) / C(12, B).
                const double missed = row.images == 3 ? 56.0 / 220.0 : 28.0 / 924.0;
                QVERIFY2(std::abs(row.value - kClasses * (1 - missed)) < 1e-9,
                         qPrintable(QString::number(row.value)));
            }
        }
        // Seeds are the base seed and the next one; both strategies ran both.
        std::map<QString, std::set<QString>> seeds;
        for (const CsvRow& row : rows)
            if (row.seed != QLatin1String("expected"))
                seeds[row.strategy].insert(row.seed);
        QCOMPARE(seeds[QStringLiteral("freesel")], (std::set<QString>{"0", "1"}));
        QCOMPARE(seeds[QStringLiteral("random")], (std::set<QString>{"0", "1"}));

        const QJsonObject json =
            QJsonDocument::fromJson(readAll(QDir(out).filePath(QStringLiteral("summary.json"))))
                .object();
        QCOMPARE(json.value(QStringLiteral("format")).toString(),
                 QStringLiteral("freesel-comparison"));
        QCOMPARE(json.value(QStringLiteral("values")).toArray().size(), qsizetype(rows.size()));
        QCOMPARE(json.value(QStringLiteral("classes")).toArray().size(), qsizetype(kClasses));
        const QByteArray html = readAll(QDir(out).filePath(QStringLiteral("index.html")));
        QVERIFY(html.contains("<svg") && html.contains("summary.csv"));
        // Self-contained: every file the page links to is in the report.
        const QRegularExpression link(QStringLiteral("(?:href|src)='([^']+)'"));
        int links = 0;
        for (auto it = link.globalMatch(QString::fromUtf8(html)); it.hasNext(); ++links) {
            const QString target = it.next().captured(1);
            QVERIFY2(QFileInfo::exists(QDir(out).filePath(target)), qPrintable(target));
        }
        QVERIFY(links >= 2);
    }

    void cocoCountsEveryBox() {
        QTemporaryDir dir;
        const QString pool = writePool(dir, 6);
        // Image i has i % 3 + 1 boxes of categories 1..(i % 3 + 1).
        QJsonArray images, annotations;
        int boxes = 0;
        for (int i = 0; i < 6; ++i) {
            images.append(
                QJsonObject{{QStringLiteral("id"), i},
                            {QStringLiteral("file_name"),
                             QStringLiteral("img_%1.png").arg(i, 3, 10, QLatin1Char('0'))}});
            for (int b = 0; b < i % 3 + 1; ++b)
                annotations.append(
                    QJsonObject{{QStringLiteral("id"), boxes++},
                                {QStringLiteral("image_id"), i},
                                {QStringLiteral("category_id"), b + 1},
                                {QStringLiteral("bbox"), QJsonArray{0, 0, 10 + b, 10}}});
        }
        QJsonArray categories;
        for (int c = 1; c <= 3; ++c)
            categories.append(
                QJsonObject{{QStringLiteral("id"), c},
                            {QStringLiteral("name"), QStringLiteral("cat%1").arg(c)}});
        const QString coco = dir.filePath(QStringLiteral("instances.json"));
        QVERIFY(
            writeFile(coco, QJsonDocument(QJsonObject{{QStringLiteral("images"), images},
                                                      {QStringLiteral("annotations"), annotations},
                                                      {QStringLiteral("categories"), categories}})
                                .toJson()));
        const QString out = dir.filePath(QStringLiteral("report"));
        const Run run = runFreesel(baseArguments(pool, dir.filePath(QStringLiteral("store")), out)
                                   << QStringLiteral("--budgets") << QStringLiteral("100%")
                                   << QStringLiteral("--labels") << coco);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        int checked = 0;
        for (const CsvRow& row : readCsv(QDir(out).filePath(QStringLiteral("summary.csv")))) {
            // Every image selected: every box and every category counts.
            if (row.metric == QLatin1String("instances")) {
                QCOMPARE(row.value, double(boxes));
                ++checked;
            }
            if (row.metric == QLatin1String("categories_covered")) {
                QCOMPARE(row.value, 3.0);
                ++checked;
            }
        }
        QCOMPARE(checked, 2 * 2 * 2); // two metrics, two strategies, two seeds
    }

    void evaluatesSelectionsMadeElsewhere() {
        // `select` with random seed 0 picks what compare's random seed 0 picks (same store,
        // same pattern seed): measured through --evaluate, its metrics must be random's. The
        // whole pool covers every pattern with itself: pattern coverage 0.
        QTemporaryDir dir;
        const QString pool = writeClassPool(dir);
        const QString store = dir.filePath(QStringLiteral("store"));
        const QString picked = dir.filePath(QStringLiteral("picked.txt"));
        const Run select = runFreesel(
            {QStringLiteral("select"), pool, QStringLiteral("--backend"), QStringLiteral("offline"),
             QStringLiteral("--store"), store, QStringLiteral("--strategy"),
             QStringLiteral("random"), QStringLiteral("--seed"), QStringLiteral("0"),
             QStringLiteral("--budget"), QStringLiteral("4"), QStringLiteral("--out"), picked});
        QVERIFY2(select.exitCode == 0, qPrintable(select.err));
        const QString everything = dir.filePath(QStringLiteral("all.txt"));
        QStringList all;
        for (const QFileInfo& f : QDir(pool).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot))
            for (const QFileInfo& image : QDir(f.filePath()).entryInfoList(QDir::Files))
                all << image.absoluteFilePath();
        QVERIFY(writeFile(everything, all.join(QLatin1Char('\n')).toUtf8()));
        const QString out = dir.filePath(QStringLiteral("report"));
        QStringList arguments = baseArguments(pool, store, out);
        arguments[arguments.indexOf(QStringLiteral("freesel,random"))] = QStringLiteral("random");
        arguments[arguments.indexOf(QStringLiteral("--seeds")) + 1] = QStringLiteral("1");
        const Run run =
            runFreesel(arguments << QStringLiteral("--budgets") << QStringLiteral("4")
                                 << QStringLiteral("--evaluate")
                                 << QStringLiteral("mine=%1,%2").arg(picked, everything));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        std::map<QString, std::map<QString, double>> value; // strategy|seed -> metric -> value
        for (const CsvRow& row : readCsv(QDir(out).filePath(QStringLiteral("summary.csv"))))
            value[row.strategy + QLatin1Char('|') + QString::number(row.images)][row.metric] =
                row.value;
        const auto& random = value[QStringLiteral("random|4")];
        const auto& mine = value[QStringLiteral("mine|4")];
        const auto& whole = value[QStringLiteral("mine|%1").arg(kClasses * kPerClass)];
        QVERIFY(!random.empty() && !mine.empty() && !whole.empty());
        for (const char* metric :
             {"pattern_coverage", "global_mean_distance", "global_radius", "redundancy"})
            QVERIFY2(std::abs(mine.at(QLatin1String(metric)) - random.at(QLatin1String(metric))) <
                         1e-12,
                     metric);
        QVERIFY(!mine.count(QStringLiteral("seconds"))); // not timed: made elsewhere
        QVERIFY(std::abs(whole.at(QStringLiteral("pattern_coverage"))) < 1e-6);
        QVERIFY(std::abs(whole.at(QStringLiteral("global_radius"))) < 1e-6);

        // Only --evaluate: no strategy runs. Bad items are refused naming the option.
        const Run alone = runFreesel({QStringLiteral("compare"), pool, QStringLiteral("--backend"),
                                      QStringLiteral("offline"), QStringLiteral("--store"), store,
                                      QStringLiteral("--out"), out, QStringLiteral("--evaluate"),
                                      QStringLiteral("mine=") + picked});
        QVERIFY2(alone.exitCode == 0, qPrintable(alone.err));
        for (const CsvRow& row : readCsv(QDir(out).filePath(QStringLiteral("summary.csv"))))
            QCOMPARE(row.strategy, QStringLiteral("mine"));
        for (const QString& bad : {QStringLiteral("=x.txt"), QStringLiteral("mine="),
                                   QStringLiteral("mine=") + dir.filePath(QStringLiteral("missing.txt"))}) {
            const Run refused =
                runFreesel({QStringLiteral("compare"), pool, QStringLiteral("--backend"),
                            QStringLiteral("offline"), QStringLiteral("--store"), store,
                            QStringLiteral("--out"), out, QStringLiteral("--evaluate"), bad});
            QCOMPARE(refused.exitCode, 2);
            QVERIFY2(refused.err.contains(QStringLiteral("--evaluate")), qPrintable(refused.err));
        }
    }

    void badRequestsAreRefusedNamingTheOption() {
        QTemporaryDir dir;
        const QString pool = writePool(dir, 4);
        const QString store = dir.filePath(QStringLiteral("store"));
        const QString out = dir.filePath(QStringLiteral("report"));
        const Run zero = runFreesel(baseArguments(pool, store, out)
                                    << QStringLiteral("--budgets") << QStringLiteral("1%"));
        QCOMPARE(zero.exitCode, 2);
        QVERIFY2(zero.err.contains(QStringLiteral("--budgets")), qPrintable(zero.err));
        const Run labels = runFreesel(baseArguments(pool, store, out)
                                      << QStringLiteral("--labels")
                                      << dir.filePath(QStringLiteral("missing.csv")));
        QCOMPARE(labels.exitCode, 2);
        QVERIFY2(labels.err.contains(QStringLiteral("missing.csv")), qPrintable(labels.err));
        const QString broken = dir.filePath(QStringLiteral("broken.csv"));
        QVERIFY(writeFile(broken, "path,label\nimg_000.png,a\nno comma here\n"));
        const Run malformed =
            runFreesel(baseArguments(pool, store, out) << QStringLiteral("--labels") << broken);
        QCOMPARE(malformed.exitCode, 2);
        QVERIFY2(malformed.err.contains(broken) && malformed.err.contains(QStringLiteral("line 3")),
                 qPrintable(malformed.err));
        const Run strategy =
            runFreesel({QStringLiteral("compare"), pool, QStringLiteral("--out"), out,
                        QStringLiteral("--strategies"), QStringLiteral("best")});
        QCOMPARE(strategy.exitCode, 2);
        QVERIFY2(strategy.err.contains(QStringLiteral("--strategies")), qPrintable(strategy.err));
        QVERIFY(!QFileInfo::exists(QDir(out).filePath(QStringLiteral("index.html"))));
    }
};

QTEST_GUILESS_MAIN(TestCliCompare)
#include "test_cli_compare.moc"
