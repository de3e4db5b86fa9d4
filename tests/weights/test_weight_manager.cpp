// SPDX-License-Identifier: GPL-3.0-or-later
// Model manifest, weight cache and the resumable, verified downloader, against a local HTTP
// server (tests/support/local_http_server.h) that can drop connections, corrupt bytes and ignore
// ranges.

#include "support/local_http_server.h"
#include "weights/model_manifest.h"
#include "weights/weight_cache.h"
#include "weights/weight_downloader.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QNetworkProxy>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

#include <signal.h>
#include <sys/resource.h>

#include <random>

using namespace freesel;

namespace {

QByteArray randomBytes(int size, unsigned seed) {
    QByteArray out(size, '\0');
    std::mt19937 rng(seed);
    for (char& c : out)
        c = char(rng());
    return out;
}

QByteArray sha256Hex(const QByteArray& data) {
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

DownloadResult failedDownload(const QString& why) {
    DownloadResult result;
    result.status = Error::internal(why);
    return result;
}

DownloadResult runDownload(WeightDownloader& downloader, const DownloadRequest& request) {
    QSignalSpy spy(&downloader, &WeightDownloader::finished);
    downloader.start(request);
    if (spy.isEmpty() && !spy.wait(20000))
        return failedDownload(QStringLiteral("test: no finished() signal"));
    if (spy.count() != 1)
        return failedDownload(QStringLiteral("test: finished() emitted twice"));
    return spy.at(0).at(0).value<DownloadResult>();
}

// Plain literals: moc (Qt 6.4) mis-parses raw strings containing quotes.
const char* kManifestEntry =
    "{\"name\": \"tiny\", \"display_name\": \"Tiny\", \"family\": \"dino\",\n"
    " \"architecture\": {\"patch_size\": 8, \"embed_dim\": 64, \"depth\": 2, \"num_heads\": 2},\n"
    " \"url\": \"http://127.0.0.1:1/tiny.pth\", \"file_name\": \"tiny.pth\",\n"
    " \"size\": 1234, \"sha256\": \"%1\"}";

QByteArray manifestWith(const QString& entry, const QString& extra = {}) {
    return QStringLiteral("{\"version\": 1, %1 \"models\": [%2]}").arg(extra, entry).toUtf8();
}

} // namespace

class TestWeightManager : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    const QByteArray file_ = randomBytes(1 << 20, 42); // 1 MiB "checkpoint"
    int counter_ = 0;

    // A fresh destination per test so leftovers never leak between cases.
    DownloadRequest request(const LocalHttpServer& server, bool withChecks = true) {
        DownloadRequest r;
        r.url = server.url();
        r.destination = dir_.filePath(QStringLiteral("cache%1/model.pth").arg(++counter_));
        if (withChecks) {
            r.expectedSize = file_.size();
            r.sha256 = sha256Hex(file_);
        }
        return r;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        QNetworkProxy::setApplicationProxy(QNetworkProxy::NoProxy); // never a system proxy
    }

    void builtinManifestListsTheOfficialModels() {
        const ModelManifest manifest = ModelManifest::builtin();
        QCOMPARE(manifest.models().size(), 9);
        QVERIFY(manifest.defaultModel());
        QCOMPARE(manifest.defaultModel()->name, QStringLiteral("dino_vits16"));
        const ModelInfo* s16 = manifest.find(QStringLiteral("dino_vits16"));
        QVERIFY(s16);
        QCOMPARE(s16->architecture.patchSize, 16);
        QCOMPARE(s16->architecture.embedDim, 384);
        QCOMPARE(s16->architecture.numHeads, 6);
        QCOMPARE(s16->url.toString(),
                 QStringLiteral("https://dl.fbaipublicfiles.com/dino/dino_deitsmall16_pretrain/"
                                "dino_deitsmall16_pretrain.pth"));
        QCOMPARE(s16->fileName, QStringLiteral("dino_deitsmall16_pretrain.pth"));
        QVERIFY(!s16->hasSha256()); // unknown in the release: must be handled, not invented
        const ModelInfo* b8 = manifest.find(QStringLiteral("dino_vitb8"));
        QVERIFY(b8);
        QCOMPARE(b8->architecture.patchSize, 8);
        QCOMPARE(b8->architecture.embedDim, 768);
        const ModelInfo* v2 = manifest.find(QStringLiteral("dinov2_vits14"));
        QVERIFY(v2);
        QCOMPARE(v2->architecture.patchSize, 14);
        QVERIFY(v2->architecture.layerScale);
        QVERIFY(manifest.find(QStringLiteral("dinov2_vitb14")));
        QVERIFY(!manifest.find(QStringLiteral("resnet50")));
        // CLIP: openai/CLIP's URLs, whose folder is the file's sha256 (clip.py _download).
        const struct {
            const char* name;
            const char* file;
            const char* sha;
        } clip[] = {
            {"clip-vit-b32", "ViT-B-32.pt",
             "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af"},
            {"clip-vit-b16", "ViT-B-16.pt",
             "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f"},
            {"clip-vit-l14", "ViT-L-14.pt",
             "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836"},
        };
        for (const auto& entry : clip) {
            const ModelInfo* model = manifest.find(QLatin1String(entry.name));
            QVERIFY2(model, entry.name);
            QCOMPARE(model->family, QStringLiteral("clip"));
            QCOMPARE(model->sha256, QByteArray(entry.sha));
            QCOMPARE(model->url.toString(),
                     QStringLiteral("https://openaipublic.azureedge.net/clip/models/%1/%2")
                         .arg(QLatin1String(entry.sha), QLatin1String(entry.file)));
            QCOMPARE(model->fileName, QLatin1String(entry.file));
        }
        QCOMPARE(manifest.find(QStringLiteral("clip-vit-l14"))->size, 932768134);
    }

    void manifestParsesSizeAndHash() {
        const QString sha(64, QLatin1Char('A'));
        const auto manifest = ModelManifest::fromJson(
            manifestWith(QString::fromLatin1(kManifestEntry).arg(sha)), QStringLiteral("m.json"));
        QVERIFY2(manifest, qPrintable(manifest.message()));
        const ModelInfo* tiny = manifest->find(QStringLiteral("tiny"));
        QVERIFY(tiny);
        QCOMPARE(tiny->size, qint64(1234));
        QCOMPARE(tiny->sha256, QByteArray(64, 'a')); // normalised to lower case
        QCOMPARE(tiny->architecture.mlpRatio, 4);    // default when absent
        QCOMPARE(manifest->defaultModel(), tiny);    // first model without "default"
    }

    void manifestErrorsNameSourceAndField() {
        const QString entry = QString::fromLatin1(kManifestEntry);
        const struct {
            QByteArray json;
            const char* expected;
        } cases[] = {
            {"not json", "m.json"},
            {manifestWith(entry.arg(QStringLiteral("xyz"))), "sha256"},
            {manifestWith(entry.arg(QString()).replace(QStringLiteral("tiny.pth\""),
                                                       QStringLiteral("../evil.pth\""))),
             "file_name"},
            {manifestWith(entry.arg(QString()) + QLatin1Char(',') + entry.arg(QString())),
             "duplicate"},
            {manifestWith(entry.arg(QString()), QStringLiteral("\"default\": \"nope\",")), "nope"},
            {manifestWith(
                 entry.arg(QString()).replace(QStringLiteral("http://"), QStringLiteral("ftp://"))),
             "url"},
            {manifestWith(entry.arg(QString()).replace(QStringLiteral("\"depth\": 2"),
                                                       QStringLiteral("\"depth\": -2"))),
             "architecture.depth"},
        };
        for (const auto& c : cases) {
            const auto refused = ModelManifest::fromJson(c.json, QStringLiteral("m.json"));
            QVERIFY(!refused);
            QCOMPARE(refused.error().category, ErrorCategory::UserInput);
            const QString error = refused.message();
            QVERIFY2(error.contains(QLatin1String("m.json")), qPrintable(error));
            QVERIFY2(error.contains(QLatin1String(c.expected)), qPrintable(error));
        }
    }

    void manifestOverrideFromFileAndEnvironment() {
        const QString path = dir_.filePath(QStringLiteral("override.json"));
        writeFile(path, manifestWith(QString::fromLatin1(kManifestEntry).arg(QString())));
        auto fromPath = ModelManifest::load(path);
        QVERIFY2(fromPath, qPrintable(fromPath.message()));
        QCOMPARE(fromPath->names(), QStringList{QStringLiteral("tiny")});
        QCOMPARE(fromPath->source(), path);
        QVERIFY(!fromPath->find(QStringLiteral("tiny"))->hasSha256()); // empty string -> unknown

        qputenv(ModelManifest::kEnvOverride, path.toLocal8Bit());
        auto fromEnv = ModelManifest::load(QString());
        qunsetenv(ModelManifest::kEnvOverride);
        QVERIFY2(fromEnv, qPrintable(fromEnv.message()));
        QCOMPARE(fromEnv->names(), QStringList{QStringLiteral("tiny")});
        QVERIFY(ModelManifest::load(QString())->find(QStringLiteral("dino_vits16")));

        const auto absent = ModelManifest::load(dir_.filePath(QStringLiteral("absent.json")));
        QVERIFY(!absent);
        QVERIFY(absent.message().contains(QLatin1String("absent.json")));
    }

    void cacheLocationAndVerification() {
        qunsetenv(WeightCache::kEnvOverride);
        QVERIFY(WeightCache::defaultDirectory().endsWith(QLatin1String("/freesel/models")));
        const QString custom = dir_.filePath(QStringLiteral("models-env"));
        qputenv(WeightCache::kEnvOverride, custom.toLocal8Bit());
        QCOMPARE(WeightCache::defaultDirectory(), custom);
        const WeightCache cache;
        qunsetenv(WeightCache::kEnvOverride);
        QCOMPARE(cache.directory(), custom);

        ModelInfo model;
        model.name = QStringLiteral("tiny");
        model.fileName = QStringLiteral("tiny.pth");
        model.url = QUrl(QStringLiteral("https://example.org/tiny.pth"));
        QCOMPARE(cache.pathFor(model), custom + QStringLiteral("/tiny.pth"));
        QCOMPARE(cache.partialPathFor(model), custom + QStringLiteral("/tiny.pth.part"));
        QVERIFY(!cache.isCached(model));
        QVERIFY(cache.ensureDirectory());
        writeFile(cache.pathFor(model), "0123456789");
        QVERIFY(cache.isCached(model)); // nothing known: existence is enough
        QVERIFY(cache.verifyCached(model).ok());

        model.size = 11;
        QVERIFY(!cache.isCached(model));
        QVERIFY(cache.verifyCached(model).error().contains(QLatin1String("expected 11 bytes")));
        model.size = 10;
        model.sha256 = QByteArray(64, '0');
        const WeightVerification bad = cache.verifyCached(model);
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().contains(QLatin1String("SHA-256")));
        QVERIFY(bad.error().contains(cache.pathFor(model)));
        model.sha256 = sha256Hex("0123456789");
        const WeightVerification good = cache.verifyCached(model);
        QVERIFY2(good.ok(), qPrintable(good.error()));
        QCOMPARE(good.sha256, model.sha256);

        const QString help = cache.offlineHelp(model);
        QVERIFY(help.contains(QLatin1String("https://example.org/tiny.pth")));
        QVERIFY(help.contains(QLatin1String("--weights")));
        QVERIFY(help.contains(cache.pathFor(model)));
    }

    void downloadsAndVerifies() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        WeightDownloader downloader;
        QSignalSpy progress(&downloader, &WeightDownloader::progress);
        const DownloadRequest r = request(server);
        const DownloadResult result = runDownload(downloader, r);
        QVERIFY2(result.ok(), qPrintable(result.error()));
        QCOMPARE(result.path, r.destination);
        QCOMPARE(result.sha256, sha256Hex(file_));
        QCOMPARE(result.resumedFrom, qint64(0));
        QCOMPARE(readAll(r.destination), file_);
        QVERIFY(!QFileInfo::exists(r.partialPath()));
        QVERIFY(!progress.isEmpty());
        qint64 last = 0;
        for (const QList<QVariant>& args : progress) {
            QVERIFY(args.at(0).toLongLong() >= last);
            last = args.at(0).toLongLong();
            QCOMPARE(args.at(1).toLongLong(), qint64(file_.size()));
        }
        QCOMPARE(last, qint64(file_.size()));
        QCOMPARE(server.rangeStarts(), QList<qint64>{-1});
        QVERIFY(!downloader.isRunning());

        // A second start finds the verified file and sends no request.
        const DownloadResult again = runDownload(downloader, r);
        QVERIFY2(again.ok(), qPrintable(again.error()));
        QCOMPARE(server.requestCount(), 1);
    }

    void downloadsWithoutKnownChecksum() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        WeightDownloader downloader;
        const DownloadRequest r = request(server, false);
        const DownloadResult result = runDownload(downloader, r);
        QVERIFY2(result.ok(), qPrintable(result.error()));
        QCOMPARE(result.sha256, sha256Hex(file_)); // reported so it can go into the manifest
        QCOMPARE(readAll(r.destination), file_);
    }

    void resumesAfterBrokenConnection() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        server.setMode(LocalHttpServer::Mode::CloseMidway);
        server.setCloseAt(300000);
        const DownloadRequest r = request(server);
        WeightDownloader downloader;
        const DownloadResult broken = runDownload(downloader, r);
        QVERIFY(!broken.ok());
        QVERIFY(!broken.cancelled);
        QVERIFY2(broken.error().contains(r.url.toString()), qPrintable(broken.error()));
        QVERIFY(!QFileInfo::exists(r.destination)); // never a half file under the final name
        const qint64 partial = QFileInfo(r.partialPath()).size();
        QVERIFY2(partial > 0 && partial <= 300000, qPrintable(QString::number(partial)));
        QCOMPARE(readAll(r.partialPath()), file_.left(partial));

        server.setMode(LocalHttpServer::Mode::Normal);
        const DownloadResult resumed = runDownload(downloader, r);
        QVERIFY2(resumed.ok(), qPrintable(resumed.error()));
        // Qt may itself resend a request whose connection dropped, so the first attempt can show
        // up more than once; every one of them asked for the whole file.
        const QList<qint64> starts = server.rangeStarts();
        QVERIFY(starts.size() >= 2);
        for (qsizetype i = 0; i + 1 < starts.size(); ++i)
            QCOMPARE(starts.at(i), qint64(-1));
        QCOMPARE(starts.last(), partial); // the resume asked only for the missing tail
        QCOMPARE(resumed.resumedFrom, partial);
        QCOMPARE(resumed.sha256, sha256Hex(file_));
        QCOMPARE(readAll(r.destination), file_);
        QVERIFY(!QFileInfo::exists(r.partialPath()));
    }

    void fullDiskFailsClearlyThenResumes() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        const DownloadRequest r = request(server);
        WeightDownloader downloader;
        // RLIMIT_FSIZE fails every write past 300,000 bytes (EFBIG), as a full disk does
        // (ENOSPC); SIGXFSZ ignored so the write returns the error.
        rlimit saved{};
        QCOMPARE(::getrlimit(RLIMIT_FSIZE, &saved), 0);
        const auto previousHandler = ::signal(SIGXFSZ, SIG_IGN);
        const rlimit small{300000, saved.rlim_max};
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
        const DownloadResult full = runDownload(downloader, r);
        ::setrlimit(RLIMIT_FSIZE, &saved);
        ::signal(SIGXFSZ, previousHandler);
        QVERIFY(!full.ok());
        QVERIFY2(full.error().contains(r.partialPath()), qPrintable(full.error()));
        QVERIFY2(full.error().contains(QStringLiteral("File too large")), qPrintable(full.error()));
        QVERIFY(!QFileInfo::exists(r.destination));
        QCOMPARE(readAll(r.partialPath()), file_.left(300000)); // what fitted, kept for later

        const DownloadResult resumed = runDownload(downloader, r);
        QVERIFY2(resumed.ok(), qPrintable(resumed.error()));
        QCOMPARE(resumed.resumedFrom, qint64(300000));
        QCOMPARE(readAll(r.destination), file_);
    }

    void restartsWhenServerIgnoresRange() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        server.setMode(LocalHttpServer::Mode::IgnoreRange);
        const DownloadRequest r = request(server);
        QVERIFY(QDir().mkpath(QFileInfo(r.destination).absolutePath()));
        writeFile(r.partialPath(), QByteArray(1000, 'x')); // wrong bytes: must not survive
        WeightDownloader downloader;
        const DownloadResult result = runDownload(downloader, r);
        QVERIFY2(result.ok(), qPrintable(result.error()));
        QCOMPARE(server.rangeStarts(), QList<qint64>{1000});
        QCOMPARE(result.resumedFrom, qint64(0));
        QCOMPARE(readAll(r.destination), file_);
    }

    void restartsWhenPartialIsTooLong() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        const DownloadRequest r = request(server, false); // size unknown: the server says 416
        QVERIFY(QDir().mkpath(QFileInfo(r.destination).absolutePath()));
        writeFile(r.partialPath(), file_ + QByteArray("tail"));
        WeightDownloader downloader;
        const DownloadResult result = runDownload(downloader, r);
        QVERIFY2(result.ok(), qPrintable(result.error()));
        QCOMPARE(server.rangeStarts(), (QList<qint64>{file_.size() + 4, -1}));
        QCOMPARE(readAll(r.destination), file_);
    }

    void rejectsCorruptDownload() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        server.setMode(LocalHttpServer::Mode::Corrupt);
        const DownloadRequest r = request(server);
        QVERIFY(QDir().mkpath(QFileInfo(r.destination).absolutePath()));
        writeFile(r.destination, "previous version"); // fails verification, must stay untouched
        WeightDownloader downloader;
        const DownloadResult result = runDownload(downloader, r);
        QVERIFY(!result.ok());
        QVERIFY2(result.error().contains(QLatin1String("SHA-256")), qPrintable(result.error()));
        QVERIFY(result.error().contains(QLatin1String("verification")));
        QCOMPARE(readAll(r.destination), QByteArray("previous version"));
        QVERIFY(!QFileInfo::exists(r.partialPath())); // corrupt bytes are not kept for resume
    }

    void cancelKeepsPartialForLater() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        server.setMode(LocalHttpServer::Mode::Slow);
        const DownloadRequest r = request(server);
        WeightDownloader downloader;
        connect(&downloader, &WeightDownloader::progress, &downloader,
                [&downloader](qint64 received, qint64) {
                    if (received > 0)
                        downloader.cancel();
                });
        const DownloadResult result = runDownload(downloader, r);
        QVERIFY(!result.ok());
        QVERIFY(result.cancelled);
        QVERIFY(result.error().contains(QLatin1String("cancelled")));
        QVERIFY(!QFileInfo::exists(r.destination));
        const qint64 partial = QFileInfo(r.partialPath()).size();
        QVERIFY(partial > 0 && partial < file_.size());

        server.setMode(LocalHttpServer::Mode::Normal);
        WeightDownloader second;
        const DownloadResult resumed = runDownload(second, r);
        QVERIFY2(resumed.ok(), qPrintable(resumed.error()));
        QCOMPARE(server.rangeStarts().last(), partial);
        QCOMPARE(readAll(r.destination), file_);
    }

    void unreachableServerNamesUrlAndRemedy() {
        QTcpServer probe; // grab a free port, then close it so nothing listens there
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();
        DownloadRequest r;
        r.url = QUrl(QStringLiteral("http://127.0.0.1:%1/dino/model.pth").arg(port));
        r.destination = dir_.filePath(QStringLiteral("offline/model.pth"));
        WeightDownloader downloader;
        const DownloadResult result = runDownload(downloader, r);
        QVERIFY(!result.ok());
        QVERIFY2(result.error().contains(r.url.toString()), qPrintable(result.error()));
        QVERIFY(result.error().contains(QLatin1String("--weights")));
        QVERIFY(result.error().contains(r.destination));
        QVERIFY(!QFileInfo::exists(r.destination));
    }

    void httpErrorIsReported() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        DownloadRequest r = request(server);
        r.url = server.missingUrl();
        WeightDownloader downloader;
        const DownloadResult result = runDownload(downloader, r);
        QVERIFY(!result.ok());
        QVERIFY2(result.error().contains(QLatin1String("HTTP 404")), qPrintable(result.error()));
        QVERIFY(!QFileInfo::exists(r.destination));
        QVERIFY(!QFileInfo::exists(r.partialPath())); // an empty .part is not kept
    }

    void blockingConvenienceForTheCli() {
        LocalHttpServer server(file_);
        QVERIFY(server.listen());
        const DownloadRequest r = request(server);
        qint64 lastReceived = 0;
        const DownloadResult result = WeightDownloader::downloadBlocking(
            r, [&](qint64 received, qint64) { lastReceived = received; });
        QVERIFY2(result.ok(), qPrintable(result.error()));
        QCOMPARE(lastReceived, qint64(file_.size()));
        QCOMPARE(readAll(r.destination), file_);

        std::atomic_bool cancel{true};
        server.setMode(LocalHttpServer::Mode::Slow);
        const DownloadResult cancelled =
            WeightDownloader::downloadBlocking(request(server), {}, &cancel);
        QVERIFY(cancelled.cancelled);
    }

    void requestForModelUsesCacheAndManifest() {
        const ModelManifest manifest = ModelManifest::builtin();
        const ModelInfo* model = manifest.defaultModel();
        QVERIFY(model);
        const WeightCache cache(dir_.filePath(QStringLiteral("c")));
        const DownloadRequest r = DownloadRequest::forModel(*model, cache);
        QCOMPARE(r.url, model->url);
        QCOMPARE(r.destination, cache.pathFor(*model));
        QCOMPARE(r.partialPath(), cache.partialPathFor(*model));
        QCOMPARE(r.expectedSize, model->size);
        QVERIFY(r.offlineHelp.contains(model->url.toString()));
    }
};

QTEST_GUILESS_MAIN(TestWeightManager)
#include "test_weight_manager.moc"
