// SPDX-License-Identifier: GPL-3.0-or-later
// The error convention (core/util/error.h) and the one place categories become exit codes
// (cli/command.h): a full disk must exit 1, a bad parameter 2, a bug of ours 1.
#include "cli/command.h"
#include "store/feature_store.h"
#include "util/error.h"
#include "util/save_file.h"

#include <QTemporaryDir>
#include <QTest>

#include <sys/resource.h>

#include <csignal>

using namespace freesel;

class TestError : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exceptionsKeepTheirCategory() {
        QCOMPARE(errorFromException(std::invalid_argument("--tau 2")).category,
                 ErrorCategory::UserInput);
        QCOMPARE(errorFromException(StoreError(QStringLiteral("disk full"))).category,
                 ErrorCategory::Environment);
        QCOMPARE(errorFromException(UsageError(QStringLiteral("--budget"))).category,
                 ErrorCategory::UserInput);
        QCOMPARE(errorFromException(std::runtime_error("oops")).category, ErrorCategory::Internal);
        const Error kept = errorFromException(Failure(Error::environment(QStringLiteral("net"))));
        QCOMPARE(kept.category, ErrorCategory::Environment);
        QCOMPARE(kept.message, QStringLiteral("net"));
    }

    void categoriesMapToTheDocumentedExitCodes() {
        QCOMPARE(exitCodeFor(ErrorCategory::UserInput), 2);
        QCOMPARE(exitCodeFor(ErrorCategory::Environment), 1);
        QCOMPARE(exitCodeFor(ErrorCategory::Internal), 1);
    }

    void resultHoldsAValueOrAnError() {
        const Result<int> seven = 7;
        QVERIFY(seven.ok());
        QCOMPARE(seven.value(), 7);
        QVERIFY(seven.message().isEmpty());
        const Result<int> refused = Error::userInput(QStringLiteral("K must be 1 to 64"));
        QVERIFY(!refused);
        QCOMPARE(refused.error().category, ErrorCategory::UserInput);
        QVERIFY_THROWS_EXCEPTION(Failure, Result<int>(refused).valueOrThrow());
        QVERIFY(!Result<int>()); // a default result is not a success
        const Status fine;
        QVERIFY(fine.ok());
        fine.throwIfFailed(); // nothing to throw
    }

    void aFullDiskIsTheMachinesFailureAndAMissingFolderTheUsers() {
        QTemporaryDir dir;
        // RLIMIT_FSIZE makes writes past it fail (EFBIG) as a full disk does (ENOSPC).
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit old{};
        ::getrlimit(RLIMIT_FSIZE, &old);
        const rlimit tiny{4096, old.rlim_max};
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
        const Status full =
            saveFileAtomically(dir.filePath(QStringLiteral("big.bin")), QByteArray(65536, 'x'));
        ::setrlimit(RLIMIT_FSIZE, &old);
        QVERIFY(!full);
        QCOMPARE(full.error().category, ErrorCategory::Environment);
        QVERIFY2(full.message().contains(QStringLiteral("big.bin")), qPrintable(full.message()));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("big.bin")))); // nothing half written

        // A folder that cannot be created (its parent is a file) is the user's to choose again.
        QVERIFY(saveFileAtomically(dir.filePath(QStringLiteral("file")), "x"));
        const Status blocked =
            saveFileAtomically(dir.filePath(QStringLiteral("file/out.txt")), "x");
        QVERIFY(!blocked);
        QCOMPARE(blocked.error().category, ErrorCategory::UserInput);
    }

    void storeRefusalsSayWhoCanFixThem() {
        QTemporaryDir dir;
        FeatureStore store;
        const Status missing = store.openForReading(dir.filePath(QStringLiteral("absent")));
        QVERIFY(!missing);
        QCOMPARE(missing.error().category, ErrorCategory::UserInput);
        QVERIFY(missing.message().contains(QStringLiteral("absent")));
    }
};

QTEST_GUILESS_MAIN(TestError)
#include "test_error.moc"
