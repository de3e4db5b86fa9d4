// SPDX-License-Identifier: GPL-3.0-or-later
// Hostile inputs end to end: a generated pool with 30+ kinds of broken, odd and dangerous files
// goes through `freesel select`; every bad file must be reported with its reason (CLI summary,
// JSON, CSV, the export sidecar) and the selection must complete over the good files. Also:
// files changing between scan and decode, a read-only store folder, a full disk.

#include "support/cli_test_support.h"
#include "support/hostile_corpus.h"
#include "support/scene_pool.h"

#include "backbone/offline_backend.h"
#include "image/pool_scanner.h"
#include "pipeline.h"
#include "store/feature_store.h"
#include "store/store_format.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>

#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace clitest;
using namespace scenepool;
using hostile::Outcome;

namespace {

constexpr uid_t kNobody = 65534;

/// In the child: as root, become nobody, so permission bits apply as they do for users.
void dropRootToNobody() {
    if (::geteuid() != 0)
        return;
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0)
        ::_exit(126);
}

/// A folder anyone may use: the CLI may run as nobody.
QString sharedFolder(const QTemporaryDir& dir, const QString& name) {
    const QString folder = dir.filePath(name);
    QDir().mkpath(folder);
    QFile::setPermissions(folder, QFileDevice::Permissions(0x7777));
    return folder;
}

void openUp(const QTemporaryDir& dir) {
    QFile::setPermissions(dir.path(), QFileDevice::Permissions(0x7755));
}

QProcessEnvironment environmentWithHome(const QString& home) {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("HOME"), home);
    environment.insert(QStringLiteral("XDG_CACHE_HOME"), home + QStringLiteral("/.cache"));
    return environment;
}

QMap<QString, QString> failuresByPath(const QJsonArray& failed) {
    QMap<QString, QString> byPath;
    for (const QJsonValue& value : failed)
        byPath.insert(value.toObject().value(QStringLiteral("path")).toString(),
                      value.toObject().value(QStringLiteral("error")).toString());
    return byPath;
}

qint64 fileSize(const QString& path) {
    return QFileInfo(path).size();
}

QString recordsFile(const QString& store) {
    return store + QLatin1Char('/') + QLatin1String(freesel::store_format::kRecordsFileName);
}

QStringList extractArguments(const QString& pool, const QString& store) {
    return {QStringLiteral("extract"),      pool,
            QStringLiteral("--store"),      store,
            QStringLiteral("--backend"),    QStringLiteral("offline"),
            QStringLiteral("--input-size"), QStringLiteral("96"),
            QStringLiteral("--batch-size"), QStringLiteral("2")};
}

QStringList selectArguments(const QString& pool, const QString& store, const QString& out) {
    return {QStringLiteral("select"),       pool,
            QStringLiteral("--store"),      store,
            QStringLiteral("--backend"),    QStringLiteral("offline"),
            QStringLiteral("--input-size"), QStringLiteral("96"),
            QStringLiteral("--budget"),     QStringLiteral("6"),
            QStringLiteral("--seed"),       QStringLiteral("5"),
            QStringLiteral("--format"),     QStringLiteral("csv"),
            QStringLiteral("--out"),        out};
}

} // namespace

class TestHostileInputs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyBadFileIsReportedAndTheRestSelected();
    void filesChangingAfterTheScan();
    void readOnlyStoreFolder();
    void fullDiskCorruptsNothing();

private:
    void checkCsvRows(const QString& csv, const QString& pool,
                      const std::vector<hostile::Case>& cases);
};

void TestHostileInputs::everyBadFileIsReportedAndTheRestSelected() {
    QTemporaryDir dir;
    openUp(dir);
    const QString pool = dir.filePath(QStringLiteral("pool"));
    const std::vector<hostile::Case> cases = hostile::writeCorpus(pool);
    qInfo("hostile corpus: %d kinds of input", hostile::hostileKindCount(cases));
    QVERIFY(hostile::hostileKindCount(cases) >= 30);
    const QString work = sharedFolder(dir, QStringLiteral("work"));
    const QString csv = work + QStringLiteral("/selection.csv");
    QStringList arguments = selectArguments(pool, work + QStringLiteral("/store"), csv);
    arguments << QStringLiteral("--json");
    const Run run = runFreesel(arguments, environmentWithHome(work), dropRootToNobody);
    struct Cleanup {
        QString folder;
        ~Cleanup() { hostile::prepareRemoval(folder); }
    } cleanup{pool};
    QCOMPARE(run.exitStatus, QProcess::NormalExit);
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));

    const QJsonObject summary = run.json();
    const QMap<QString, QString> failed =
        failuresByPath(summary.value(QStringLiteral("failed")).toArray());
    int expectedFailures = 0;
    for (const hostile::Case& c : cases) {
        const QString path = QDir(pool).filePath(c.relativePath);
        switch (c.outcome) {
        case Outcome::Used:
            QVERIFY2(!failed.contains(path),
                     qPrintable(c.kind + QStringLiteral(": ") + failed.value(path)));
            break;
        case Outcome::Failed:
            ++expectedFailures;
            QVERIFY2(failed.contains(path), qPrintable(c.kind + QStringLiteral(" not reported")));
            QVERIFY2(failed.value(path).contains(c.reason, Qt::CaseInsensitive),
                     qPrintable(c.kind + QStringLiteral(": ") + failed.value(path)));
            break;
        case Outcome::Warned:
            QVERIFY2(run.err.contains(path) && run.err.contains(c.reason),
                     qPrintable(c.kind + QStringLiteral(" not warned: ") + run.err));
            break;
        }
    }
    QCOMPARE(failed.size(), expectedFailures); // nothing good was lost
    QCOMPARE(summary.value(QStringLiteral("selected")).toArray().size(), 6);
    checkCsvRows(csv, pool, cases);

    // The sidecar travels with every export format: it lists the same failures.
    const QJsonObject sidecar =
        QJsonDocument::fromJson(readAll(csv + QStringLiteral(".provenance.json"))).object();
    QCOMPARE(sidecar.value(QStringLiteral("failed")).toArray().size(), expectedFailures);

    // The human summary (a re-selection from the store) names each skipped file with its reason.
    const Run again = runFreesel(selectArguments(pool, work + QStringLiteral("/store"), csv),
                                 environmentWithHome(work), dropRootToNobody);
    QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    for (const hostile::Case& c : cases)
        if (c.outcome == Outcome::Failed)
            QVERIFY2(again.err.contains(
                         QStringLiteral("skipped %1: ").arg(QDir(pool).filePath(c.relativePath))),
                     qPrintable(c.kind + QStringLiteral(" missing from: ") + again.err));
    QVERIFY(again.err.contains(QStringLiteral("%1 skipped").arg(expectedFailures)));
}

void TestHostileInputs::checkCsvRows(const QString& csv, const QString& pool,
                                     const std::vector<hostile::Case>& cases) {
    const QStringList rows = readLines(csv);
    QMap<QString, QString> rowByPath;
    for (const QString& row : rows.mid(1))
        rowByPath.insert(row.section(QLatin1Char(','), 0, 0).remove(QLatin1Char('"')), row);
    int selected = 0;
    for (const hostile::Case& c : cases) {
        if (c.outcome == Outcome::Warned)
            continue;
        const QString row = rowByPath.value(QDir(pool).filePath(c.relativePath));
        QVERIFY2(!row.isEmpty(), qPrintable(c.kind + QStringLiteral(" has no CSV row")));
        const bool ok = row.contains(QStringLiteral(",ok,"));
        QVERIFY2(ok == (c.outcome == Outcome::Used),
                 qPrintable(c.kind + QStringLiteral(": ") + row));
        selected += row.contains(QStringLiteral(",1,ok,")) ? 1 : 0;
    }
    QCOMPARE(selected, 6);
}

void TestHostileInputs::filesChangingAfterTheScan() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 6);
    const freesel::PoolScan scan = freesel::scanFolder(pool);
    QCOMPARE(int(scan.entries.size()), 6);
    // Between the scan and the decode: one file deleted, one cut short, one rewritten with
    // another picture, one replaced by a folder.
    QVERIFY(QFile::remove(pool + QStringLiteral("/img_001.png")));
    const QByteArray third = readAll(pool + QStringLiteral("/img_002.png"));
    QVERIFY(writeFile(pool + QStringLiteral("/img_002.png"), third.left(third.size() / 3)));
    cv::imwrite((pool + QStringLiteral("/img_003.png")).toStdString(), sceneImage(40));
    QVERIFY(QFile::remove(pool + QStringLiteral("/img_004.png")));
    QVERIFY(QDir().mkpath(pool + QStringLiteral("/img_004.png")));

    freesel::OfflineBackend backend;
    freesel::ExtractionOptions options;
    options.resize = freesel::ResizeSpec::fixed(96, 96);
    const QString storeFolder = dir.filePath(QStringLiteral("store"));
    {
        freesel::FeatureStore store;
        const freesel::Status opened =
            store.openForWriting(storeFolder, freesel::storeHeaderFor(backend, options.resize));
        QVERIFY2(opened, qPrintable(opened.message()));
        const freesel::ExtractionReport report =
            freesel::extractFeatures(scan.entries, backend, store, options);
        QCOMPARE(report.extracted + report.failed, 6);
        QCOMPARE(report.failed, 3);
        auto errorOf = [&](const QString& name) {
            for (const freesel::StoreEntry& entry : store.entries())
                if (entry.path.endsWith(name))
                    return entry.ok ? QStringLiteral("ok") : entry.error;
            return QStringLiteral("no record");
        };
        QVERIFY2(errorOf(QStringLiteral("img_001.png")).contains(QStringLiteral("not found")),
                 qPrintable(errorOf(QStringLiteral("img_001.png"))));
        QVERIFY2(errorOf(QStringLiteral("img_002.png")).contains(QStringLiteral("corrupt")),
                 qPrintable(errorOf(QStringLiteral("img_002.png"))));
        QCOMPARE(errorOf(QStringLiteral("img_003.png")), QStringLiteral("ok"));
        QVERIFY2(errorOf(QStringLiteral("img_004.png")).contains(QStringLiteral("directory")),
                 qPrintable(errorOf(QStringLiteral("img_004.png"))));
    }
    // The next scan sees the rewritten file as a new version and extracts it again; the
    // vanished and broken files stay reported, nothing else is redone.
    const freesel::PoolScan rescan = freesel::scanFolder(pool);
    QCOMPARE(int(rescan.entries.size()), 4); // img_004.png is a folder now, img_001 is gone
    freesel::FeatureStore store;
    QVERIFY(store.openForWriting(storeFolder, freesel::storeHeaderFor(backend, options.resize)));
    const freesel::ExtractionReport second =
        freesel::extractFeatures(rescan.entries, backend, store, options);
    QCOMPARE(second.extracted, 1); // img_003, whose size and mtime changed
    QCOMPARE(second.reused + second.failed, 3);
    QCOMPARE(second.failed, 1); // img_002, still cut short
}

void TestHostileInputs::readOnlyStoreFolder() {
    QTemporaryDir dir;
    openUp(dir);
    const QString pool = writePool(dir, 8);
    const QString work = sharedFolder(dir, QStringLiteral("work"));
    const QString store = work + QStringLiteral("/store");
    QVERIFY(runFreesel(extractArguments(pool, store)).exitCode == 0);
    const QByteArray before = readAll(recordsFile(store));
    // The store folder and its files become read-only for the user running freesel.
    const auto readOnly = QFileDevice::ReadOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther;
    for (const QFileInfo& file : QDir(store).entryInfoList(QDir::Files))
        QFile::setPermissions(file.filePath(), readOnly);
    QFile::setPermissions(store, readOnly | QFileDevice::ExeOwner | QFileDevice::ExeGroup |
                                     QFileDevice::ExeOther);
    // A new image must be extracted: refused with the store folder named, nothing touched.
    cv::imwrite((pool + QStringLiteral("/zz_new.png")).toStdString(), sceneImage(30));
    const Run run =
        runFreesel(extractArguments(pool, store), environmentWithHome(work), dropRootToNobody);
    QCOMPARE(run.exitStatus, QProcess::NormalExit);
    QVERIFY(run.exitCode != 0);
    QVERIFY2(run.err.contains(store), qPrintable(run.err));
    QVERIFY2(run.err.contains(QStringLiteral("ermission denied")) ||
                 run.err.contains(QStringLiteral("read-only")),
             qPrintable(run.err));
    QCOMPARE(readAll(recordsFile(store)), before);
    // A store folder that cannot even be created is named too.
    const Run nowhere = runFreesel(extractArguments(pool, store + QStringLiteral("/inner")),
                                   environmentWithHome(work), dropRootToNobody);
    QVERIFY(nowhere.exitCode != 0);
    QVERIFY2(nowhere.err.contains(store + QStringLiteral("/inner")), qPrintable(nowhere.err));
}

void TestHostileInputs::fullDiskCorruptsNothing() {
    QTemporaryDir dir;
    const QString pool = writePool(dir, 24, 128, 96, true);
    const QString reference = dir.filePath(QStringLiteral("reference"));
    QVERIFY(runFreesel(extractArguments(pool, reference)).exitCode == 0);
    const qint64 header = qint64(sizeof(freesel::store_format::FileHeader));
    const qint64 recordBytes = (fileSize(recordsFile(reference)) - header) / 24;
    QVERIFY(recordBytes > 0);

    // RLIMIT_FSIZE makes every write past the limit fail (EFBIG), as a full disk does with
    // ENOSPC, without needing a small file system; SIGXFSZ is ignored so writes return errors.
    const rlim_t limit = rlim_t(header + 7 * recordBytes + recordBytes / 2);
    auto diskFull = [limit] {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit size{limit, limit};
        ::setrlimit(RLIMIT_FSIZE, &size);
    };
    const QString store = dir.filePath(QStringLiteral("store"));
    const Run full = runFreesel(extractArguments(pool, store),
                                QProcessEnvironment::systemEnvironment(), diskFull);
    QCOMPARE(full.exitStatus, QProcess::NormalExit);
    // The machine's failure, not the user's: exit 1 (docs/CLI.md, Exit codes), and it resumes.
    QVERIFY2(full.exitCode == 1,
             qPrintable(QStringLiteral("exit %1: %2").arg(full.exitCode).arg(full.err)));
    QVERIFY2(full.err.contains(store), qPrintable(full.err));
    QVERIFY2(full.err.contains(QStringLiteral("File too large")) ||
                 full.err.contains(QStringLiteral("space")),
             qPrintable(full.err));
    {
        freesel::FeatureStore partial; // what was written is whole and readable
        const freesel::Status opened = partial.openForReading(store);
        QVERIFY2(opened, qPrintable(opened.message()));
        QVERIFY(partial.count() >= 6 && partial.count() <= 7);
        QVERIFY(partial.verify().isEmpty());
    }
    // With space again the run resumes and ends where an uninterrupted run ends.
    const Run resumed = runFreesel(extractArguments(pool, store) << QStringLiteral("--json"));
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    QVERIFY(resumed.json().value(QStringLiteral("reused")).toInt() >= 6);
    const QString a = dir.filePath(QStringLiteral("a.csv"));
    const QString b = dir.filePath(QStringLiteral("b.csv"));
    QCOMPARE(runFreesel(selectArguments(pool, reference, a)).exitCode, 0);
    QCOMPARE(runFreesel(selectArguments(pool, store, b)).exitCode, 0);
    QCOMPARE(readLines(b), readLines(a));

    // An export that cannot be written fails naming the file and leaves the old one intact
    // (JSON: larger than the CSV, so the limit below leaves room for everything else).
    const QString json = dir.filePath(QStringLiteral("selection.json"));
    QStringList asJson = selectArguments(pool, store, json);
    asJson[asJson.indexOf(QStringLiteral("csv"))] = QStringLiteral("json");
    QCOMPARE(runFreesel(asJson).exitCode, 0);
    const QByteArray previous = readAll(json);
    // Room for the lock file and the small files runtimes write (LLVM's OpenMP registers itself
    // in a 1 KiB file under /dev/shm), not for the CSV.
    constexpr rlim_t tiny = 1536;
    QVERIFY2(previous.size() > qsizetype(tiny) + 256, "the CSV would fit: make the pool larger");
    auto tinyDisk = [] {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit size{tiny, tiny};
        ::setrlimit(RLIMIT_FSIZE, &size);
    };
    QStringList again = asJson;
    again[again.indexOf(QStringLiteral("5"))] = QStringLiteral("6"); // another seed
    const Run exportFull = runFreesel(again, QProcessEnvironment::systemEnvironment(), tinyDisk);
    // A full disk during the export is the machine's failure too: exit 1, not 2 (bad input).
    QVERIFY2(
        exportFull.exitCode == 1,
        qPrintable(QStringLiteral("exit %1: %2").arg(exportFull.exitCode).arg(exportFull.err)));
    QVERIFY2(exportFull.err.contains(json), qPrintable(exportFull.err));
    QCOMPARE(readAll(json), previous);
}

QTEST_GUILESS_MAIN(TestHostileInputs)
#include "test_hostile_inputs.moc"
