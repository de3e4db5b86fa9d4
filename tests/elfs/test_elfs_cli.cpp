// SPDX-License-Identifier: GPL-3.0-or-later
// `freesel select --strategy elfs` end to end on generated images (offline backend): the CSV
// carries pseudo-labels and scores, the selection is the double-end window of the exported
// AUM, the run is reproducible across runs and thread counts, and bad parameters exit 2.
#include "support/cli_test_support.h"
#include "support/scene_pool.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <set>

using clitest::readLines;
using clitest::Run;
using clitest::runFreesel;

namespace {

QStringList elfsArguments(const QString& pool, const QString& store, const QString& out,
                          const QStringList& extra = {}) {
    return QStringList{QStringLiteral("select"),          pool,
                       QStringLiteral("--store"),         store,
                       QStringLiteral("--backend"),       QStringLiteral("offline"),
                       QStringLiteral("--input-size"),    QStringLiteral("96"),
                       QStringLiteral("--budget"),        QStringLiteral("25%"),
                       QStringLiteral("--seed"),          QStringLiteral("7"),
                       QStringLiteral("--strategy"),      QStringLiteral("elfs"),
                       QStringLiteral("--elfs-clusters"), QStringLiteral("3"),
                       QStringLiteral("--elfs-epochs"),   QStringLiteral("6"),
                       QStringLiteral("--format"),        QStringLiteral("csv"),
                       QStringLiteral("--out"),           out} +
           extra;
}

struct Row {
    QString path;
    bool selected = false;
    int label = -1;
    double aum = 0.0;
};

/// The CSV has no quoted fields here (generated paths hold no commas).
std::vector<Row> readRows(const QString& csv) {
    const QStringList lines = readLines(csv);
    std::vector<Row> rows;
    for (const QString& line : lines.mid(1)) {
        const QStringList f = line.trimmed().split(QLatin1Char(','));
        rows.push_back({f[0], f[4] == QLatin1String("1"), f[7].toInt(), f[8].toDouble()});
    }
    return rows;
}

} // namespace

class TestElfsCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void selectsTheWindowAndExportsScores() {
        QTemporaryDir dir;
        const QString pool = scenepool::writePool(dir, 24);
        const QString store = dir.filePath(QStringLiteral("store"));
        const QString csv = dir.filePath(QStringLiteral("elfs.csv"));
        const Run run = runFreesel(elfsArguments(pool, store, csv));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.err.contains(QStringLiteral("rank correlation of AUM")), qPrintable(run.err));
        const QStringList lines = readLines(csv);
        QCOMPARE(lines.first().trimmed(),
                 QStringLiteral("path,rank,score,n_patterns,selected,status,error,pseudo_label,"
                                "aum,forgetting,el2n"));
        const std::vector<Row> rows = readRows(csv);
        QCOMPARE(int(rows.size()), 24);
        std::set<int> labels;
        for (const Row& row : rows) {
            QVERIFY(row.label >= 0 && row.label < 3);
            labels.insert(row.label);
        }
        QVERIFY(labels.size() > 1);
        // r = 6/24 = 0.25: default beta 0.45 (between 0.5 at 0.2 and 0.4 at 0.3), m = 10: the
        // selection is ranks 10..15 of AUM ascending.
        std::vector<Row> byAum = rows;
        std::stable_sort(byAum.begin(), byAum.end(),
                         [](const Row& a, const Row& b) { return a.aum < b.aum; });
        std::set<QString> window, selected;
        for (int i = 10; i < 16; ++i)
            window.insert(byAum[size_t(i)].path);
        for (const Row& row : rows)
            if (row.selected)
                selected.insert(row.path);
        QCOMPARE(selected, window);

        // Same result again (from the store) and with another thread count.
        const QString again = dir.filePath(QStringLiteral("again.csv"));
        const QString oneThread = dir.filePath(QStringLiteral("one.csv"));
        QCOMPARE(runFreesel(elfsArguments(pool, store, again)).exitCode, 0);
        QCOMPARE(runFreesel(elfsArguments(pool, store, oneThread,
                                          {QStringLiteral("--threads"), QStringLiteral("1")}))
                     .exitCode,
                 0);
        QCOMPARE(clitest::readAll(again), clitest::readAll(csv));
        QCOMPARE(clitest::readAll(oneThread), clitest::readAll(csv));

        // CCS mode and another score select the budget too.
        const QString ccs = dir.filePath(QStringLiteral("ccs.csv"));
        QCOMPARE(runFreesel(
                     elfsArguments(pool, store, ccs,
                                   {QStringLiteral("--elfs-mode"), QStringLiteral("ccs"),
                                    QStringLiteral("--elfs-score"), QStringLiteral("forgetting")}))
                     .exitCode,
                 0);
        const std::vector<Row> ccsRows = readRows(ccs);
        QCOMPARE(int(std::count_if(ccsRows.begin(), ccsRows.end(),
                                   [](const Row& r) { return r.selected; })),
                 6);

        // TEMI pseudo-labels: still K labels in range and the budget; the run says so.
        const QString temi = dir.filePath(QStringLiteral("temi.csv"));
        const Run temiRun =
            runFreesel(elfsArguments(pool, store, temi,
                                     {QStringLiteral("--elfs-clusterer"), QStringLiteral("temi"),
                                      QStringLiteral("--elfs-temi-epochs"), QStringLiteral("5")}));
        QVERIFY2(temiRun.exitCode == 0, qPrintable(temiRun.err));
        QVERIFY2(temiRun.err.contains(QStringLiteral("pseudo-labels by TEMI (16 heads, 5 epochs")),
                 qPrintable(temiRun.err));
        const std::vector<Row> temiRows = readRows(temi);
        QCOMPARE(int(std::count_if(temiRows.begin(), temiRows.end(),
                                   [](const Row& r) { return r.selected; })),
                 6);
        for (const Row& row : temiRows)
            QVERIFY(row.label >= 0 && row.label < 3);
    }

    void resnetProxyStatesItsTimeFirst() {
        QTemporaryDir dir;
        const QString pool = scenepool::writePool(dir, 12);
        const QString store = dir.filePath(QStringLiteral("store"));
        const QString csv = dir.filePath(QStringLiteral("resnet.csv"));
        const Run run =
            runFreesel(elfsArguments(pool, store, csv,
                                     {QStringLiteral("--elfs-proxy"), QStringLiteral("resnet18"),
                                      QStringLiteral("--elfs-image-size"), QStringLiteral("16"),
                                      QStringLiteral("--elfs-epochs"), QStringLiteral("2"),
                                      QStringLiteral("--device"), QStringLiteral("cpu")}));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        // The estimate comes before the proxy's result notes (printed when it is done).
        const qsizetype estimate =
            run.err.indexOf(QStringLiteral("note: ELFS: ResNet-18 proxy, 12 "
                                           "images at 16x16, 2 epochs: about"));
        QVERIFY2(estimate >= 0, qPrintable(run.err));
        QVERIFY(estimate < run.err.indexOf(QStringLiteral("rank correlation of AUM")));
        const std::vector<Row> rows = readRows(csv);
        QCOMPARE(
            int(std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.selected; })),
            3);
        for (const Row& row : rows)
            QVERIFY(std::isfinite(row.aum));
        const Run bad =
            runFreesel(elfsArguments(pool, store, csv,
                                     {QStringLiteral("--elfs-proxy"), QStringLiteral("resnet18"),
                                      QStringLiteral("--elfs-image-size"), QStringLiteral("4")}));
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(QStringLiteral("--elfs-image-size")), qPrintable(bad.err));
    }

    void badParametersExitTwo() {
        QTemporaryDir dir;
        const QString pool = scenepool::writePool(dir, 8);
        const QString store = dir.filePath(QStringLiteral("store"));
        const QString out = dir.filePath(QStringLiteral("x.csv"));
        const std::vector<std::pair<QStringList, QString>> cases = {
            {{QStringLiteral("--elfs-beta"), QStringLiteral("1.5")}, QStringLiteral("--elfs-beta")},
            {{QStringLiteral("--elfs-mode"), QStringLiteral("middle")},
             QStringLiteral("--elfs-mode")},
            {{QStringLiteral("--elfs-score"), QStringLiteral("loss")},
             QStringLiteral("--elfs-score")},
            {{QStringLiteral("--elfs-epochs"), QStringLiteral("0")},
             QStringLiteral("--elfs-epochs")},
            {{QStringLiteral("--elfs-clusters"), QStringLiteral("50")},
             QStringLiteral("--elfs-clusters")},
            {{QStringLiteral("--elfs-clusterer"), QStringLiteral("dbscan")},
             QStringLiteral("--elfs-clusterer")},
            {{QStringLiteral("--elfs-proxy"), QStringLiteral("vgg")},
             QStringLiteral("--elfs-proxy")},
            {{QStringLiteral("--elfs-temi-epochs"), QStringLiteral("0")},
             QStringLiteral("--elfs-temi-epochs")},
            {{QStringLiteral("--elfs-clusterer"), QStringLiteral("temi"),
              QStringLiteral("--elfs-clusters"), QStringLiteral("50")},
             QStringLiteral("--elfs-clusters")},
        };
        for (const auto& [extra, message] : cases) {
            const Run run = runFreesel(elfsArguments(pool, store, out) + extra);
            QVERIFY2(run.exitCode == 2, qPrintable(extra.join(QLatin1Char(' ')) + run.err));
            QVERIFY2(run.err.contains(message), qPrintable(run.err));
        }
    }
};

QTEST_GUILESS_MAIN(TestElfsCli)
#include "test_elfs_cli.moc"
