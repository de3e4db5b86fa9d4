// SPDX-License-Identifier: GPL-3.0-or-later
// The pipeline session, the one orchestrator the CLI and the Studio drive: which stages re-run
// after which parameter change, the default store rule, cancel, and that its result is the
// stages' own result.
#include "backbone/backend_factory.h"
#include "backbone/offline_backend.h"
#include "image/demo_pool.h"
#include "image/pool_scanner.h"
#include "pipeline.h"
#include "pipeline_session.h"

#include <QCoreApplication>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

using namespace freesel;

namespace {

/// Counts the stages a session starts, and can cancel from inside one.
class StageLog : public SessionObserver {
public:
    QStringList started;
    QString cancelDuring;
    std::atomic<bool>* cancel = nullptr;

    void stageStarted(const QString& stage) override { started << stage; }
    bool stageProgress(const QString& stage, int64_t, int64_t) override {
        if (cancel && stage == cancelDuring)
            cancel->store(true);
        return true;
    }
};

/// The offline backend claiming to share its threads (as the CPU network does): it runs the
/// pipeline's idle work on a thread of its own while it computes each batch, and counts it.
class IdleWorkBackend : public OfflineBackend {
public:
    bool shares = true;
    int idleDone = 0;

    bool runsIdleWork(size_t) const override { return shares; }
    std::vector<ImageFeatures> runSharingThreads(const std::vector<cv::Mat>& images,
                                                 const IdleWork& idle) override {
        std::thread helper([&] {
            while (idle())
                ++idleDone;
        });
        std::vector<ImageFeatures> features = run(images);
        helper.join();
        return features;
    }
};

/// The offline backend taking a fixed extra time per batch, like a network would.
class SlowBackend : public OfflineBackend {
public:
    static constexpr int kBatchMs = 40;
    int batches = 0;

    std::vector<ImageFeatures> run(const std::vector<cv::Mat>& images) override {
        ++batches;
        std::this_thread::sleep_for(std::chrono::milliseconds(kBatchMs));
        return OfflineBackend::run(images);
    }
};

/// Extracts `pool` into a new store under `folder`; the features of each path, "" for a
/// failure.
std::map<QString, std::vector<float>> extractAll(const PoolScan& pool, FeatureBackend& backend,
                                                 const QString& folder, int decodeThreads) {
    ExtractionOptions options;
    options.resize = ResizeSpec::fixed(64, 64);
    options.batchSize = 4;
    options.decodeThreads = decodeThreads;
    FeatureStore store;
    if (!store.openForWriting(folder, storeHeaderFor(backend, options.resize)))
        qFatal("cannot open %s", qPrintable(folder));
    extractFeatures(pool.entries, backend, store, options);
    std::map<QString, std::vector<float>> features;
    for (int i = 0; i < int(store.entries().size()); ++i)
        features[store.entries()[size_t(i)].path] =
            store.entries()[size_t(i)].ok ? store.load(i).clsToken : std::vector<float>();
    return features;
}

} // namespace

class TestPipelineSession : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString pool_;

    RunParameters parameters() const {
        RunParameters p;
        p.source = pool_;
        p.backend = QStringLiteral("offline");
        p.budget = 5;
        p.seed = 7;
        p.storeDir = dir_.filePath(QStringLiteral("store"));
        return p;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(dir_.isValid());
        pool_ = dir_.filePath(QStringLiteral("pool"));
        QCOMPARE(writeDemoPool(pool_, 16, 4), QString());
    }

    void extractionDecodesOnTheBackendsIdleThreads() {
        // A backend that shares its threads decodes the next images there (no decode threads
        // of the pipeline's own) and stores the same features, failures included; one that
        // does not, or an explicit --decode-threads, keeps the pipeline's decode threads (and
        // a writer thread for the records, StoreWriter: the same store either way).
        const QString pool = dir_.filePath(QStringLiteral("idle_pool"));
        QCOMPARE(writeDemoPool(pool, 14, 3), QString());
        QFile broken(pool + QStringLiteral("/broken.png"));
        QVERIFY(broken.open(QIODevice::WriteOnly) && broken.write("not a png") > 0);
        broken.close();
        const PoolScan scan = scanFolder(pool);
        QCOMPARE(int(scan.entries.size()), 15);
        IdleWorkBackend sharing;
        const auto shared = extractAll(scan, sharing, dir_.filePath(QStringLiteral("s1")), 0);
        QVERIFY(sharing.idleDone > 0);
        IdleWorkBackend own;
        own.shares = false;
        const auto threaded = extractAll(scan, own, dir_.filePath(QStringLiteral("s2")), 0);
        QCOMPARE(own.idleDone, 0);
        QCOMPARE(int(shared.size()), 15);
        QVERIFY(shared == threaded);
        QVERIFY(shared.at(pool + QStringLiteral("/broken.png")).empty());
        IdleWorkBackend asked;
        const auto explicitThreads =
            extractAll(scan, asked, dir_.filePath(QStringLiteral("s3")), 2);
        QCOMPARE(asked.idleDone, 0);
        QVERIFY(explicitThreads == shared);
    }

    void extractionStopsAtAStoreError() {
        // A record the store refuses (here: a band radius other than the store's) stops the
        // extraction with a StoreError naming the image, whether the records are written on
        // the network's thread or on the writer thread, and no later batch is run.
        const PoolScan scan = scanFolder(pool_);
        using StoreWrites = ExtractionOptions::StoreWrites;
        for (const StoreWrites writes : {StoreWrites::CallerThread, StoreWrites::OwnThread}) {
            SlowBackend backend;
            ExtractionOptions options;
            options.resize = ResizeSpec::fixed(64, 64);
            options.batchSize = 4;
            options.storeWrites = writes;
            StoreHeader header = storeHeaderFor(backend, options.resize);
            header.fingerprint.radius += 1;
            FeatureStore store;
            QVERIFY(store.openForWriting(
                dir_.filePath(QStringLiteral("refusing%1").arg(int(writes))), header));
            QString message;
            try {
                extractFeatures(scan.entries, backend, store, options);
            } catch (const StoreError& e) {
                message = QString::fromStdString(e.what());
            }
            QVERIFY2(message.contains(scan.entries.front().path), qPrintable(message));
            QCOMPARE(store.count(), 0);
            QVERIFY2(backend.batches <= 2, qPrintable(QString::number(backend.batches)));
        }
    }

    void extractionSaysWhereItsTimeWent() {
        // Waiting for decoding, the network and the store's writes are timed apart (the
        // answer to "what bounds the rate?"): the network's part holds every batch's time,
        // and the three together fit in the whole.
        const PoolScan scan = scanFolder(pool_);
        SlowBackend backend;
        ExtractionOptions options;
        options.resize = ResizeSpec::fixed(64, 64);
        options.batchSize = 4;
        FeatureStore store;
        QVERIFY(store.openForWriting(dir_.filePath(QStringLiteral("timed")),
                                     storeHeaderFor(backend, options.resize)));
        const ExtractionReport report = extractFeatures(scan.entries, backend, store, options);
        QCOMPARE(report.extracted, 16);
        QCOMPARE(backend.batches, 4);
        const double batchSeconds = backend.batches * SlowBackend::kBatchMs * 1e-3;
        QVERIFY2(report.networkSeconds >= batchSeconds,
                 qPrintable(QString::number(report.networkSeconds)));
        QVERIFY(report.storeSeconds > 0.0);
        QVERIFY(report.decodeWaitSeconds > 0.0);
        QVERIFY2(report.decodeWaitSeconds + report.networkSeconds + report.storeSeconds <=
                     report.seconds,
                 qPrintable(QStringLiteral("%1 + %2 + %3 > %4")
                                .arg(report.decodeWaitSeconds)
                                .arg(report.networkSeconds)
                                .arg(report.storeSeconds)
                                .arg(report.seconds)));
    }

    void decodeThreadsRunTwoBatchesAhead() {
        // Decode threads of the pipeline's own fill two batches while the network runs (a GPU
        // leaves the cores idle meanwhile), and never fewer than two images per thread; when
        // the network's threads decode (0 threads of our own) the window is two batches.
        QCOMPARE(extractionDecodeWindow(64, 16), 128);
        QCOMPARE(extractionDecodeWindow(8, 64), 128);
        QCOMPARE(extractionDecodeWindow(8, 0), 16);
        QCOMPARE(extractionDecodeWindow(1, 1), 2);
    }

    void eachChangeRerunsOnlyTheStagesAfterIt() {
        StageLog log;
        PipelineSession session(&log);
        RunParameters p = parameters();
        StagesRun ran = session.run(p);
        QVERIFY(ran.scan && ran.extraction && ran.patterns && ran.selection);
        QCOMPARE(session.extraction().extracted, 16);

        // The same parameters: nothing runs again.
        log.started.clear();
        ran = session.run(p);
        QVERIFY(!ran.scan && !ran.extraction && !ran.patterns && !ran.selection);
        QCOMPARE(log.started, QStringList());

        // A budget or strategy change: selection only.
        p.budget = 3;
        ran = session.run(p);
        QVERIFY(!ran.extraction && !ran.patterns && ran.selection);
        QCOMPARE(int(session.selection().picks.size()), 3);
        p.strategy = QStringLiteral("random");
        QVERIFY(session.run(p).selection);
        QCOMPARE(log.started,
                 (QStringList{QStringLiteral("selection"), QStringLiteral("selection")}));

        // tau, K, eps or seed: patterns and selection, never the network.
        log.started.clear();
        p.tau = 0.3;
        ran = session.run(p);
        QVERIFY(!ran.extraction && ran.patterns && ran.selection);
        QCOMPARE(log.started,
                 (QStringList{QStringLiteral("patterns"), QStringLiteral("selection")}));
        // The seed alone: the patterns' k-means depends on it, so they are redone too.
        p.seed = 8;
        ran = session.run(p);
        QVERIFY(!ran.extraction && ran.patterns && ran.selection);

        // Another input size: a new store fingerprint, so extraction runs (into its own store).
        p.inputSize = 112;
        p.storeDir = dir_.filePath(QStringLiteral("store-112"));
        ran = session.run(p);
        QVERIFY(!ran.scan && ran.extraction && ran.patterns && ran.selection);
        QCOMPARE(session.extraction().extracted, 16);
    }

    void resultIsTheStagesOwn() {
        PipelineSession session;
        const RunParameters p = parameters();
        session.run(p);
        // The stages by hand on the same store.
        const PoolScan scan = scanPool(pool_);
        FeatureStore store;
        QVERIFY(store.openForReading(p.storeDir));
        const std::vector<int> records = storeRecordsFor(scan.entries, store);
        const PoolPatterns patterns = computePatterns(store, records, p.patternParameters(), 7, 0);
        SelectionRequest request;
        request.budget = 5;
        request.seed = 7;
        const SelectionResult expected = selectImages(patterns, StrategyKind::FreeSel, request);
        QCOMPARE(session.selection().picks.size(), expected.picks.size());
        for (size_t r = 0; r < expected.picks.size(); ++r)
            QCOMPARE(session.selection().picks[r].image, expected.picks[r].image);
        // The patterns themselves, so a seed lost on the way to the pattern stage shows even
        // where the picks happen to agree.
        const PatternPool& got = session.patterns().patterns;
        QCOMPARE(got.patternCount(), patterns.patterns.patternCount());
        QVERIFY(std::equal(got.pattern(0), got.pattern(0) + got.patternCount() * got.dims(),
                           patterns.patterns.pattern(0)));
        QCOMPARE(session.patternSeed(), patternStageSeed(7));
        // A percentage budget is of the usable images, rounded to the nearest: 30% of 16 is 4.8,
        // so 5 (truncating would give 4).
        RunParameters percent = p;
        percent.budget = 30;
        percent.budgetPercent = true;
        session.run(percent);
        QCOMPARE(session.budget(), int64_t(5));
        QCOMPARE(session.provenance().budget, qint64(5));
        QCOMPARE(session.provenance().strategy, QStringLiteral("freesel"));
        // One coverage value per pick, for both orders; the selection's never rises.
        const CoverageCurves& coverage = session.coverage();
        QCOMPARE(coverage.selection.size(), size_t(5));
        QCOMPARE(coverage.random.size(), size_t(5));
        for (size_t k = 1; k < coverage.selection.size(); ++k)
            QVERIFY(coverage.selection[k] <= coverage.selection[k - 1]);
    }

    void randomBaselineFollowsTheSeed() {
        // K = 1: each pattern is the mean of the kept patches, the same for every seed, so only
        // the orders can differ between seeds 7 and 8. The random baseline is a seeded order
        // too: rules out a baseline that ignores the seed (the same curve for every seed).
        PipelineSession session;
        RunParameters p = parameters();
        p.clusters = 1;
        session.run(p);
        const PatternPool first = session.patterns().patterns;
        const std::vector<double> random7 = session.coverage().random;
        p.seed = 8;
        session.run(p);
        const PatternPool& second = session.patterns().patterns;
        QCOMPARE(second.patternCount(), first.patternCount());
        QVERIFY(std::equal(first.pattern(0), first.pattern(0) + first.patternCount() * first.dims(),
                           second.pattern(0)));
        QVERIFY(session.coverage().random != random7);
    }

    void defaultStoreIsPerPoolAndBackend() {
        BackendChoice offline;
        offline.backend = QStringLiteral("offline");
        const BackendSelection backend = createBackend(offline);
        const QString a = PipelineSession::defaultStoreFolder(pool_, *backend.backend, 224);
        QVERIFY(a.contains(QStringLiteral("/freesel/stores/offline-")));
        QCOMPARE(a.section(QLatin1Char('-'), -1).size(), 16); // 16 hex digits of a sha1
        QVERIFY(a != PipelineSession::defaultStoreFolder(pool_ + QStringLiteral("x"),
                                                         *backend.backend, 224));
        QVERIFY(a != PipelineSession::defaultStoreFolder(pool_, *backend.backend, 112));
        // A relative pool path names the same store as its absolute path.
        QDir::setCurrent(dir_.path());
        QCOMPARE(PipelineSession::defaultStoreFolder(QStringLiteral("pool"), *backend.backend, 224),
                 a);

        // A session without --store uses it, and a second pool gets its own.
        RunParameters p = parameters();
        p.storeDir.clear();
        PipelineSession session;
        session.run(p);
        QCOMPARE(session.store().folder(), a);
        const QString other = dir_.filePath(QStringLiteral("other-pool"));
        QCOMPARE(writeDemoPool(other, 6, 9), QString());
        p.source = other;
        // A new pool invalidates the store at once: its records index the old pool, so no
        // stage may use them before the store is opened for the new one.
        QVERIFY(session.scan(p));
        QVERIFY(!session.hasStore());
        QVERIFY_THROWS_EXCEPTION(std::logic_error, session.computePatterns(p));
        QVERIFY(session.run(p).extraction);
        QCOMPARE(session.store().folder(),
                 PipelineSession::defaultStoreFolder(other, *backend.backend, 224));
        QCOMPARE(session.extraction().extracted, 6);
    }

    void cancelStopsAndTheNextRunResumes() {
        std::atomic<bool> cancel{false};
        StageLog log;
        log.cancel = &cancel;
        log.cancelDuring = QStringLiteral("extract");
        RunParameters p = parameters();
        p.storeDir = dir_.filePath(QStringLiteral("store-cancel"));
        p.batchSize = 2;
        PipelineSession session(&log, &cancel);
        try {
            session.run(p);
            QFAIL("the run was not cancelled");
        } catch (const StageCancelled& cancelled) {
            QCOMPARE(cancelled.stage(), QStringLiteral("extract"));
        }
        cancel = false;
        log.cancel = nullptr;
        const StagesRun ran = session.run(p);
        QVERIFY(ran.extraction && ran.selection);
        // What the cancelled run stored is reused, the rest extracted now.
        QVERIFY(session.extraction().reused > 0);
        QCOMPARE(session.extraction().reused + session.extraction().extracted, 16);
    }

    void theWriteLockIsHeldOnlyWhileExtracting() {
        RunParameters p = parameters();
        p.storeDir = dir_.filePath(QStringLiteral("store-lock"));
        PipelineSession session;
        session.run(p);
        // Idle after its run, the session lets another writer (the CLI) open the store.
        FeatureStore other;
        const Status opened = other.openForWriting(p.storeDir, session.store().header());
        // While that one writes, a session that must extract is refused, naming the holder
        QVERIFY2(opened, qPrintable(opened.message()));
        // and the way out.
        PipelineSession second;
        try {
            second.run(p);
            QFAIL("two writers held the store");
        } catch (const Failure& error) {
            // The user's to resolve (wait, or --store): exit 2, not a failure of the machine.
            QCOMPARE(error.category(), ErrorCategory::UserInput);
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(
                message.contains(QStringLiteral("pid %1").arg(QCoreApplication::applicationPid())),
                error.what());
            QVERIFY2(message.contains(QStringLiteral("--store")), error.what());
        }
        other.close();
        // The first session still answers from its cache; the second now runs, reusing all.
        QVERIFY(!session.run(p).extraction);
        QVERIFY(second.run(p).extraction);
        QCOMPARE(second.extraction().reused, 16);
        QCOMPARE(second.extraction().extracted, 0);
    }

    void userErrorsNameTheParameter() {
        PipelineSession session;
        RunParameters p = parameters();
        p.budget = 150;
        p.budgetPercent = true;
        try {
            session.run(p);
            QFAIL("a 150% budget was accepted");
        } catch (const std::invalid_argument& error) {
            QVERIFY2(QString::fromUtf8(error.what()).startsWith(QStringLiteral("budget must be")),
                     error.what());
        }
        p = parameters();
        p.inputSize = 100; // not a multiple of the patch size
        try {
            session.run(p);
            QFAIL("an input size of 100 was accepted");
        } catch (const std::invalid_argument& error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("--input-size")),
                     error.what());
        }
        p = parameters();
        p.source = dir_.filePath(QStringLiteral("missing"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, session.run(p));
        // Stages out of order are a programming error, not a user one.
        PipelineSession fresh;
        try {
            fresh.computePatterns(parameters());
            QFAIL("patterns ran before the store was opened");
        } catch (const std::invalid_argument&) {
            QFAIL("a stage out of order was reported as the user's mistake");
        } catch (const std::logic_error& error) {
            QVERIFY(QString::fromUtf8(error.what()).contains(QStringLiteral("store")));
        }
    }
};

QTEST_GUILESS_MAIN(TestPipelineSession)
#include "test_pipeline_session.moc"
