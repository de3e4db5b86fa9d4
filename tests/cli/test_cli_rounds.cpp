// SPDX-License-Identifier: GPL-3.0-or-later
// Continued rounds through the CLI (issue 18): --labeled with a list or an earlier export,
// --exclude, --include (images chosen by hand), and what the user hears about names the pool
// does not hold.
#include "support/cli_test_support.h"
#include "support/scene_pool.h"

#include <QJsonObject>
#include <QtTest>

using clitest::readLines;
using clitest::Run;
using clitest::runFreesel;
using scenepool::writePool;

namespace {

QStringList selectArguments(const QString& pool, const QString& store, const QString& strategy,
                            int budget, const QString& out) {
    return {QStringLiteral("select"),       pool,
            QStringLiteral("--store"),      store,
            QStringLiteral("--backend"),    QStringLiteral("offline"),
            QStringLiteral("--input-size"), QStringLiteral("96"),
            QStringLiteral("--strategy"),   strategy,
            QStringLiteral("--budget"),     QString::number(budget),
            QStringLiteral("--seed"),       QStringLiteral("5"),
            QStringLiteral("--out"),        out};
}

void writeLines(const QString& path, const QStringList& lines) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write((lines.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8());
}

} // namespace

class TestCliRounds : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void secondRoundContinuesTheFirst_data();
    void secondRoundContinuesTheFirst();
    void excludedImagesAreNeverSelected();
    void includedImagesComeFirstAndSeedTheRest_data();
    void includedImagesComeFirstAndSeedTheRest();
    void includedAndExcludedTogetherIsRefused();
    void unknownNamesAreReportedAndBadListsRefused();
    void patternRowsInAFileSelectTheSame_data();
    void patternRowsInAFileSelectTheSame();

private:
    QTemporaryDir dir_;
    QString pool_, store_;
};

void TestCliRounds::initTestCase() {
    pool_ = writePool(dir_, 40);
    store_ = dir_.filePath(QStringLiteral("store"));
}

void TestCliRounds::secondRoundContinuesTheFirst_data() {
    QTest::addColumn<QString>("firstRoundFile"); // the export format of round one
    QTest::newRow("a path list") << QStringLiteral("round1.txt");
    QTest::newRow("a CSV export") << QStringLiteral("round1.csv");
    QTest::newRow("a JSON export") << QStringLiteral("round1.json");
}

// FDS is deterministic after its first pick: 10 images, then 10 more with --labeled, must be
// the 20 of one run, in order.
void TestCliRounds::secondRoundContinuesTheFirst() {
    QFETCH(QString, firstRoundFile);
    const QString all = dir_.filePath(QStringLiteral("all.txt"));
    Run run = runFreesel(selectArguments(pool_, store_, QStringLiteral("fds"), 20, all));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QStringList twenty = readLines(all);
    QCOMPARE(twenty.size(), 20);

    const QString first = dir_.filePath(firstRoundFile);
    run = runFreesel(selectArguments(pool_, store_, QStringLiteral("fds"), 10, first));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QString second = dir_.filePath(QStringLiteral("round2.txt"));
    run = runFreesel(selectArguments(pool_, store_, QStringLiteral("fds"), 10, second) +
                     QStringList{QStringLiteral("--labeled"), first});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY2(!run.err.contains(QStringLiteral("warning")), qPrintable(run.err));
    QCOMPARE(readLines(second), twenty.mid(10));
}

void TestCliRounds::excludedImagesAreNeverSelected() {
    const QString all = dir_.filePath(QStringLiteral("random-all.txt"));
    Run run = runFreesel(selectArguments(pool_, store_, QStringLiteral("random"), 40, all));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QStringList everything = readLines(all);
    QCOMPARE(everything.size(), 40);
    const QStringList rejected = everything.mid(3, 6);
    const QString list = dir_.filePath(QStringLiteral("rejected.txt"));
    writeLines(list, rejected);
    for (const QString& strategy :
         {QStringLiteral("freesel"), QStringLiteral("random"), QStringLiteral("kmeans")}) {
        const QString out = dir_.filePath(strategy + QStringLiteral("-excluded.txt"));
        run = runFreesel(selectArguments(pool_, store_, strategy, 40, out) +
                         QStringList{QStringLiteral("--exclude"), list});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QStringList picked = readLines(out);
        QCOMPARE(picked.size(), 34); // the budget covers every candidate
        for (const QString& image : rejected)
            QVERIFY2(!picked.contains(image), qPrintable(strategy + QStringLiteral(": ") + image));
    }
}

void TestCliRounds::includedImagesComeFirstAndSeedTheRest_data() {
    QTest::addColumn<QString>("strategy");
    QTest::newRow("fds") << QStringLiteral("fds");
    QTest::newRow("freesel") << QStringLiteral("freesel");
    QTest::newRow("kmeans") << QStringLiteral("kmeans");
    QTest::newRow("random") << QStringLiteral("random");
}

// Two images included by hand are the first two picks and count in the budget of 8; the other
// six are what the strategy draws with the two as labelled seeds and a budget of 6.
void TestCliRounds::includedImagesComeFirstAndSeedTheRest() {
    QFETCH(QString, strategy);
    const QString all = dir_.filePath(strategy + QStringLiteral("-everything.txt"));
    Run run = runFreesel(selectArguments(pool_, store_, QStringLiteral("random"), 40, all));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QStringList chosen = readLines(all).mid(20, 2);
    const QString list = dir_.filePath(strategy + QStringLiteral("-chosen.txt"));
    writeLines(list, chosen);

    const QString included = dir_.filePath(strategy + QStringLiteral("-included.txt"));
    run = runFreesel(selectArguments(pool_, store_, strategy, 8, included) +
                     QStringList{QStringLiteral("--include"), list});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QStringList picked = readLines(included);
    QCOMPARE(picked.size(), 8);
    QCOMPARE(picked.mid(0, 2), chosen);
    const QString seeded = dir_.filePath(strategy + QStringLiteral("-seeded.txt"));
    run = runFreesel(selectArguments(pool_, store_, strategy, 6, seeded) +
                     QStringList{QStringLiteral("--labeled"), list});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QCOMPARE(picked.mid(2), readLines(seeded));
}

void TestCliRounds::includedAndExcludedTogetherIsRefused() {
    const QString all = dir_.filePath(QStringLiteral("conflict-all.txt"));
    Run run = runFreesel(selectArguments(pool_, store_, QStringLiteral("random"), 3, all));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QString list = dir_.filePath(QStringLiteral("both.txt"));
    writeLines(list, readLines(all));
    run = runFreesel(
        selectArguments(pool_, store_, QStringLiteral("freesel"), 5,
                        dir_.filePath(QStringLiteral("conflict.txt"))) +
        QStringList{QStringLiteral("--include"), list, QStringLiteral("--exclude"), list});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(QStringLiteral("is both included and excluded")),
             qPrintable(run.err));
    QVERIFY2(run.err.contains(readLines(all).first()) || run.err.contains(readLines(all).at(1)) ||
                 run.err.contains(readLines(all).at(2)),
             qPrintable(run.err));
}

void TestCliRounds::unknownNamesAreReportedAndBadListsRefused() {
    const QString first = dir_.filePath(QStringLiteral("few.txt"));
    Run run = runFreesel(selectArguments(pool_, store_, QStringLiteral("freesel"), 4, first));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QString list = dir_.filePath(QStringLiteral("with-unknown.txt"));
    writeLines(list, readLines(first) << QStringLiteral("/nowhere/else.jpg"));
    const QString out = dir_.filePath(QStringLiteral("next.txt"));
    run = runFreesel(selectArguments(pool_, store_, QStringLiteral("freesel"), 4, out) +
                     QStringList{QStringLiteral("--labeled"), list});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY2(run.err.contains(QStringLiteral("1 of the 5 labeled images are not in the pool")),
             qPrintable(run.err));
    QVERIFY(run.err.contains(QStringLiteral("/nowhere/else.jpg")));
    for (const QString& image : readLines(out))
        QVERIFY(!readLines(first).contains(image));

    const QString missing = dir_.filePath(QStringLiteral("no-such-list.txt"));
    run = runFreesel(selectArguments(pool_, store_, QStringLiteral("freesel"), 4, out) +
                     QStringList{QStringLiteral("--exclude"), missing});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(missing), qPrintable(run.err));
}

void TestCliRounds::patternRowsInAFileSelectTheSame_data() {
    QTest::addColumn<QString>("strategy");
    QTest::addColumn<bool>("withExclusion"); // the candidates are then a copy of the pool
    QTest::newRow("freesel") << QStringLiteral("freesel") << false;
    QTest::newRow("freesel, some excluded") << QStringLiteral("freesel") << true;
    QTest::newRow("fds, some excluded") << QStringLiteral("fds") << true;
}

// --pattern-rows file keeps the semantic patterns in a file beside the store (issue 18: pools
// larger than memory); the selection, scores included, is the one made in memory.
void TestCliRounds::patternRowsInAFileSelectTheSame() {
    QFETCH(QString, strategy);
    QFETCH(bool, withExclusion);
    QStringList extra;
    if (withExclusion) {
        const QString all = dir_.filePath(QStringLiteral("rows-all.txt"));
        const Run run =
            runFreesel(selectArguments(pool_, store_, QStringLiteral("random"), 40, all));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QString list = dir_.filePath(QStringLiteral("rows-excluded.txt"));
        writeLines(list, readLines(all).mid(5, 7));
        extra << QStringLiteral("--exclude") << list;
    }
    QStringList exports;
    for (const QString& rows : {QStringLiteral("memory"), QStringLiteral("file")}) {
        const QString out =
            dir_.filePath(strategy + QStringLiteral("-rows-") + rows + QStringLiteral(".csv"));
        const Run run = runFreesel(
            selectArguments(pool_, store_, strategy, 12, out) + extra +
            QStringList{QStringLiteral("--pattern-rows"), rows, QStringLiteral("--json")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(run.json().value(QStringLiteral("pattern_rows")).toString(), rows);
        exports << readLines(out).join(QLatin1Char('\n'));
    }
    QVERIFY(exports.at(0).count(QLatin1Char('\n')) >= 12);
    QCOMPARE(exports.at(1), exports.at(0));

    const Run refused = runFreesel(
        selectArguments(pool_, store_, strategy, 12, dir_.filePath(QStringLiteral("x.csv"))) +
        QStringList{QStringLiteral("--pattern-rows"), QStringLiteral("disk")});
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains(QStringLiteral("--pattern-rows must be auto, memory or file")),
             qPrintable(refused.err));
}

QTEST_GUILESS_MAIN(TestCliRounds)
#include "test_cli_rounds.moc"
