// SPDX-License-Identifier: GPL-3.0-or-later
// Curation on the command line, run as a real process: `freesel duplicates` (groups, the one
// kept and why, CSV / JSON, refused parameters) and what `freesel info` says about LibTorch.
#include "support/cli_test_support.h"
#include "support/scene_pool.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

namespace {

using clitest::Run;
using clitest::runFreesel;

/// A pool of 8 scenes plus z_copy.png: scene 3 again, uncompressed (a larger file of the same
/// pixels, so it is the copy to keep).
QString poolWithACopy(const QTemporaryDir& dir) {
    const QString pool = scenepool::writePool(dir, 8);
    const cv::Mat scene = cv::imread((pool + QStringLiteral("/img_003.png")).toStdString());
    cv::imwrite((pool + QStringLiteral("/z_copy.png")).toStdString(), scene,
                {cv::IMWRITE_PNG_COMPRESSION, 0});
    return pool;
}

QStringList storeArguments(const QTemporaryDir& dir) {
    return {QStringLiteral("--backend"),    QStringLiteral("offline"),
            QStringLiteral("--input-size"), QStringLiteral("96"),
            QStringLiteral("--store"),      dir.filePath(QStringLiteral("store"))};
}

} // namespace

class TestCliCuration : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void duplicatesGroupsTheCopyAndKeepsTheLargerFile() {
        QTemporaryDir dir;
        const QString pool = poolWithACopy(dir);
        const Run extract =
            runFreesel(QStringList{QStringLiteral("extract"), pool} + storeArguments(dir));
        QVERIFY2(extract.exitCode == 0, qPrintable(extract.err));
        const QString out = dir.filePath(QStringLiteral("groups.json"));
        const Run run = runFreesel(
            QStringList{QStringLiteral("duplicates"), pool, QStringLiteral("--threshold"),
                        QStringLiteral("0.999"), QStringLiteral("--out"), out} +
            storeArguments(dir));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(QStringLiteral("keep ")), qPrintable(run.out));
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(report.value(QStringLiteral("images")).toInt(), 9);
        const QJsonArray groups = report.value(QStringLiteral("groups")).toArray();
        // Identical pixels give identical features: the copy and its original form a group
        // (other scenes are distinct), and the uncompressed, larger file is kept.
        QCOMPARE(groups.size(), 1);
        const QJsonObject group = groups[0].toObject();
        const QJsonArray members = group.value(QStringLiteral("members")).toArray();
        QCOMPARE(members.size(), 2);
        QVERIFY(members[0].toString().endsWith(QStringLiteral("img_003.png")));
        QVERIFY(members[1].toString().endsWith(QStringLiteral("z_copy.png")));
        QVERIFY(
            group.value(QStringLiteral("keep")).toString().endsWith(QStringLiteral("z_copy.png")));
        QVERIFY(group.value(QStringLiteral("reason"))
                    .toString()
                    .startsWith(QStringLiteral("largest file")));
        QVERIFY(group.value(QStringLiteral("min_similarity")).toDouble() > 0.999);
        QCOMPARE(report.value(QStringLiteral("redundant")).toInt(), 1);

        // The CSV: a header and one row per member, the kept one flagged.
        const QString csv = dir.filePath(QStringLiteral("groups.csv"));
        QCOMPARE(runFreesel(QStringList{QStringLiteral("duplicates"), pool,
                                        QStringLiteral("--threshold"), QStringLiteral("0.999"),
                                        QStringLiteral("--out"), csv} +
                            storeArguments(dir))
                     .exitCode,
                 0);
        const QStringList rows = clitest::readLines(csv);
        QCOMPARE(rows.size(), 3);
        QVERIFY(rows[0].startsWith(QStringLiteral("group,path,keep,reason")));
        QVERIFY(rows[2].contains(QStringLiteral("z_copy.png\",1,\"largest file")));
    }

    void duplicatesRefusesBadParametersBeforeTheWork() {
        QTemporaryDir dir;
        const QString pool = poolWithACopy(dir);
        const Run zero =
            runFreesel(QStringList{QStringLiteral("duplicates"), pool,
                                   QStringLiteral("--threshold"), QStringLiteral("0")} +
                       storeArguments(dir));
        QCOMPARE(zero.exitCode, 2);
        QVERIFY2(zero.err.contains(QStringLiteral("--threshold 0 is outside (0, 1]")),
                 qPrintable(zero.err));
        const Run text =
            runFreesel(QStringList{QStringLiteral("duplicates"), pool, QStringLiteral("--out"),
                                   dir.filePath(QStringLiteral("g.txt"))} +
                       storeArguments(dir));
        QCOMPARE(text.exitCode, 2);
        QVERIFY2(text.err.contains(QStringLiteral("must end in .csv or .json")),
                 qPrintable(text.err));
        // No store yet: says which command fills it.
        const Run none =
            runFreesel(QStringList{QStringLiteral("duplicates"), pool} + storeArguments(dir));
        QCOMPARE(none.exitCode, 2);
        QVERIFY2(none.err.contains(QStringLiteral("no feature store")), qPrintable(none.err));
    }

    void infoNamesLibtorchAndCuda() {
        const Run info = runFreesel({QStringLiteral("info"), QStringLiteral("--json")});
        QCOMPARE(info.exitCode, 0);
        const QJsonObject json = info.json();
        QVERIFY(json.value(QStringLiteral("libtorch")).toString().contains(QLatin1Char('.')));
        QVERIFY(json.value(QStringLiteral("cuda_available")).isBool());
        const Run text = runFreesel({QStringLiteral("info")});
        QVERIFY(text.out.contains(QStringLiteral("libtorch:")));
    }
};

QTEST_GUILESS_MAIN(TestCliCuration)
#include "test_cli_curation.moc"
