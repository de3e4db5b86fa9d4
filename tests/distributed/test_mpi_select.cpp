// SPDX-License-Identifier: GPL-3.0-or-later
// freesel select --mpi under mpiexec -n 1..4 writes the selection of the single-process run:
// the same images in the same order with the same scores (docs/SCALE.md), with the pattern
// rows in memory or in a file.
#include "support/cli_test_support.h"
#include "support/scene_pool.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

class TestMpiSelect : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ranksSelectWhatOneProcessSelects_data();
    void ranksSelectWhatOneProcessSelects();
    void unsupportedRequestsAreRefused();
};

namespace {

/// path, rank and score of each selected image of a CSV export (the columns both runs write).
QStringList picksOf(const QString& csv) {
    const QStringList lines = clitest::readLines(csv);
    if (lines.isEmpty())
        return {};
    const QStringList header = lines.first().split(QLatin1Char(','));
    const auto path = header.indexOf(QStringLiteral("path"));
    const auto rank = header.indexOf(QStringLiteral("rank"));
    const auto score = header.indexOf(QStringLiteral("score"));
    QStringList picks;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList cells = lines[i].split(QLatin1Char(','));
        if (cells.value(rank).isEmpty())
            continue; // an image that was not selected
        picks << cells.value(path) + QLatin1Char('|') + cells.value(rank) + QLatin1Char('|') +
                     cells.value(score);
    }
    return picks;
}

QStringList selectArguments(const QString& pool, const QString& store, const QString& strategy,
                            const QString& out) {
    return {QStringLiteral("select"),       pool,
            QStringLiteral("--store"),      store,
            QStringLiteral("--backend"),    QStringLiteral("offline"),
            QStringLiteral("--input-size"), QStringLiteral("64"),
            QStringLiteral("--budget"),     QStringLiteral("12"),
            QStringLiteral("--seed"),       QStringLiteral("17"),
            QStringLiteral("--strategy"),   strategy,
            QStringLiteral("--format"),     QStringLiteral("csv"),
            QStringLiteral("--out"),        out};
}

} // namespace

void TestMpiSelect::ranksSelectWhatOneProcessSelects_data() {
    QTest::addColumn<QString>("strategy");
    QTest::newRow("freesel") << QStringLiteral("freesel");
    QTest::newRow("fds") << QStringLiteral("fds");
}

void TestMpiSelect::ranksSelectWhatOneProcessSelects() {
    QFETCH(QString, strategy);
    QTemporaryDir dir;
    const QString pool = scenepool::writePool(dir, 30, 128, 96, true);
    const QString store = dir.filePath(QStringLiteral("store"));
    const QString single = dir.filePath(QStringLiteral("single.csv"));
    const clitest::Run run = clitest::runFreesel(selectArguments(pool, store, strategy, single));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QStringList expected = picksOf(single);
    QCOMPARE(expected.size(), 12);
    QVERIFY(!expected.at(1).endsWith(QLatin1Char('|'))); // a score (rank 1 has none)
    for (int ranks = 1; ranks <= 4; ++ranks) {
        const QString out = dir.filePath(QStringLiteral("ranks%1.csv").arg(ranks));
        // Even rank counts keep each share's pattern rows in a file (--pattern-rows file).
        const QString rows = ranks % 2 == 0 ? QStringLiteral("file") : QStringLiteral("memory");
        QProcess mpi;
        mpi.start(QStringLiteral(FREESEL_MPIEXEC),
                  QStringList{QStringLiteral("--oversubscribe"), QStringLiteral("-n"),
                              QString::number(ranks), QStringLiteral(FREESEL_CLI_PATH)} +
                          selectArguments(pool, store, strategy, out)
                      << QStringLiteral("--mpi") << QStringLiteral("--pattern-rows") << rows);
        QVERIFY(mpi.waitForFinished(240000));
        QVERIFY2(mpi.exitCode() == 0, mpi.readAllStandardError().constData());
        QCOMPARE(picksOf(out), expected);
    }
}

void TestMpiSelect::unsupportedRequestsAreRefused() {
    QTemporaryDir dir;
    const QString pool = scenepool::writePool(dir, 4, 64, 64, true);
    QStringList arguments =
        selectArguments(pool, dir.filePath(QStringLiteral("store")), QStringLiteral("random"),
                        dir.filePath(QStringLiteral("out.csv")));
    const clitest::Run run = clitest::runFreesel(arguments << QStringLiteral("--mpi"));
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(QStringLiteral("--mpi runs --strategy freesel or fds")),
             qPrintable(run.err));
}

QTEST_GUILESS_MAIN(TestMpiSelect)
#include "test_mpi_select.moc"
