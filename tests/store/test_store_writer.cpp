// SPDX-License-Identifier: GPL-3.0-or-later
// The store writer (extraction's appends, on the caller's thread or a thread of its own):
// every record handed over lands in the store in the order handed, failure records included;
// a failed append stops it and is thrown, naming the image; what was handed over before the
// writer is destroyed is written.

#include "store/feature_store.h"
#include "store/store_writer.h"
#include "support/store_test_support.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace freesel;
using namespace freesel::storetest;

namespace {

/// Keys first..first+count-1 with features seeded by their index.
void batchOf(int first, int count, std::vector<StoreKey>& keys,
             std::vector<ImageFeatures>& features) {
    keys.clear();
    features.clear();
    for (int i = first; i < first + count; ++i) {
        keys.push_back(keyFor(i));
        features.push_back(makeFeatures(unsigned(i)));
    }
}

} // namespace

class TestStoreWriter : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    int stores_ = 0;

    void openStore(FeatureStore& store) {
        QVERIFY(store.openForWriting(dir_.filePath(QString::number(++stores_)), testHeader()));
    }

    /// Three batches of five with a failure record between the first two, handed to a writer
    /// in `mode`: all 16 records, in the order handed, with their own features.
    void writesEverythingInOrder(StoreWriter::Mode mode) {
        FeatureStore store;
        openStore(store);
        std::vector<StoreKey> keys;
        std::vector<ImageFeatures> features;
        {
            StoreWriter writer(store, mode);
            batchOf(0, 5, keys, features);
            writer.append(keys, features);
            writer.appendFailure(keyFor(100), QStringLiteral("not a JPEG"));
            batchOf(5, 5, keys, features);
            writer.append(keys, features);
            batchOf(10, 5, keys, features);
            writer.append(keys, features);
            writer.finish();
        }
        QCOMPARE(store.count(), 16);
        const QList<int> order{0, 1, 2, 3, 4, 100, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        for (int r = 0; r < store.count(); ++r) {
            const StoreEntry& entry = store.entry(r);
            QCOMPARE(entry.path, keyFor(order[r]).path);
            if (order[r] == 100) {
                QVERIFY(!entry.ok);
                QCOMPARE(entry.error, QStringLiteral("not a JPEG"));
                continue;
            }
            QVERIFY(entry.ok);
            QCOMPARE(store.load(r).clsAttention, makeFeatures(unsigned(order[r])).clsAttention);
            QCOMPARE(store.load(r).clsToken, makeFeatures(unsigned(order[r])).clsToken);
        }
    }

    /// A batch whose third record cannot be stored (its band radius, 3, differs from the
    /// store's, 2): finish() throws naming that image, the records after it are not written,
    /// and nothing more is accepted.
    void stopsAtAFailedAppend(StoreWriter::Mode mode) {
        FeatureStore store;
        openStore(store);
        std::vector<StoreKey> keys;
        std::vector<ImageFeatures> features;
        batchOf(0, 5, keys, features);
        features[2] = makeFeatures(2, 4, 5, 24, 3);
        StoreWriter writer(store, mode);
        QString message;
        try {
            writer.append(keys, features);
            writer.finish();
        } catch (const StoreError& e) {
            message = QString::fromStdString(e.what());
        }
        QVERIFY2(message.contains(keyFor(2).path), qPrintable(message));
        QCOMPARE(store.count(), 2);
        batchOf(5, 5, keys, features);
        QVERIFY_THROWS_EXCEPTION(StoreError, writer.append(keys, features));
        QVERIFY_THROWS_EXCEPTION(StoreError, writer.finish());
        QCOMPARE(store.count(), 2);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void ownThreadWritesEverythingInOrder() { writesEverythingInOrder(StoreWriter::OwnThread); }
    void callerThreadWritesEverythingInOrder() {
        writesEverythingInOrder(StoreWriter::CallerThread);
    }

    void callerThreadHasWrittenWhenAppendReturns() {
        FeatureStore store;
        openStore(store);
        std::vector<StoreKey> keys;
        std::vector<ImageFeatures> features;
        batchOf(0, 3, keys, features);
        StoreWriter writer(store, StoreWriter::CallerThread);
        writer.append(keys, features);
        QCOMPARE(store.count(), 3);
        writer.appendFailure(keyFor(3), QStringLiteral("truncated"));
        QCOMPARE(store.count(), 4);
    }

    void ownThreadStopsAtAFailedAppend() { stopsAtAFailedAppend(StoreWriter::OwnThread); }
    void callerThreadStopsAtAFailedAppend() { stopsAtAFailedAppend(StoreWriter::CallerThread); }

    void destroyingTheWriterWritesWhatWasHandedOver() {
        // An exception between batches (the network's) leaves no record behind.
        FeatureStore store;
        openStore(store);
        std::vector<StoreKey> keys;
        std::vector<ImageFeatures> features;
        {
            StoreWriter writer(store, StoreWriter::OwnThread);
            for (int first = 0; first < 40; first += 8) {
                batchOf(first, 8, keys, features);
                writer.append(keys, features);
            }
        }
        QCOMPARE(store.count(), 40);
        for (int r = 0; r < 40; ++r)
            QCOMPARE(store.entry(r).path, keyFor(r).path);
    }
};

QTEST_GUILESS_MAIN(TestStoreWriter)
#include "test_store_writer.moc"
