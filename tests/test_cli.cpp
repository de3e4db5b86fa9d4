// The freesel command line, run as a real process: exit codes, messages, JSON output, and a
// weight download from a local HTTP server through `freesel models download`.
#include "local_http_server.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

/// Runs freesel with an event loop spinning meanwhile (the test's HTTP server lives in it).
Run runFreesel(const QStringList& arguments,
               const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(FREESEL_CLI_PATH), arguments);
    if (!process.waitForStarted())
        return {};
    QEventLoop loop;
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(120000, &loop, &QEventLoop::quit);
    if (process.state() != QProcess::NotRunning)
        loop.exec();
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
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

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
