// SPDX-License-Identifier: GPL-3.0-or-later
// Pattern rows kept in a file (issue 18): pattern() reads them through a mapping that grows
// with the file, the pattern stage writes them there batch by batch, and where they go is
// decided by --pattern-rows (auto: over a quarter of the machine's memory).
#include "patterns/pattern_pool.h"
#include "patterns/pattern_rows.h"
#include "patterns/pool_patterns.h"
#include "selection/selection.h"
#include "support/synthetic_pool.h"

#include <QTemporaryDir>
#include <QtTest>
#include <stdexcept>

using namespace freesel;

namespace {

std::vector<float> rowsOf(int images, int perImage, int dims, float offset) {
    std::vector<float> values(size_t(images) * perImage * dims);
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = offset + 0.25f * static_cast<float>(i % 1013) - 7.0f;
    return values;
}

void addImages(PatternPool& pool, const std::vector<float>& values, int images, int perImage) {
    for (int image = 0; image < images; ++image)
        pool.addImage(values.data() + size_t(image) * perImage * pool.dims(), perImage);
}

bool sameRows(const PatternPool& a, const PatternPool& b) {
    if (a.patternCount() != b.patternCount() || a.imageCount() != b.imageCount())
        return false;
    for (int64_t row = 0; row < a.patternCount(); ++row)
        if (!std::equal(a.pattern(row), a.pattern(row) + a.dims(), b.pattern(row)) ||
            a.imageOf(row) != b.imageOf(row))
            return false;
    return true;
}

} // namespace

class TestPatternPool : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fileRowsAreReadThroughAGrowingMapping();
    void placeIsParsedAndDecided();
    void patternStageWritesRowsToTheFolder();
    void candidatesOfAFilePoolStayInAFile();
};

void TestPatternPool::fileRowsAreReadThroughAGrowingMapping() {
    QTemporaryDir dir;
    const int dims = 7;
    const std::vector<float> first = rowsOf(40, 3, dims, 0.0f), more = rowsOf(25, 2, dims, 100.f);
    PatternPool memory(dims), onFile = PatternPool::withRowsInFile(dims, dir.path().toStdString());
    QVERIFY(onFile.rowsInFile());
    QCOMPARE(QString::fromStdString(onFile.rowFileDirectory()), dir.path());
    addImages(memory, first, 40, 3);
    addImages(onFile, first, 40, 3);
    QVERIFY(sameRows(memory, onFile));
    const float* early = onFile.pattern(5);
    const std::vector<float> earlyRow(early, early + dims);
    // Rows written after the file was mapped are read too; the first pointer stays valid.
    addImages(memory, more, 25, 2);
    addImages(onFile, more, 25, 2);
    QVERIFY(sameRows(memory, onFile));
    QVERIFY(std::equal(earlyRow.begin(), earlyRow.end(), early));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, onFile.pattern(onFile.patternCount()));
    // The rows are not held in memory: only the image bookkeeping is.
    const auto floatBytes = int64_t(memory.patternCount() * dims * sizeof(float));
    QVERIFY(onFile.memoryBytes() <= memory.memoryBytes() - floatBytes);
}

void TestPatternPool::placeIsParsedAndDecided() {
    QCOMPARE(parsePatternRowsPlace(QStringLiteral("auto")), PatternRowsPlace::Automatic);
    QCOMPARE(parsePatternRowsPlace(QStringLiteral("memory")), PatternRowsPlace::Memory);
    QCOMPARE(parsePatternRowsPlace(QStringLiteral("file")), PatternRowsPlace::File);
    try {
        parsePatternRowsPlace(QStringLiteral("disk"));
        QFAIL("'disk' was accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY(QString::fromStdString(e.what()).contains(QStringLiteral("--pattern-rows")));
        QVERIFY(QString::fromStdString(e.what()).contains(QStringLiteral("auto, memory or file")));
    }
    // 1M images x 5 x 384 floats: 7.68 GB.
    QCOMPARE(patternRowBytes(1000000, 5, 384), int64_t(7680000000));
    const int64_t memory = int64_t(24) << 30, quarter = memory / 4;
    QVERIFY(!keepPatternRowsInFile(PatternRowsPlace::Automatic, quarter, memory));
    QVERIFY(keepPatternRowsInFile(PatternRowsPlace::Automatic, quarter + 1, memory));
    QVERIFY(!keepPatternRowsInFile(PatternRowsPlace::Automatic, quarter + 1, 0)); // unknown
    QVERIFY(!keepPatternRowsInFile(PatternRowsPlace::Memory, memory * 2, memory));
    QVERIFY(keepPatternRowsInFile(PatternRowsPlace::File, 1, memory));
    QVERIFY(physicalMemoryBytes() > 0);
    QVERIFY(patternRowsFolder(QStringLiteral("auto"), 10, 5, 384, QStringLiteral("/s")).empty());
    QCOMPARE(patternRowsFolder(QStringLiteral("file"), 10, 5, 384, QStringLiteral("/s")),
             std::string("/s"));
}

void TestPatternPool::patternStageWritesRowsToTheFolder() {
    QTemporaryDir dir;
    auto fetch = [](int i) { return freesel::testing::randomFeatureImage(i, 16); };
    PatternParameters params;
    const PatternPool memory = computePoolPatterns(30, fetch, params, 9, 2);
    const PatternPool onFile =
        computePoolPatterns(30, fetch, params, 9, 2, {}, nullptr, dir.path().toStdString());
    QVERIFY(!memory.rowsInFile());
    QVERIFY(onFile.rowsInFile());
    QVERIFY(memory.patternCount() > 30);
    QVERIFY(sameRows(memory, onFile));
    // Room for K rows per image is reserved once (on huge pages when large), not grown by
    // copies as the rows arrive.
    const int64_t reservedRows = int64_t(30) * params.clusters;
    QCOMPARE(memory.memoryBytes(),
             reservedRows * (memory.dims() * int64_t(sizeof(float)) + int64_t(sizeof(int))) +
                 31 * int64_t(sizeof(int64_t)));
    // A share seeded from image 10 on is that slice of the whole pool.
    auto fetchFrom10 = [&](int i) { return fetch(10 + i); };
    const PatternPool share = computePoolPatterns(20, fetchFrom10, params, 9, 1, {}, nullptr,
                                                  dir.path().toStdString(), 10);
    QCOMPARE(share.imageCount(), 20);
    for (int image = 0; image < 20; ++image) {
        QCOMPARE(share.patternCountOf(image), memory.patternCountOf(10 + image));
        const float* a = share.pattern(share.firstPatternOf(image));
        QVERIFY(std::equal(a, a + memory.dims() * share.patternCountOf(image),
                           memory.pattern(memory.firstPatternOf(10 + image))));
    }
}

void TestPatternPool::candidatesOfAFilePoolStayInAFile() {
    QTemporaryDir dir;
    const int dims = 5;
    const std::vector<float> values = rowsOf(12, 2, dims, 3.0f);
    PatternPool onFile = PatternPool::withRowsInFile(dims, dir.path().toStdString());
    addImages(onFile, values, 12, 2);
    std::vector<uint8_t> drop(12, 0);
    drop[0] = drop[7] = 1;
    std::vector<int> kept;
    const PatternPool candidates = poolWithout(onFile, drop, kept);
    QVERIFY(candidates.rowsInFile());
    QCOMPARE(candidates.imageCount(), 10);
    QCOMPARE(kept.at(6), 8);
    QVERIFY(std::equal(candidates.pattern(candidates.firstPatternOf(6)),
                       candidates.pattern(candidates.firstPatternOf(6)) + 2 * dims,
                       onFile.pattern(onFile.firstPatternOf(8))));
}

QTEST_GUILESS_MAIN(TestPatternPool)
#include "test_pattern_pool.moc"
