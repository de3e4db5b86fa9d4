// SPDX-License-Identifier: GPL-3.0-or-later
// The freesel command line, run as a real process: exit codes, messages, JSON output, and a
// weight download from a local HTTP server through `freesel models download`.
#include "support/cli_test_support.h"
#include "support/local_http_server.h"
#include "support/scene_pool.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <csignal>
#include <sys/types.h>

namespace {

using clitest::readLines;
using clitest::Run;
using clitest::runFreesel;
using scenepool::writePool;

QStringList selectArguments(const QString& pool, const QTemporaryDir& dir, const QString& out,
                            const QString& format) {
    return {QStringLiteral("select"),       pool,
            QStringLiteral("--budget"),     QStringLiteral("25%"),
            QStringLiteral("--backend"),    QStringLiteral("offline"),
            QStringLiteral("--seed"),       QStringLiteral("3"),
            QStringLiteral("--input-size"), QStringLiteral("96"),
            QStringLiteral("--store"),      dir.filePath(QStringLiteral("store")),
            QStringLiteral("--format"),     format,
            QStringLiteral("--out"),        dir.filePath(out)};
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void versionAndHelp();
    void unknownCommandIsBadInput();
    void modelsListAsJson();
    void unknownModelNamesTheKnownOnes();
    void downloadsIntoTheCacheFromALocalServer();
    void offlineDownloadExplainsWhatToDo();
    void selectRunsEndToEndAndOutputsAgree();
    void reselectionReusesTheStore();
    void selectRefusesBadParameters();
    void outputFormatFollowsTheExtension();
    void offlineFallbackNoteIsOneLineWithTheFix();
    void outputToStdoutAndJsonParameters();
    void unwritableOutputIsRefusedBeforeTheWork();
    void interruptKeepsTheStoreAndSaysHowToResume();
    void whenNoImageIsUsableEveryReasonIsShown();
    void badImagesAreSkippedWithTheirReason();
};

void TestCli::versionAndHelp() {
    const Run version = runFreesel({QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QVERIFY(version.out.startsWith(QStringLiteral("freesel ")));
    const Run help = runFreesel({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains(QStringLiteral("models")));
    QCOMPARE(runFreesel({}).exitCode, 2); // no command: usage, bad input
}

void TestCli::unknownCommandIsBadInput() {
    const Run run = runFreesel({QStringLiteral("frobnicate")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.err.contains(QStringLiteral("unknown command 'frobnicate'")));
    const Run badOption = runFreesel({QStringLiteral("models"), QStringLiteral("--bogus")});
    QCOMPARE(badOption.exitCode, 2);
    QVERIFY(badOption.err.contains(QStringLiteral("bogus")));
}

void TestCli::modelsListAsJson() {
    QTemporaryDir cache;
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FREESEL_MODEL_DIR"), cache.path());
    const Run run = runFreesel(
        {QStringLiteral("models"), QStringLiteral("list"), QStringLiteral("--json")}, environment);
    QCOMPARE(run.exitCode, 0);
    const QJsonArray models = QJsonDocument::fromJson(run.out.toUtf8()).array();
    QVERIFY(models.size() >= 4);
    const QJsonObject first = models.first().toObject();
    QCOMPARE(first.value(QStringLiteral("name")).toString(), QStringLiteral("dino_vits16"));
    QCOMPARE(first.value(QStringLiteral("cached")).toBool(), false);
    QVERIFY(first.value(QStringLiteral("path")).toString().startsWith(cache.path()));
}

void TestCli::unknownModelNamesTheKnownOnes() {
    const Run run =
        runFreesel({QStringLiteral("models"), QStringLiteral("path"), QStringLiteral("vit_huge")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.err.contains(QStringLiteral("unknown model 'vit_huge'")));
    QVERIFY(run.err.contains(QStringLiteral("dino_vits16")));
}

void TestCli::downloadsIntoTheCacheFromALocalServer() {
    QByteArray weights(300 * 1024, '\0');
    for (int i = 0; i < weights.size(); ++i)
        weights[i] = char(i * 31 % 251);
    LocalHttpServer server(weights);
    QVERIFY(server.listen());
    QTemporaryDir dir;
    const QString sha =
        QString::fromLatin1(QCryptographicHash::hash(weights, QCryptographicHash::Sha256).toHex());
    QFile manifest(dir.filePath(QStringLiteral("manifest.json")));
    QVERIFY(manifest.open(QIODevice::WriteOnly));
    manifest.write(
        QJsonDocument(
            QJsonObject{{QStringLiteral("version"), 1},
                        {QStringLiteral("default"), QStringLiteral("tiny")},
                        {QStringLiteral("models"),
                         QJsonArray{QJsonObject{
                             {QStringLiteral("name"), QStringLiteral("tiny")},
                             {QStringLiteral("display_name"), QStringLiteral("Tiny test model")},
                             {QStringLiteral("family"), QStringLiteral("dino")},
                             {QStringLiteral("architecture"),
                              QJsonObject{{QStringLiteral("patch_size"), 8},
                                          {QStringLiteral("embed_dim"), 48},
                                          {QStringLiteral("depth"), 2},
                                          {QStringLiteral("num_heads"), 3}}},
                             {QStringLiteral("url"), server.url().toString()},
                             {QStringLiteral("file_name"), QStringLiteral("tiny.pth")},
                             {QStringLiteral("size"), weights.size()},
                             {QStringLiteral("sha256"), sha}}}}})
            .toJson());
    manifest.close();
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FREESEL_MODEL_DIR"), dir.filePath(QStringLiteral("cache")));
    const QStringList manifestOption = {QStringLiteral("--manifest"), manifest.fileName()};
    const Run run = runFreesel(
        QStringList{QStringLiteral("models"), QStringLiteral("download"), QStringLiteral("tiny")} +
            manifestOption,
        environment);
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QString path = dir.filePath(QStringLiteral("cache/tiny.pth"));
    QCOMPARE(run.out.trimmed(), path);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), weights);
    const Run verify = runFreesel(
        QStringList{QStringLiteral("models"), QStringLiteral("verify"), QStringLiteral("tiny")} +
            manifestOption,
        environment);
    QCOMPARE(verify.exitCode, 0);
    QVERIFY(verify.out.contains(sha));
}

void TestCli::offlineDownloadExplainsWhatToDo() {
    QTemporaryDir dir;
    QFile manifest(dir.filePath(QStringLiteral("manifest.json")));
    QVERIFY(manifest.open(QIODevice::WriteOnly));
    manifest.write(
        "{\"version\":1,\"default\":\"tiny\",\"models\":[{\"name\":\"tiny\",\"display_name\":\"T\","
        "\"family\":\"dino\",\"architecture\":{\"patch_size\":8,\"embed_dim\":48,\"depth\":2,"
        "\"num_heads\":3},\"url\":\"http://127.0.0.1:9/tiny.pth\",\"file_name\":\"tiny.pth\"}]}");
    manifest.close();
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FREESEL_MODEL_DIR"), dir.filePath(QStringLiteral("cache")));
    const Run run =
        runFreesel({QStringLiteral("models"), QStringLiteral("download"), QStringLiteral("tiny"),
                    QStringLiteral("--manifest"), manifest.fileName()},
                   environment);
    QCOMPARE(run.exitCode, 1);
    QVERIFY(run.err.contains(QStringLiteral("http://127.0.0.1:9/tiny.pth")));
    QVERIFY(run.err.contains(QStringLiteral("--weights")));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("cache/tiny.pth"))));
}

void TestCli::selectRunsEndToEndAndOutputsAgree() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 24);
    const Run txt =
        runFreesel(selectArguments(pool, dir, QStringLiteral("sel.txt"), QStringLiteral("txt")));
    QVERIFY2(txt.exitCode == 0, qPrintable(txt.err));
    const QStringList ranked = readLines(dir.filePath(QStringLiteral("sel.txt")));
    QCOMPARE(ranked.size(), 6); // 25% of 24
    QCOMPARE(QSet<QString>(ranked.begin(), ranked.end()).size(), 6);
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("sel.txt.provenance.json"))));
    const Run json =
        runFreesel(selectArguments(pool, dir, QStringLiteral("sel.json"), QStringLiteral("json")));
    QCOMPARE(json.exitCode, 0);
    QFile file(dir.filePath(QStringLiteral("sel.json")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject document = QJsonDocument::fromJson(file.readAll()).object();
    const QJsonArray selected = document.value(QStringLiteral("selected")).toArray();
    QCOMPARE(selected.size(), ranked.size());
    for (int k = 0; k < selected.size(); ++k) // same seed, same order in every format
        QCOMPARE(selected[k].toObject().value(QStringLiteral("path")).toString(), ranked[k]);
    QCOMPARE(document.value(QStringLiteral("provenance"))
                 .toObject()
                 .value(QStringLiteral("backend"))
                 .toString(),
             QStringLiteral("offline"));
    const Run csvRun =
        runFreesel(selectArguments(pool, dir, QStringLiteral("sel.csv"), QStringLiteral("csv")));
    QCOMPARE(csvRun.exitCode, 0);
    const QStringList rows = readLines(dir.filePath(QStringLiteral("sel.csv")));
    QCOMPARE(rows.size(), 25); // header + every pool image
    for (int k = 0; k < ranked.size(); ++k)
        QVERIFY(rows[k + 1].startsWith(ranked[k] + QLatin1Char(',')));
}

void TestCli::reselectionReusesTheStore() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 16);
    QStringList first = selectArguments(pool, dir, QStringLiteral("a.txt"), QStringLiteral("txt"));
    first << QStringLiteral("--json");
    const Run extract = runFreesel(first);
    QCOMPARE(extract.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(extract.out.toUtf8())
                 .object()
                 .value(QStringLiteral("extracted"))
                 .toInt(),
             16);
    QStringList again = selectArguments(pool, dir, QStringLiteral("b.txt"), QStringLiteral("txt"));
    again << QStringLiteral("--json") << QStringLiteral("--tau") << QStringLiteral("0.8")
          << QStringLiteral("--K") << QStringLiteral("3");
    const Run reselect = runFreesel(again);
    QCOMPARE(reselect.exitCode, 0);
    const QJsonObject summary = QJsonDocument::fromJson(reselect.out.toUtf8()).object();
    QCOMPARE(summary.value(QStringLiteral("extracted")).toInt(), 0); // no network re-run
    QCOMPARE(summary.value(QStringLiteral("reused")).toInt(), 16);
    QCOMPARE(summary.value(QStringLiteral("selected")).toArray().size(), 4);
}

void TestCli::outputFormatFollowsTheExtension() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 12);
    QStringList arguments = selectArguments(pool, dir, QStringLiteral("picks.csv"), QString());
    const int format = arguments.indexOf(QStringLiteral("--format"));
    arguments.remove(format, 2); // no --format: the .csv names the format
    const Run csv = runFreesel(arguments);
    QVERIFY2(csv.exitCode == 0, qPrintable(csv.err));
    const QStringList rows = readLines(dir.filePath(QStringLiteral("picks.csv")));
    QVERIFY(rows.value(0).startsWith(QStringLiteral("path,rank,score")));
    QCOMPARE(rows.size(), 13); // header + every image
    // A format that disagrees with the extension is refused before any work, naming both.
    const Run mismatch = runFreesel(
        selectArguments(pool, dir, QStringLiteral("tasks.csv"), QStringLiteral("labelstudio")));
    QCOMPARE(mismatch.exitCode, 2);
    QVERIFY2(mismatch.err.contains(QStringLiteral("--format labelstudio writes .json")),
             qPrintable(mismatch.err));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("tasks.csv"))));
}

void TestCli::offlineFallbackNoteIsOneLineWithTheFix() {
    QTemporaryDir dir, cache;
    const QString pool = writePool(dir, 8);
    QStringList arguments =
        selectArguments(pool, dir, QStringLiteral("p.txt"), QStringLiteral("txt"));
    arguments[arguments.indexOf(QStringLiteral("offline"))] = QStringLiteral("auto");
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FREESEL_MODEL_DIR"), cache.path()); // no weights there
    const Run run = runFreesel(arguments, environment);
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QStringList notes =
        run.err.split(QLatin1Char('\n')).filter(QRegularExpression(QStringLiteral("^note: ")));
    QCOMPARE(notes.size(), 1);
    QVERIFY2(notes[0].contains(QStringLiteral("freesel models download dino_vits16")),
             qPrintable(notes[0]));
    QVERIFY(notes[0].contains(QStringLiteral("no better than random")));
    // The note is the whole of it: no wall of text after it.
    const int at = run.err.indexOf(notes[0]);
    QVERIFY(!run.err.mid(at + notes[0].size() + 1).startsWith(QStringLiteral("Download")));
}

void TestCli::outputToStdoutAndJsonParameters() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 12);
    QStringList arguments = selectArguments(pool, dir, QStringLiteral("x"), QStringLiteral("txt"));
    arguments[arguments.indexOf(QStringLiteral("--out")) + 1] = QStringLiteral("-");
    const Run toStdout = runFreesel(arguments);
    QVERIFY2(toStdout.exitCode == 0, qPrintable(toStdout.err));
    const QStringList lines = toStdout.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3); // 25% of 12, one path per line
    for (const QString& line : lines)
        QVERIFY2(line.startsWith(pool + QLatin1Char('/')), qPrintable(line));
    // The same picks as a file export, in the same order.
    QCOMPARE(runFreesel(selectArguments(pool, dir, QStringLiteral("f.txt"), QStringLiteral("txt")))
                 .exitCode,
             0);
    QCOMPARE(readLines(dir.filePath(QStringLiteral("f.txt"))), lines);
    // --json carries what the selection ran with, and whether the backend fell back.
    const Run json = runFreesel(
        selectArguments(pool, dir, QStringLiteral("j.txt"), QStringLiteral("txt")) +
        QStringList{QStringLiteral("--json"), QStringLiteral("--tau"), QStringLiteral("0.4")});
    QVERIFY2(json.exitCode == 0, qPrintable(json.err));
    const QJsonObject parameters = json.json().value(QStringLiteral("parameters")).toObject();
    QCOMPARE(parameters.value(QStringLiteral("tau")).toDouble(), 0.4);
    QCOMPARE(parameters.value(QStringLiteral("K")).toInt(), 5);
    QCOMPARE(parameters.value(QStringLiteral("eps")).toInt(), 2);
    QCOMPARE(parameters.value(QStringLiteral("seed")).toString(), QStringLiteral("3"));
    QCOMPARE(parameters.value(QStringLiteral("budget")).toInt(), 3);
    QCOMPARE(parameters.value(QStringLiteral("strategy")).toString(), QStringLiteral("freesel"));
    QCOMPARE(parameters.value(QStringLiteral("input_size")).toString(), QStringLiteral("96x96"));
    QCOMPARE(parameters.value(QStringLiteral("backend_fallback")).toBool(), false); // offline asked
    // Not with a folder export or --json (both would need stdout).
    arguments << QStringLiteral("--json");
    const Run both = runFreesel(arguments);
    QCOMPARE(both.exitCode, 2);
    QVERIFY(both.err.contains(QStringLiteral("--out -")));
}

void TestCli::unwritableOutputIsRefusedBeforeTheWork() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 6);
    const Run missing = runFreesel(
        selectArguments(pool, dir, QStringLiteral("no/such/picks.txt"), QStringLiteral("txt")));
    QCOMPARE(missing.exitCode, 2);
    QVERIFY2(missing.err.contains(QStringLiteral("does not exist")), qPrintable(missing.err));
    // Refused before any work: no feature store was made.
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("store"))));
    // A folder export may create folders under a writable one.
    const Run nested =
        runFreesel(selectArguments(pool, dir, QStringLiteral("a/b/out"), QStringLiteral("folder")));
    QVERIFY2(nested.exitCode == 0, qPrintable(nested.err));
}

void TestCli::interruptKeepsTheStoreAndSaysHowToResume() {
    QTemporaryDir dir;
    // Textured 640x480 images one per batch at 224 px: slow enough to interrupt part-way.
    const QString pool = writePool(dir, 40, 640, 480, true);
    const QString store = dir.filePath(QStringLiteral("store"));
    const QStringList arguments = {QStringLiteral("extract"),      pool,
                                   QStringLiteral("--store"),      store,
                                   QStringLiteral("--backend"),    QStringLiteral("offline"),
                                   QStringLiteral("--batch-size"), QStringLiteral("1")};
    QProcess process;
    process.start(QStringLiteral(FREESEL_CLI_PATH), arguments);
    QVERIFY(process.waitForStarted());
    const QString log = store + QStringLiteral("/records.bin");
    QElapsedTimer timer;
    timer.start();
    while (process.state() == QProcess::Running && QFileInfo(log).size() < 4096 &&
           timer.elapsed() < 60000)
        QThread::msleep(5);
    ::kill(pid_t(process.processId()), SIGINT); // Ctrl-C
    QVERIFY(process.waitForFinished(60000));
    const QString err = QString::fromUtf8(process.readAllStandardError());
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 130);
    QVERIFY2(err.contains(QStringLiteral("run the same command again to resume")), qPrintable(err));
    const QRegularExpression stored(QStringLiteral("(\\d+) of 40 images are in the store"));
    const QRegularExpressionMatch match = stored.match(err);
    QVERIFY2(match.hasMatch(), qPrintable(err));
    const int kept = match.captured(1).toInt();
    QVERIFY(kept > 0 && kept < 40);
    // The rerun resumes: what was stored is reused, the rest extracted.
    const Run resumed = runFreesel(arguments + QStringList{QStringLiteral("--json")});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    QCOMPARE(resumed.json().value(QStringLiteral("reused")).toInt(), kept);
    QCOMPARE(resumed.json().value(QStringLiteral("extracted")).toInt(), 40 - kept);
}

void TestCli::whenNoImageIsUsableEveryReasonIsShown() {
    QTemporaryDir dir;
    const QString pool = dir.filePath(QStringLiteral("pool"));
    QVERIFY(QDir().mkpath(pool));
    const QStringList names = {QStringLiteral("a.jpg"), QStringLiteral("b.png"),
                               QStringLiteral("c.jpg")};
    for (const QString& name : names)
        QVERIFY(clitest::writeFile(pool + QLatin1Char('/') + name, "not an image at all"));
    const Run run =
        runFreesel(selectArguments(pool, dir, QStringLiteral("p.txt"), QStringLiteral("txt")));
    QCOMPARE(run.exitCode, 2);
    for (const QString& name : names) // each with its reason, before the error
        QVERIFY2(
            run.err.contains(QRegularExpression(QStringLiteral("skipped .*%1: \\S").arg(name))),
            qPrintable(run.err));
    QVERIFY2(run.err.contains(QStringLiteral("none of the 3 images")), qPrintable(run.err));
    QVERIFY(run.err.indexOf(QStringLiteral("skipped")) <
            run.err.indexOf(QStringLiteral("none of")));
}

void TestCli::selectRefusesBadParameters() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 4);
    const QList<QPair<QStringList, QString>> cases = {
        {{QStringLiteral("--tau"), QStringLiteral("0")}, QStringLiteral("tau must be in (0, 1]")},
        {{QStringLiteral("--K"), QStringLiteral("0")}, QStringLiteral("K must be in [1, 64]")},
        {{QStringLiteral("--eps"), QStringLiteral("9")}, QStringLiteral("eps must be in [1, 3]")},
        // The first value past each documented range, not only far-off ones.
        {{QStringLiteral("--eps"), QStringLiteral("4")}, QStringLiteral("eps must be in [1, 3]")},
        {{QStringLiteral("--K"), QStringLiteral("65")}, QStringLiteral("K must be in [1, 64]")},
        {{QStringLiteral("--strategy"), QStringLiteral("best")},
         QStringLiteral("strategy must be one of")},
        {{QStringLiteral("--input-size"), QStringLiteral("100")},
         QStringLiteral("multiple of the patch size")},
        {{QStringLiteral("--precision"), QStringLiteral("fp8")},
         QStringLiteral("precision must be auto, float32, bfloat16 or float16")},
    };
    for (const auto& [extra, message] : cases) {
        const Run run = runFreesel(
            selectArguments(pool, dir, QStringLiteral("x.txt"), QStringLiteral("txt")) + extra);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
    }
    QStringList badBudget =
        selectArguments(pool, dir, QStringLiteral("x.txt"), QStringLiteral("txt"));
    badBudget[3] = QStringLiteral("120%");
    const Run run = runFreesel(badBudget);
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.err.contains(QStringLiteral("--budget")));
    // --budget 0 is a valid count (docs/CLI.md: N >= 0): an empty selection, exit 0.
    QStringList zero =
        selectArguments(pool, dir, QStringLiteral("zero.txt"), QStringLiteral("txt"));
    zero[3] = QStringLiteral("0");
    const Run none = runFreesel(zero);
    QCOMPARE(none.exitCode, 0);
    QFile zeroList(dir.filePath(QStringLiteral("zero.txt")));
    QVERIFY(zeroList.open(QIODevice::ReadOnly));
    QCOMPARE(zeroList.readAll(), QByteArray());
    const Run missing = runFreesel(selectArguments(dir.filePath(QStringLiteral("nowhere")), dir,
                                                   QStringLiteral("x.txt"), QStringLiteral("txt")));
    QCOMPARE(missing.exitCode, 2);
    QVERIFY(missing.err.contains(QStringLiteral("nowhere")));
    // A weights file that is no checkpoint: the user's to fix, named, not an "internal error".
    const QString junk = dir.filePath(QStringLiteral("junk.pth"));
    QVERIFY(clitest::writeFile(junk, QByteArray(4096, 'x')));
    QStringList badWeights =
        selectArguments(pool, dir, QStringLiteral("x.txt"), QStringLiteral("txt"));
    badWeights << QStringLiteral("--backend") << QStringLiteral("dino")
               << QStringLiteral("--weights") << junk;
    const Run weights = runFreesel(badWeights);
    QCOMPARE(weights.exitCode, 2);
    QVERIFY2(weights.err.contains(junk), qPrintable(weights.err));
    QVERIFY2(!weights.err.contains(QStringLiteral("internal error")), qPrintable(weights.err));
}

void TestCli::badImagesAreSkippedWithTheirReason() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 8);
    QVERIFY(clitest::writeFile(pool + QStringLiteral("/broken.jpg"), "this is not a JPEG"));
    QStringList arguments =
        selectArguments(pool, dir, QStringLiteral("s.csv"), QStringLiteral("csv"));
    arguments << QStringLiteral("--json");
    const Run run = runFreesel(arguments);
    QCOMPARE(run.exitCode, 0);
    const QJsonArray failed = QJsonDocument::fromJson(run.out.toUtf8())
                                  .object()
                                  .value(QStringLiteral("failed"))
                                  .toArray();
    QCOMPARE(failed.size(), 1);
    QVERIFY(failed[0]
                .toObject()
                .value(QStringLiteral("path"))
                .toString()
                .endsWith(QStringLiteral("broken.jpg")));
    QVERIFY(!failed[0].toObject().value(QStringLiteral("error")).toString().isEmpty());
    const QStringList rows = readLines(dir.filePath(QStringLiteral("s.csv")));
    QVERIFY(rows.last().contains(QStringLiteral("broken.jpg")));
    QVERIFY(rows.last().contains(QStringLiteral("failed")));
}

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
