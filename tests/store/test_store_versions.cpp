// SPDX-License-Identifier: GPL-3.0-or-later
// The store's version 2: the CLIP embedding section round-trips bit for bit, a version-1 store
// (what the previous build wrote: the same records, version 1 in store.json and the log header)
// still opens, reads and resumes as version 1, and a newer version is refused by name.

#include "store/feature_store.h"
#include "store/store_format.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

using namespace freesel;

namespace {

ImageFeatures makeFeatures(int seed, int embeddingDims) {
    ImageFeatures f;
    f.grid = PatchGrid{2, 3};
    f.dims = 4;
    for (int i = 0; i < 6 * 4; ++i)
        f.patchTokens.push_back(float((i * 7 + seed) % 11) * 0.25f); // exact in fp16
    for (int i = 0; i < 4; ++i)
        f.clsToken.push_back(float(i + seed));
    f.clsAttention.assign(6, 1.0f / 6.0f);
    f.neighbourhood = NeighbourhoodAttention(f.grid, 1);
    for (int i = 0; i < embeddingDims; ++i)
        f.clipEmbedding.push_back(0.1f * float(i) - 0.37f * float(seed));
    return f;
}

StoreHeader header() {
    StoreHeader h;
    h.fingerprint.backend = QStringLiteral("clip|model=test");
    h.fingerprint.input = QStringLiteral("fixed:32x32");
    h.fingerprint.radius = 1;
    return h;
}

StoreKey keyFor(int i) {
    return StoreKey{QStringLiteral("/pool/%1.png").arg(i), 100 + i, 1000 + i, i};
}

/// Rewrites the version in store.json and in the log's file header, as a build of format
/// version `version` would have written them (records without bit 5 are laid out the same).
void setVersion(const QString& folder, quint32 version) {
    const QString json = QDir(folder).filePath(QLatin1String(store_format::kHeaderFileName));
    QFile header(json);
    QVERIFY(header.open(QIODevice::ReadOnly));
    QJsonObject root = QJsonDocument::fromJson(header.readAll()).object();
    header.close();
    root.insert(QStringLiteral("version"), int(version));
    QVERIFY(header.open(QIODevice::WriteOnly | QIODevice::Truncate));
    header.write(QJsonDocument(root).toJson());
    header.close();
    QFile log(QDir(folder).filePath(QLatin1String(store_format::kRecordsFileName)));
    QVERIFY(log.open(QIODevice::ReadWrite));
    QVERIFY(log.seek(offsetof(store_format::FileHeader, version)));
    QCOMPARE(log.write(reinterpret_cast<const char*>(&version), sizeof(version)),
             qint64(sizeof(version)));
}

quint32 logVersion(const QString& folder) {
    QFile log(QDir(folder).filePath(QLatin1String(store_format::kRecordsFileName)));
    store_format::FileHeader head{};
    if (!log.open(QIODevice::ReadOnly) ||
        log.read(reinterpret_cast<char*>(&head), sizeof(head)) != sizeof(head))
        return 0;
    return head.version;
}

} // namespace

class TestStoreVersions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void clipEmbeddingRoundTrips() {
        QTemporaryDir tmp;
        const QString folder = tmp.filePath(QStringLiteral("store"));
        const ImageFeatures with = makeFeatures(1, 5);
        const ImageFeatures without = makeFeatures(2, 0);
        {
            FeatureStore store;
            const freesel::Status opened = store.openForWriting(folder, header());
            QVERIFY2(opened, qPrintable(opened.message()));
            const freesel::Status stored = store.append(keyFor(0), with);
            QVERIFY2(stored, qPrintable(stored.message()));
            const freesel::Status storedWithout = store.append(keyFor(1), without);
            QVERIFY2(storedWithout, qPrintable(storedWithout.message()));
        }
        QCOMPARE(logVersion(folder), quint32(2));
        FeatureStore store;
        const freesel::Status opened = store.openForReading(folder);
        QVERIFY2(opened, qPrintable(opened.message()));
        QCOMPARE(store.header().formatVersion, 2);
        QCOMPARE(store.entry(0).embeddingDims, 5);
        QVERIFY(store.entry(0).sections & store_format::ClipEmbedding);
        QCOMPARE(store.entry(1).embeddingDims, 0);
        QVERIFY(!(store.entry(1).sections & store_format::ClipEmbedding));
        QCOMPARE(store.load(0).clipEmbedding, with.clipEmbedding); // float32: exact
        QCOMPARE(store.loadClipEmbedding(0), with.clipEmbedding);
        QCOMPARE(store.load(0).clsToken, with.clsToken); // the other sections are where they were
        QCOMPARE(store.load(0).patchTokens, with.patchTokens);
        QVERIFY(store.load(1).clipEmbedding.empty());
        QVERIFY(store.loadClipEmbedding(1).empty());
        QVERIFY(store.verify().isEmpty());
    }

    void versionOneStoreStillOpensAndResumes() {
        QTemporaryDir tmp;
        const QString folder = tmp.filePath(QStringLiteral("store"));
        const ImageFeatures first = makeFeatures(3, 0);
        {
            FeatureStore store;
            QVERIFY(store.openForWriting(folder, header()));
            QVERIFY(store.append(keyFor(0), first));
        }
        setVersion(folder, 1);
        {
            FeatureStore store;
            const freesel::Status opened = store.openForReading(folder);
            QVERIFY2(opened, qPrintable(opened.message()));
            QCOMPARE(store.header().formatVersion, 1);
            QCOMPARE(store.count(), 1);
            QCOMPARE(store.load(0).clsToken, first.clsToken);
        }
        {
            FeatureStore store; // resuming keeps version 1, and refuses what it cannot hold
            const freesel::Status opened = store.openForWriting(folder, header());
            QVERIFY2(opened, qPrintable(opened.message()));
            QVERIFY(store.append(keyFor(1), makeFeatures(4, 0)));
            const freesel::Status refused = store.append(keyFor(2), makeFeatures(5, 3));
            QVERIFY(!refused);
            QVERIFY2(refused.message().contains(QStringLiteral("version 1")),
                     qPrintable(refused.message()));
            QCOMPARE(refused.error().category, freesel::ErrorCategory::UserInput);
        }
        QCOMPARE(logVersion(folder), quint32(1));
        FeatureStore store;
        QVERIFY(store.openForReading(folder));
        QCOMPARE(store.count(), 2);
        QCOMPARE(store.load(1).clsToken, makeFeatures(4, 0).clsToken);
    }

    void newerVersionIsRefusedByName() {
        QTemporaryDir tmp;
        const QString folder = tmp.filePath(QStringLiteral("store"));
        {
            FeatureStore store;
            QVERIFY(store.openForWriting(folder, header()));
        }
        setVersion(folder, 3);
        FeatureStore store;
        const freesel::Status refused = store.openForReading(folder);
        QVERIFY(!refused);
        QVERIFY2(refused.message().contains(QStringLiteral("version 3")),
                 qPrintable(refused.message()));
        QVERIFY2(refused.message().contains(QStringLiteral("versions 1 to 2")),
                 qPrintable(refused.message()));
    }
};

QTEST_GUILESS_MAIN(TestStoreVersions)
#include "test_store_versions.moc"
