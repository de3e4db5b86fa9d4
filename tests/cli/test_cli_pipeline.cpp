// SPDX-License-Identifier: GPL-3.0-or-later
// The pipeline subcommands run as real processes: extract (shards, resume after SIGKILL, store
// invalidation), merge, patterns, export round trips, info --store, and their exit codes.
#include "store/feature_store.h"
#include "store/store_format.h"
#include "support/cli_test_support.h"
#include "support/scene_pool.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QThread>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>

using clitest::readAll;
using clitest::readLines;
using clitest::Run;
using clitest::runFreesel;
using scenepool::writePool;

namespace {

const QStringList kOffline = {QStringLiteral("--backend"), QStringLiteral("offline"),
                              QStringLiteral("--input-size"), QStringLiteral("96")};

QStringList extractArguments(const QString& pool, const QString& store,
                             const QStringList& extra = {}) {
    return QStringList{QStringLiteral("extract"), pool, QStringLiteral("--store"), store} +
           kOffline + extra;
}

QStringList selectArguments(const QString& pool, const QString& store, const QString& out,
                            const QString& format = QStringLiteral("txt")) {
    return QStringList{QStringLiteral("select"),   pool,
                       QStringLiteral("--store"),  store,
                       QStringLiteral("--budget"), QStringLiteral("30%"),
                       QStringLiteral("--seed"),   QStringLiteral("7"),
                       QStringLiteral("--format"), format,
                       QStringLiteral("--out"),    out} +
           kOffline;
}

qint64 fileSize(const QString& path) {
    return QFileInfo(path).size(); // a fresh QFileInfo: never a cached size
}

/// Checks a store the way the next run would find it: it opens, and every record it keeps
/// passes its checksum (a torn tail is not a record).
void checkStoreIsSound(const QString& folder, int* records) {
    freesel::FeatureStore store;
    const freesel::Status opened = store.openForReading(folder);
    QVERIFY2(opened, qPrintable(opened.message()));
    const QStringList problems = store.verify();
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    *records = store.count();
}

void expectFailure(const QStringList& arguments, int code, const QString& message) {
    const Run run = runFreesel(arguments);
    QVERIFY2(run.exitStatus == QProcess::NormalExit, qPrintable(arguments.join(QLatin1Char(' '))));
    QVERIFY2(run.exitCode == code, qPrintable(QStringLiteral("%1 -> %2 (expected %3): %4")
                                                  .arg(arguments.join(QLatin1Char(' ')))
                                                  .arg(run.exitCode)
                                                  .arg(code)
                                                  .arg(run.err)));
    QVERIFY2(run.err.contains(message),
             qPrintable(QStringLiteral("'%1' not in: %2").arg(message, run.err)));
}

} // namespace

class TestCliPipeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void shardsMergeToTheSameSelection();
    void killedExtractionResumes();
    void changedFileIsExtractedAgain();
    void otherInputSizeIsRefused();
    void patternsSummariseTheStore();
    void exportRoundTrips();
    void infoDescribesTheStore();
    void exitCodes();
};

void TestCliPipeline::shardsMergeToTheSameSelection() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 30);
    const QString shard1 = dir.filePath(QStringLiteral("shard1"));
    const QString shard2 = dir.filePath(QStringLiteral("shard2"));
    const Run first = runFreesel(extractArguments(
        pool, shard1,
        {QStringLiteral("--shard"), QStringLiteral("1/2"), QStringLiteral("--json")}));
    QVERIFY2(first.exitCode == 0, qPrintable(first.err));
    QCOMPARE(first.json().value(QStringLiteral("images")).toInt(), 15);
    QCOMPARE(first.json().value(QStringLiteral("extracted")).toInt(), 15);
    const Run second = runFreesel(
        extractArguments(pool, shard2, {QStringLiteral("--shard"), QStringLiteral("2/2")}));
    QVERIFY2(second.exitCode == 0, qPrintable(second.err));
    const QString merged = dir.filePath(QStringLiteral("merged"));
    const Run merge = runFreesel({QStringLiteral("merge"), QStringLiteral("--out"), merged, shard2,
                                  shard1, QStringLiteral("--json")});
    QVERIFY2(merge.exitCode == 0, qPrintable(merge.err));
    QCOMPARE(merge.json().value(QStringLiteral("records")).toInt(), 30);

    QStringList fromShards = selectArguments(pool, merged, dir.filePath(QStringLiteral("a.txt")));
    fromShards << QStringLiteral("--json");
    const Run sharded = runFreesel(fromShards);
    QVERIFY2(sharded.exitCode == 0, qPrintable(sharded.err));
    QCOMPARE(sharded.json().value(QStringLiteral("extracted")).toInt(), 0); // all merged
    const Run single = runFreesel(selectArguments(pool, dir.filePath(QStringLiteral("single")),
                                                  dir.filePath(QStringLiteral("b.txt"))));
    QVERIFY2(single.exitCode == 0, qPrintable(single.err));
    const QStringList a = readLines(dir.filePath(QStringLiteral("a.txt")));
    QCOMPARE(a.size(), 9); // 30% of 30
    QCOMPARE(a, readLines(dir.filePath(QStringLiteral("b.txt"))));
}

void TestCliPipeline::killedExtractionResumes() {
    QTemporaryDir dir;
    // Textured 640x480 images at 224 px: slow enough to be killed part-way.
    const QString pool = writePool(dir, 60, 640, 480, true);
    const QStringList options = {QStringLiteral("--backend"),    QStringLiteral("offline"),
                                 QStringLiteral("--input-size"), QStringLiteral("224"),
                                 QStringLiteral("--batch-size"), QStringLiteral("1")};
    const QString reference = dir.filePath(QStringLiteral("reference"));
    const Run uninterrupted = runFreesel(
        QStringList{QStringLiteral("extract"), pool, QStringLiteral("--store"), reference} +
        options);
    QVERIFY2(uninterrupted.exitCode == 0, qPrintable(uninterrupted.err));
    const QString referenceLog =
        reference + QLatin1Char('/') + QLatin1String(freesel::store_format::kRecordsFileName);
    const qint64 recordBytes =
        (fileSize(referenceLog) - qint64(sizeof(freesel::store_format::FileHeader))) / 60;
    QVERIFY(recordBytes > 0);

    const QString store = dir.filePath(QStringLiteral("resumed"));
    const QString log =
        store + QLatin1Char('/') + QLatin1String(freesel::store_format::kRecordsFileName);
    // Five kills at random points: the record count to wait for is drawn in five successive
    // windows of the pool, then the kill lands a random 0-15 ms later (mid-batch: images
    // decoded and described but not yet stored are lost and redone). The seed differs per run
    // and is printed; FREESEL_TEST_KILL_SEED replays one.
    const quint32 seed = qEnvironmentVariableIsSet("FREESEL_TEST_KILL_SEED")
                             ? quint32(qEnvironmentVariable("FREESEL_TEST_KILL_SEED").toUInt())
                             : QRandomGenerator::global()->generate();
    qInfo("kill points drawn with seed %u (FREESEL_TEST_KILL_SEED replays them)", seed);
    QRandomGenerator random(seed);
    constexpr int kKills = 5;
    int targets[kKills];
    for (int k = 0; k < kKills; ++k)
        targets[k] = 2 + k * 11 + random.bounded(0, 10); // 2..11, 13..22, ..., 46..55 of 60
    int killedPartWay = 0;
    int previous = 0;
    for (int attempt = 0; attempt < kKills; ++attempt) {
        QProcess process;
        process.setStandardOutputFile(QProcess::nullDevice());
        process.setStandardErrorFile(QProcess::nullDevice());
        process.start(
            QStringLiteral(FREESEL_CLI_PATH),
            QStringList{QStringLiteral("extract"), pool, QStringLiteral("--store"), store} +
                options);
        QVERIFY(process.waitForStarted());
        const qint64 goal =
            qint64(sizeof(freesel::store_format::FileHeader)) + targets[attempt] * recordBytes;
        QElapsedTimer timer;
        timer.start();
        while (process.state() == QProcess::Running && fileSize(log) < goal &&
               timer.elapsed() < 60000)
            QThread::usleep(500);
        // A little later, so some kills land in the middle of a record's write.
        QThread::usleep(random.bounded(0, 15000));
        process.kill(); // SIGKILL: no handler, no flush, no unlock
        QVERIFY(process.waitForFinished(10000));
        int records = 0;
        checkStoreIsSound(store, &records);
        if (QTest::currentTestFailed())
            return;
        qInfo("attempt %d: killed with %d of 60 records (+%lld torn bytes)", attempt + 1, records,
              fileSize(log) - qint64(sizeof(freesel::store_format::FileHeader)) -
                  records * recordBytes);
        QVERIFY(records >= previous); // a resumed run never loses finished records
        previous = records;
        killedPartWay += process.exitStatus() == QProcess::CrashExit && records < 60 ? 1 : 0;
    }
    QVERIFY2(killedPartWay >= 3, "the extraction finished before it could be killed");

    const Run finish =
        runFreesel(QStringList{QStringLiteral("extract"), pool, QStringLiteral("--store"), store,
                               QStringLiteral("--json")} +
                   options);
    QVERIFY2(finish.exitCode == 0, qPrintable(finish.err));
    QCOMPARE(finish.json().value(QStringLiteral("reused")).toInt() +
                 finish.json().value(QStringLiteral("extracted")).toInt(),
             60);
    QCOMPARE(finish.json().value(QStringLiteral("reused")).toInt(), previous);
    {
        freesel::FeatureStore reopened; // no repair needed: no torn tail, every checksum good
        QVERIFY(reopened.openForReading(store));
        QCOMPARE(reopened.tornBytesRemoved(), qint64(0));
        QCOMPARE(reopened.count(), 60);
        QVERIFY(reopened.verify().isEmpty());
    }
    auto selectFrom = [&](const QString& from, const QString& out) {
        return runFreesel(QStringList{QStringLiteral("select"), pool, QStringLiteral("--store"),
                                      from, QStringLiteral("--budget"), QStringLiteral("12"),
                                      QStringLiteral("--seed"), QStringLiteral("11"),
                                      QStringLiteral("--format"), QStringLiteral("csv"),
                                      QStringLiteral("--out"), dir.filePath(out)} +
                          options);
    };
    QCOMPARE(selectFrom(reference, QStringLiteral("reference.csv")).exitCode, 0);
    QCOMPARE(selectFrom(store, QStringLiteral("resumed.csv")).exitCode, 0);
    const QStringList expected = readLines(dir.filePath(QStringLiteral("reference.csv")));
    QCOMPARE(expected.size(), 61);
    QCOMPARE(readLines(dir.filePath(QStringLiteral("resumed.csv"))), expected);
}

void TestCliPipeline::changedFileIsExtractedAgain() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 8);
    const QString store = dir.filePath(QStringLiteral("store"));
    QCOMPARE(runFreesel(extractArguments(pool, store)).exitCode, 0);
    const QString changed = pool + QStringLiteral("/img_003.png");
    cv::imwrite(changed.toStdString(), scenepool::sceneImage(77));
    {
        QFile file(changed);
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.setFileTime(QDateTime::currentDateTimeUtc().addSecs(120),
                                 QFileDevice::FileModificationTime));
    }
    const Run again = runFreesel(extractArguments(pool, store, {QStringLiteral("--json")}));
    QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    QCOMPARE(again.json().value(QStringLiteral("extracted")).toInt(), 1);
    QCOMPARE(again.json().value(QStringLiteral("reused")).toInt(), 7);
    const Run info = runFreesel(
        {QStringLiteral("info"), QStringLiteral("--store"), store, QStringLiteral("--json")});
    QCOMPARE(info.exitCode, 0);
    QCOMPARE(info.json().value(QStringLiteral("images")).toInt(), 8);
    QCOMPARE(info.json().value(QStringLiteral("superseded")).toInt(), 1);
    // A selection uses the new version: the old record is never read again.
    freesel::FeatureStore opened;
    QVERIFY(opened.openForReading(store));
    const QFileInfo info2(changed);
    const int record = opened.find(info2.absoluteFilePath(), info2.size(),
                                   info2.lastModified().toMSecsSinceEpoch());
    QCOMPARE(record, 8); // the ninth record, appended by the second run
}

void TestCliPipeline::otherInputSizeIsRefused() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 4);
    const QString store = dir.filePath(QStringLiteral("store"));
    QCOMPARE(runFreesel(extractArguments(pool, store)).exitCode, 0);
    QStringList other = extractArguments(pool, store);
    other[other.indexOf(QStringLiteral("96"))] = QStringLiteral("128");
    const Run refused = runFreesel(other);
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains(QStringLiteral("fixed:96x96")), qPrintable(refused.err));
    QVERIFY2(refused.err.contains(QStringLiteral("fixed:128x128")), qPrintable(refused.err));
    QVERIFY(refused.err.contains(store));
    int records = 0;
    checkStoreIsSound(store, &records); // refused, and left as it was
    QCOMPARE(records, 4);
}

void TestCliPipeline::patternsSummariseTheStore() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 10);
    const QString store = dir.filePath(QStringLiteral("store"));
    expectFailure({QStringLiteral("patterns"), pool, QStringLiteral("--store"), store}, 2,
                  QStringLiteral("freesel extract"));
    QCOMPARE(runFreesel(extractArguments(pool, store)).exitCode, 0);
    const Run run =
        runFreesel({QStringLiteral("patterns"), pool, QStringLiteral("--store"), store,
                    QStringLiteral("--K"), QStringLiteral("3"), QStringLiteral("--json")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QJsonObject summary = run.json();
    QCOMPARE(summary.value(QStringLiteral("usable")).toInt(), 10);
    const QJsonArray perImage = summary.value(QStringLiteral("per_image")).toArray();
    QCOMPARE(perImage.size(), 10);
    int total = 0;
    for (const QJsonValue& image : perImage) {
        const int count = image[QStringLiteral("n_patterns")].toInt();
        QVERIFY(count >= 1 && count <= 3);
        total += count;
    }
    QCOMPARE(summary.value(QStringLiteral("patterns")).toInt(), total);
    // One more image in the pool: the store lacks it, and patterns says what to run.
    cv::imwrite((pool + QStringLiteral("/late.png")).toStdString(), scenepool::sceneImage(50));
    expectFailure({QStringLiteral("patterns"), pool, QStringLiteral("--store"), store}, 2,
                  QStringLiteral("1 of the 11 images"));
}

void TestCliPipeline::exportRoundTrips() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 20);
    QVERIFY(clitest::writeFile(pool + QStringLiteral("/broken.png"), "not an image"));
    const QString store = dir.filePath(QStringLiteral("store"));
    const QString json = dir.filePath(QStringLiteral("selection.json"));
    QCOMPARE(runFreesel(selectArguments(pool, store, json, QStringLiteral("json"))).exitCode, 0);
    const QJsonObject provenance = QJsonDocument::fromJson(readAll(json))
                                       .object()
                                       .value(QStringLiteral("provenance"))
                                       .toObject();
    const QStringList formats = {QStringLiteral("csv"),         QStringLiteral("coco"),
                                 QStringLiteral("labelstudio"), QStringLiteral("cvat"),
                                 QStringLiteral("txt"),         QStringLiteral("embeddings")};
    for (const QString& format : formats) {
        const QString direct = dir.filePath(QStringLiteral("direct.") + format);
        const QString again = dir.filePath(QStringLiteral("again.") + format);
        QCOMPARE(runFreesel(selectArguments(pool, store, direct, format)).exitCode, 0);
        const Run exported =
            runFreesel({QStringLiteral("export"), json, QStringLiteral("--format"), format,
                        QStringLiteral("--out"), again, QStringLiteral("--store"), store});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        // The same provenance as the selection it came from (created included).
        const QJsonObject sidecar =
            QJsonDocument::fromJson(readAll(again + QStringLiteral(".provenance.json"))).object();
        const QJsonObject keep = sidecar.contains(QStringLiteral("provenance"))
                                     ? sidecar.value(QStringLiteral("provenance")).toObject()
                                     : sidecar;
        QCOMPARE(keep, provenance);
        if (format == QLatin1String("coco")) { // info carries the creation time of each run
            const QJsonObject a = QJsonDocument::fromJson(readAll(direct)).object();
            const QJsonObject b = QJsonDocument::fromJson(readAll(again)).object();
            QCOMPARE(b.value(QStringLiteral("images")), a.value(QStringLiteral("images")));
            QVERIFY(!a.value(QStringLiteral("images")).toArray().isEmpty());
            QVERIFY(a.value(QStringLiteral("images"))[0][QStringLiteral("width")].toInt() > 0);
            QCOMPARE(b.value(QStringLiteral("info"))[QStringLiteral("freesel")].toObject(),
                     provenance);
        } else {
            QVERIFY2(readAll(direct) == readAll(again), qPrintable(format));
        }
    }
    // Without the store: the same selected rows; embeddings are refused.
    const QString bare = dir.filePath(QStringLiteral("bare.csv"));
    QCOMPARE(runFreesel({QStringLiteral("export"), json, QStringLiteral("--format"),
                         QStringLiteral("csv"), QStringLiteral("--out"), bare})
                 .exitCode,
             0);
    const QStringList direct = readLines(dir.filePath(QStringLiteral("direct.csv")));
    const QStringList rows = readLines(bare);
    QCOMPARE(rows.size(), direct.size());
    QCOMPARE(rows.mid(0, 7), direct.mid(0, 7)); // header + 6 selected (30% of 20 usable)
    QCOMPARE(rows.last(), direct.last());       // the failed image, with its reason
    QVERIFY(rows.last().contains(QStringLiteral("broken.png")));
    expectFailure({QStringLiteral("export"), json, QStringLiteral("--format"),
                   QStringLiteral("embeddings"), QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("e.csv"))},
                  2, QStringLiteral("--store"));
}

void TestCliPipeline::infoDescribesTheStore() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 6);
    const QString store = dir.filePath(QStringLiteral("store"));
    QCOMPARE(runFreesel(extractArguments(pool, store)).exitCode, 0);
    const Run run = runFreesel({QStringLiteral("info"), QStringLiteral("--store"), store,
                                QStringLiteral("--verify"), QStringLiteral("--json")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QJsonObject info = run.json();
    QVERIFY(info.value(QStringLiteral("fingerprint"))
                .toString()
                .contains(QStringLiteral("input=fixed:96x96")));
    QCOMPARE(info.value(QStringLiteral("records")).toInt(), 6);
    QCOMPARE(info.value(QStringLiteral("ok")).toInt(), 6);
    QCOMPARE(info.value(QStringLiteral("failed")).toInt(), 0);
    QCOMPARE(info.value(QStringLiteral("torn_bytes")).toInt(), 0);
    QVERIFY(info.value(QStringLiteral("problems")).toArray().isEmpty());
    // A half-written record at the end (as a kill leaves it) is reported, not fatal.
    const QString log =
        store + QLatin1Char('/') + QLatin1String(freesel::store_format::kRecordsFileName);
    QFile file(log);
    QVERIFY(file.open(QIODevice::Append));
    file.write(QByteArray("FSR1") + QByteArray(60, '\x01'));
    file.close();
    const Run torn = runFreesel(
        {QStringLiteral("info"), QStringLiteral("--store"), store, QStringLiteral("--json")});
    QCOMPARE(torn.exitCode, 0);
    QCOMPARE(torn.json().value(QStringLiteral("torn_bytes")).toInt(), 64);
    QCOMPARE(torn.json().value(QStringLiteral("records")).toInt(), 6);
}

void TestCliPipeline::exitCodes() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 6);
    const QString store = dir.filePath(QStringLiteral("store"));
    const QString nowhere = dir.filePath(QStringLiteral("nowhere"));
    // extract
    expectFailure(extractArguments(nowhere, store), 2, nowhere);
    expectFailure(extractArguments(pool, store, {QStringLiteral("--shard"), QStringLiteral("3/2")}),
                  2, QStringLiteral("--shard"));
    expectFailure(
        {QStringLiteral("extract"), pool, QStringLiteral("--shard"), QStringLiteral("1/2")}, 2,
        QStringLiteral("--store"));
    expectFailure(
        extractArguments(pool, store, {QStringLiteral("--batch-size"), QStringLiteral("0")}), 2,
        QStringLiteral("--batch-size"));
    expectFailure({QStringLiteral("extract")}, 2, QStringLiteral("POOL"));
    QCOMPARE(runFreesel(extractArguments(pool, store)).exitCode, 0);
    // merge
    expectFailure({QStringLiteral("merge"), store}, 2, QStringLiteral("--out"));
    expectFailure({QStringLiteral("merge"), QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("m")), nowhere},
                  2, nowhere);
    expectFailure({QStringLiteral("merge"), QStringLiteral("--out"), store, store}, 2, store);
    const QString other = dir.filePath(QStringLiteral("other"));
    QStringList otherSize = extractArguments(pool, other);
    otherSize[otherSize.indexOf(QStringLiteral("96"))] = QStringLiteral("128");
    QCOMPARE(runFreesel(otherSize).exitCode, 0);
    expectFailure({QStringLiteral("merge"), QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("m2")), store, other},
                  2, QStringLiteral("fixed:128x128"));
    // patterns
    expectFailure({QStringLiteral("patterns"), pool, QStringLiteral("--store"), store,
                   QStringLiteral("--tau"), QStringLiteral("1.5")},
                  2, QStringLiteral("tau"));
    expectFailure({QStringLiteral("patterns"), pool, QStringLiteral("--store"), nowhere}, 2,
                  QStringLiteral("freesel extract"));
    // export
    expectFailure({QStringLiteral("export"), nowhere, QStringLiteral("--format"),
                   QStringLiteral("csv"), QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("x"))},
                  2, nowhere);
    const QString notJson = dir.filePath(QStringLiteral("bad.json"));
    QVERIFY(clitest::writeFile(notJson, "{ not json"));
    expectFailure({QStringLiteral("export"), notJson, QStringLiteral("--format"),
                   QStringLiteral("csv"), QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("x"))},
                  2, notJson);
    const QString notSelection = dir.filePath(QStringLiteral("other.json"));
    QVERIFY(clitest::writeFile(notSelection, "{\"images\": []}"));
    expectFailure({QStringLiteral("export"), notSelection, QStringLiteral("--format"),
                   QStringLiteral("csv"), QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("x"))},
                  2, QStringLiteral("not a selection"));
    const QString json = dir.filePath(QStringLiteral("sel.json"));
    QCOMPARE(runFreesel(selectArguments(pool, store, json, QStringLiteral("json"))).exitCode, 0);
    expectFailure({QStringLiteral("export"), json, QStringLiteral("--format"),
                   QStringLiteral("pdf"), QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("x"))},
                  2, QStringLiteral("pdf"));
    expectFailure({QStringLiteral("export"), json, QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("x"))},
                  2, QStringLiteral("--format"));
    expectFailure(
        {QStringLiteral("export"), json, QStringLiteral("--format"), QStringLiteral("csv")}, 2,
        QStringLiteral("--out"));
    expectFailure({QStringLiteral("export"), json, QStringLiteral("--format"),
                   QStringLiteral("csv"), QStringLiteral("--out"), json},
                  2, QStringLiteral("overwrite the selection"));
    expectFailure({QStringLiteral("export"), json, QStringLiteral("--format"),
                   QStringLiteral("embeddings"), QStringLiteral("--out"),
                   dir.filePath(QStringLiteral("e.csv")), QStringLiteral("--store"), other},
                  2, other);
    // info
    expectFailure({QStringLiteral("info"), QStringLiteral("--store"), nowhere}, 2, nowhere);
    // A record damaged in the middle of the log (bit rot): verify names it (exit 2), and a
    // stage that reads it stops with an error naming the store (exit 1), never a crash.
    const QString log =
        store + QLatin1Char('/') + QLatin1String(freesel::store_format::kRecordsFileName);
    {
        QFile file(log);
        QVERIFY(file.open(QIODevice::ReadWrite));
        const qint64 recordBytes =
            (file.size() - qint64(sizeof(freesel::store_format::FileHeader))) / 6;
        file.seek(qint64(sizeof(freesel::store_format::FileHeader)) + recordBytes * 2 +
                  recordBytes / 2);
        const QByteArray byte = file.peek(1);
        file.write(QByteArray(1, char(~byte[0])));
    }
    expectFailure(
        {QStringLiteral("info"), QStringLiteral("--store"), store, QStringLiteral("--verify")}, 2,
        QString());
    expectFailure({QStringLiteral("patterns"), pool, QStringLiteral("--store"), store}, 1,
                  QStringLiteral("internal error"));
    const Run damaged =
        runFreesel({QStringLiteral("patterns"), pool, QStringLiteral("--store"), store});
    QVERIFY2(damaged.err.contains(QStringLiteral("store")), qPrintable(damaged.err));
}

QTEST_GUILESS_MAIN(TestCliPipeline)
#include "test_cli_pipeline.moc"
