// SPDX-License-Identifier: GPL-3.0-or-later
// The feature store: round trip of every field (fp16 precision), resume after torn tails and a
// real SIGKILL of a writing child process, fingerprint refusal, failures, shard merge and
// concurrent loads. The binary doubles as the child: `test_feature_store --write-forever DIR`.

#include "store/feature_store.h"
#include "store/store_format.h"
#include "support/store_test_support.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>

using namespace freesel;
using namespace freesel::storetest;

namespace {

/// fp16 keeps 11 significant bits: round to nearest is within half a unit in the last place.
bool closeAsHalf(const std::vector<float>& stored, const std::vector<float>& original) {
    if (stored.size() != original.size())
        return false;
    for (size_t i = 0; i < stored.size(); ++i)
        if (std::abs(stored[i] - original[i]) > std::abs(original[i]) * 0x1p-11f + 0x1p-25f)
            return false;
    return true;
}

bool sameAsStored(const ImageFeatures& loaded, const ImageFeatures& original) {
    return loaded.grid == original.grid && loaded.dims == original.dims &&
           closeAsHalf(loaded.patchTokens, original.patchTokens) &&
           loaded.clsToken == original.clsToken && loaded.clsAttention == original.clsAttention &&
           loaded.neighbourhood.radius() == original.neighbourhood.radius() &&
           closeAsHalf(loaded.neighbourhood.values(), original.neighbourhood.values());
}

QString recordsFile(const QString& store) {
    return QDir(store).filePath(QLatin1String(store_format::kRecordsFileName));
}

void writeRecords(FeatureStore* store, int from, int to) {
    for (int i = from; i < to; ++i) {
        const Status stored = store->append(keyFor(i), makeFeatures(unsigned(i)));
        QVERIFY2(stored, qPrintable(stored.message()));
    }
}

/// Child mode: append big records (ViT-S sized) forever, reporting each one on stdout.
int writeForever(const QString& folder) {
    FeatureStore store;
    if (const Status opened =
            store.openForWriting(folder, testHeader(QStringLiteral("kill|v1"), 3));
        !opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.message()));
        return 2;
    }
    for (int i = store.count();; ++i) {
        if (!store.append(keyFor(i), makeFeatures(unsigned(i), 14, 14, 384, 3)))
            return 3;
        std::printf("%d\n", i + 1);
        std::fflush(stdout);
    }
}

} // namespace

class TestFeatureStore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTripKeepsEveryField() {
        QTemporaryDir tmp;
        const QString folder = tmp.filePath(QStringLiteral("store"));
        const ImageFeatures original = makeFeatures(1);
        {
            FeatureStore store;
            const Status opened = store.openForWriting(folder, testHeader());
            QVERIFY2(opened, qPrintable(opened.message()));
            QVERIFY(store.append(keyFor(7), original));
            const ImageFeatures loaded = store.load(0);
            QVERIFY(sameAsStored(loaded, original));
        }
        FeatureStore store;
        const Status opened = store.openForReading(folder);
        QVERIFY2(opened, qPrintable(opened.message()));
        QCOMPARE(store.count(), 1);
        QCOMPARE(store.tornBytesRemoved(), qint64(0));
        QCOMPARE(store.header().fingerprint.canonical(), testHeader().fingerprint.canonical());
        QVERIFY(!store.header().created.isEmpty());
        const StoreEntry& e = store.entry(0);
        QCOMPARE(e.path, keyFor(7).path);
        QCOMPARE(e.size, keyFor(7).size);
        QCOMPARE(e.mtimeMs, keyFor(7).mtimeMs);
        QCOMPARE(e.poolIndex, qint64(7));
        QVERIFY(e.ok);
        QCOMPARE(e.grid.rows, 4);
        QCOMPARE(e.grid.cols, 5);
        QCOMPARE(e.dims, 24);
        QCOMPARE(e.radius, 2);
        const ImageFeatures loaded = store.load(0);
        QVERIFY(sameAsStored(loaded, original));
        // Rounding is to nearest even, exactly what OpenCV's CV_16F conversion gives.
        cv::Mat half, back;
        cv::Mat(original.patchTokens).convertTo(half, CV_16F);
        half.convertTo(back, CV_32F);
        QVERIFY(
            std::equal(loaded.patchTokens.begin(), loaded.patchTokens.end(), back.begin<float>()));
        QVERIFY(store.verify().isEmpty());
    }

    void fp16RoundsToNearestEven() {
        QTemporaryDir tmp;
        FeatureStore store;
        QVERIFY(store.openForWriting(tmp.path(), testHeader()));
        ImageFeatures f = makeFeatures(2);
        // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
        // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: even is 1 + 2^-9.
        f.patchTokens[0] = 1.0f + 0x1p-11f;
        f.patchTokens[1] = 1.0f + 3 * 0x1p-11f;
        f.patchTokens[2] = 65504.0f; // largest half
        f.patchTokens[3] = 0x1p-24f; // smallest subnormal half
        QVERIFY(store.append(keyFor(0), f));
        const ImageFeatures loaded = store.load(0);
        QCOMPARE(loaded.patchTokens[0], 1.0f);
        QCOMPARE(loaded.patchTokens[1], 1.0f + 0x1p-9f);
        QCOMPARE(loaded.patchTokens[2], 65504.0f);
        QCOMPARE(loaded.patchTokens[3], 0x1p-24f);
    }

    void resumeLookupAndNewerVersions() {
        QTemporaryDir tmp;
        FeatureStore store;
        QVERIFY(store.openForWriting(tmp.path(), testHeader()));
        writeRecords(&store, 0, 3);
        const StoreKey k = keyFor(1);
        QCOMPARE(store.find(k), 1);
        QCOMPARE(store.find(k.path, k.size, k.mtimeMs + 1), -1); // file changed: redo it
        QCOMPARE(store.find(QStringLiteral("/pool/other.jpg"), 1, 1), -1);
        StoreKey changed = k;
        changed.mtimeMs += 5000;
        QVERIFY(store.append(changed, makeFeatures(99)));
        QCOMPARE(store.find(changed), 3);
        QCOMPARE(store.find(k), -1);
        QVERIFY(sameAsStored(store.load(3), makeFeatures(99)));
    }

    void failuresAreRecordedWithReasons() {
        QTemporaryDir tmp;
        {
            FeatureStore store;
            QVERIFY(store.openForWriting(tmp.path(), testHeader()));
            writeRecords(&store, 0, 1);
            QVERIFY(store.appendFailure(keyFor(1), QStringLiteral("/pool/img1.jpg: corrupt JPEG")));
        }
        FeatureStore store;
        QVERIFY(store.openForReading(tmp.path()));
        QCOMPARE(store.count(), 2);
        QVERIFY(!store.entry(1).ok);
        QCOMPARE(store.entry(1).error, QStringLiteral("/pool/img1.jpg: corrupt JPEG"));
        QCOMPARE(store.find(keyFor(1)), 1);
        try {
            store.load(1);
            QFAIL("a failed record loaded");
        } catch (const std::runtime_error& e) {
            QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("corrupt JPEG")));
        }
    }

    void inconsistentFeaturesAreRefused() {
        QTemporaryDir tmp;
        FeatureStore store;
        QVERIFY(store.openForWriting(tmp.path(), testHeader()));
        const Status refused = store.append(keyFor(0), makeFeatures(0, 4, 5, 24, 3)); // radius 3
        QVERIFY(!refused);
        QVERIFY(refused.message().contains(QStringLiteral("radius")));
        ImageFeatures f = makeFeatures(0);
        f.patchTokens.pop_back();
        QVERIFY(!store.append(keyFor(0), f));
        QCOMPARE(store.count(), 0);
    }

    void truncatedTailIsRedone() {
        QTemporaryDir tmp;
        {
            FeatureStore store;
            QVERIFY(store.openForWriting(tmp.path(), testHeader()));
            writeRecords(&store, 0, 5);
        }
        QFile file(recordsFile(tmp.path()));
        const qint64 full = file.size();
        QVERIFY(file.resize(full - 37)); // cut into the last record
        FeatureStore store;
        QVERIFY(store.openForWriting(tmp.path(), testHeader()));
        QCOMPARE(store.count(), 4);
        QVERIFY(store.tornBytesRemoved() > 0);
        QCOMPARE(store.find(keyFor(4)), -1);
        QCOMPARE(QFile(recordsFile(tmp.path())).size(), full - store.tornBytesRemoved() - 37);
        writeRecords(&store, 4, 5);
        QCOMPARE(store.count(), 5);
        for (int i = 0; i < 5; ++i)
            QVERIFY(sameAsStored(store.load(i), makeFeatures(unsigned(i))));
        store.close();
        QCOMPARE(QFile(recordsFile(tmp.path())).size(), full);
    }

    void garbageAndDamagedTailsAreRemoved() {
        QTemporaryDir tmp;
        {
            FeatureStore store;
            QVERIFY(store.openForWriting(tmp.path(), testHeader()));
            writeRecords(&store, 0, 5);
        }
        QFile file(recordsFile(tmp.path()));
        const qint64 full = file.size();
        QVERIFY(file.open(QIODevice::Append));
        file.write(QByteArray("FSR1 half a header and then nonsense", 36));
        file.close();
        {
            FeatureStore reader; // read-only: ignores the tail, leaves the file alone
            QVERIFY(reader.openForReading(tmp.path()));
            QCOMPARE(reader.count(), 5);
            QCOMPARE(reader.tornBytesRemoved(), qint64(36));
            QCOMPARE(QFile(recordsFile(tmp.path())).size(), full + 36);
        }
        {
            FeatureStore store;
            QVERIFY(store.openForWriting(tmp.path(), testHeader()));
            QCOMPARE(store.count(), 5);
            QCOMPARE(store.tornBytesRemoved(), qint64(36));
        }
        QCOMPARE(QFile(recordsFile(tmp.path())).size(), full);
        // Same length, flipped payload byte of the last record (e.g. zero-filled on power loss).
        QVERIFY(file.open(QIODevice::ReadWrite));
        file.seek(full - 9);
        file.write("\x5a", 1);
        file.close();
        FeatureStore store;
        QVERIFY(store.openForWriting(tmp.path(), testHeader()));
        QCOMPARE(store.count(), 4);
        writeRecords(&store, 4, 5);
        QVERIFY(store.verify().isEmpty());
    }

    void surviveRealKills() {
        QTemporaryDir tmp;
        const QString folder = tmp.filePath(QStringLiteral("killed"));
        int reported = 0;
        for (int round = 0; round < 4; ++round) {
            QProcess child;
            child.start(QCoreApplication::applicationFilePath(),
                        {QStringLiteral("--write-forever"), folder});
            QVERIFY(child.waitForStarted());
            const int target = reported + 10 + int(QRandomGenerator::global()->bounded(20));
            while (reported < target) {
                QVERIFY2(child.state() == QProcess::Running || child.bytesAvailable() > 0,
                         child.readAllStandardError().constData());
                if (!child.canReadLine() && !child.waitForReadyRead(10000))
                    QFAIL("the writer child stopped reporting");
                while (child.canReadLine())
                    reported = std::max(reported, child.readLine().trimmed().toInt());
            }
            QThread::usleep(QRandomGenerator::global()->bounded(3000)); // land mid-write
            child.kill(); // SIGKILL: no destructor, no flush, lock file left behind
            QVERIFY(child.waitForFinished());
            while (child.canReadLine())
                reported = std::max(reported, child.readLine().trimmed().toInt());

            FeatureStore store;
            const Status opened =
                store.openForWriting(folder, testHeader(QStringLiteral("kill|v1"),
                                                        3)); // the dead writer's lock is stale
            QVERIFY2(opened, qPrintable(opened.message()));
            QVERIFY2(store.count() >= reported,
                     qPrintable(QStringLiteral("%1 < %2").arg(store.count()).arg(reported)));
            QVERIFY(store.count() <= reported + 1);
            for (int i = 0; i < store.count(); ++i) {
                QCOMPARE(store.entry(i).path, keyFor(i).path);
                QVERIFY(sameAsStored(store.load(i), makeFeatures(unsigned(i), 14, 14, 384, 3)));
            }
            reported = store.count();
        }
        QVERIFY(reported >= 40);
    }

    void differentFingerprintIsRefused() {
        QTemporaryDir tmp;
        {
            FeatureStore store;
            QVERIFY(store.openForWriting(tmp.path(), testHeader()));
            writeRecords(&store, 0, 2);
        }
        const StoreHeader other = testHeader(QStringLiteral("dino|model=dino_vits16"));
        FeatureStore store;
        const Status refused = store.openForWriting(tmp.path(), other);
        QVERIFY(!refused);
        QVERIFY(refused.message().contains(testHeader().fingerprint.canonical()));
        QVERIFY(refused.message().contains(other.fingerprint.canonical()));
        QVERIFY(refused.message().contains(tmp.path()));
        // The user's to fix (another --store, or a reset): the CLI exits 2, not 1.
        QCOMPARE(refused.error().category, ErrorCategory::UserInput);
        StoreHeader patternsOnly = testHeader();
        patternsOnly.patternsOnly = true;
        QVERIFY(!store.openForWriting(tmp.path(), patternsOnly));
        // Nothing was touched by the refusals.
        QVERIFY(store.openForReading(tmp.path()));
        QCOMPARE(store.count(), 2);
        store.close();
        const Status opened = store.openForWriting(tmp.path(), other, true);
        QVERIFY2(opened, qPrintable(opened.message()));
        QCOMPARE(store.count(), 0);
        QCOMPARE(store.header().fingerprint.canonical(), other.fingerprint.canonical());
    }

    void oneWriterAtATime() {
        QTemporaryDir tmp;
        FeatureStore first, second;
        QVERIFY(first.openForWriting(tmp.path(), testHeader()));
        const Status busy = second.openForWriting(tmp.path(), testHeader());
        QVERIFY(!busy);
        QVERIFY(busy.message().contains(QStringLiteral("another process")));
        first.close();
        QVERIFY(second.openForWriting(tmp.path(), testHeader()));
    }

    void patternsOnlyStoreKeepsWhatItIsGiven() {
        QTemporaryDir tmp;
        StoreHeader header = testHeader();
        header.patternsOnly = true;
        header.patternParameters = QStringLiteral("tau=0.5|K=5|eps=2|seed=1");
        FeatureStore store;
        QVERIFY(store.openForWriting(tmp.path(), header));
        const ImageFeatures f = makeFeatures(3);
        const std::vector<float> patterns(size_t(3 * f.dims), 0.25f);
        QVERIFY(store.append(keyFor(0), f, patterns, 3));
        const ImageFeatures loaded = store.load(0);
        QVERIFY(loaded.patchTokens.empty());
        QCOMPARE(loaded.clsToken, f.clsToken);
        QCOMPARE(loaded.clsAttention, f.clsAttention);
        QCOMPARE(store.loadPatterns(0), patterns);
        QCOMPARE(store.entry(0).patternCount, 3);
        QVERIFY(store.append(keyFor(1), f)); // without patterns: only what it is given
        QVERIFY(store.loadPatterns(1).empty());
    }

    void mergedShardsEqualOneStore() {
        QTemporaryDir tmp;
        const QDir root(tmp.path());
        FeatureStore single, even, odd;
        QVERIFY(single.openForWriting(root.filePath(QStringLiteral("single")), testHeader()));
        QVERIFY(even.openForWriting(root.filePath(QStringLiteral("even")), testHeader()));
        QVERIFY(odd.openForWriting(root.filePath(QStringLiteral("odd")), testHeader()));
        for (int i = 0; i < 9; ++i) {
            FeatureStore& shard = i % 2 ? odd : even;
            if (i == 4) {
                QVERIFY(single.appendFailure(keyFor(i), QStringLiteral("bad file")));
                QVERIFY(shard.appendFailure(keyFor(i), QStringLiteral("bad file")));
                continue;
            }
            QVERIFY(single.append(keyFor(i), makeFeatures(unsigned(i))));
            QVERIFY(shard.append(keyFor(i), makeFeatures(unsigned(i))));
        }
        // A superseded record in a shard is not carried over.
        StoreKey stale = keyFor(20);
        QVERIFY(odd.append(stale, makeFeatures(20)));
        stale.size += 1;
        QVERIFY(single.append(stale, makeFeatures(21)));
        QVERIFY(odd.append(stale, makeFeatures(21)));
        single.close();
        even.close();
        odd.close();

        const QString merged = root.filePath(QStringLiteral("merged"));
        const Status error = mergeStores(
            {root.filePath(QStringLiteral("odd")), root.filePath(QStringLiteral("even"))}, merged);
        QVERIFY2(error.ok(), qPrintable(error.message()));
        FeatureStore a, b;
        QVERIFY(a.openForReading(root.filePath(QStringLiteral("single"))));
        QVERIFY(b.openForReading(merged));
        QCOMPARE(b.count(), a.count());
        for (int i = 0; i < a.count(); ++i) {
            QCOMPARE(b.entry(i).path, a.entry(i).path);
            QCOMPARE(b.entry(i).ok, a.entry(i).ok);
            QCOMPARE(b.entry(i).error, a.entry(i).error);
            QCOMPARE(b.rawRecord(i), a.rawRecord(i));
        }
        QVERIFY(b.verify().isEmpty());

        // Refusals: an existing output, different fingerprints.
        const Status existing = mergeStores({root.filePath(QStringLiteral("even"))}, merged);
        QVERIFY(existing.message().contains(merged));
        QCOMPARE(existing.error().category, ErrorCategory::UserInput);
        FeatureStore foreign;
        QVERIFY(foreign.openForWriting(root.filePath(QStringLiteral("foreign")),
                                       testHeader(QStringLiteral("other|v2"))));
        foreign.close();
        const QString refused = mergeStores({root.filePath(QStringLiteral("even")),
                                             root.filePath(QStringLiteral("foreign"))},
                                            root.filePath(QStringLiteral("merged2")))
                                    .message();
        QVERIFY(refused.contains(QStringLiteral("other|v2")));
        QVERIFY(refused.contains(QStringLiteral("test|v1")));
    }

    void concurrentLoadsAgree() {
        QTemporaryDir tmp;
        FeatureStore store;
        QVERIFY(store.openForWriting(tmp.path(), testHeader()));
        writeRecords(&store, 0, 40);
        store.close();
        QVERIFY(store.openForReading(tmp.path()));
        std::vector<ImageFeatures> expected;
        for (int i = 0; i < 40; ++i)
            expected.push_back(store.load(i));
        FeatureStore fresh;
        QVERIFY(fresh.openForReading(tmp.path()));
        std::atomic<int> mismatches{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                for (int round = 0; round < 20; ++round)
                    for (int i = 0; i < 40; ++i) {
                        const int index = (i * 7 + t + round) % 40;
                        const ImageFeatures f = fresh.load(index);
                        if (f.patchTokens != expected[size_t(index)].patchTokens ||
                            f.neighbourhood.values() !=
                                expected[size_t(index)].neighbourhood.values())
                            ++mismatches;
                    }
            });
        for (std::thread& t : threads)
            t.join();
        QCOMPARE(mismatches.load(), 0);
    }
};

int main(int argc, char** argv) {
    if (argc == 3 && qstrcmp(argv[1], "--write-forever") == 0)
        return writeForever(QString::fromLocal8Bit(argv[2]));
    QCoreApplication app(argc, argv);
    TestFeatureStore test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_feature_store.moc"
