// SPDX-License-Identifier: GPL-3.0-or-later
// core/util/huge_pages.h: large arrays are marked for transparent huge pages (the kernel lists
// such a mapping with the VmFlag "hg" in /proc/self/smaps, whatever the system's THP setting);
// assign fills, reserve leaves the pages unmapped (the count may be an upper bound); small or
// non-empty vectors are reserved plainly, keeping their rows. PatternPool::reserve uses it for
// the float rows the sampler reads at random.
#include "patterns/pattern_pool.h"
#include "util/huge_pages.h"

#include <QFile>
#include <QtTest>
#include <cstdint>
#include <vector>

using namespace freesel;

namespace {

/// The smaps entry of the mapping that holds `address`: its VmFlags and resident kilobytes.
struct Mapping {
    bool found = false;
    QByteArray flags;
    qint64 residentKb = -1;
};

Mapping mappingOf(const void* address) {
    QFile smaps(QStringLiteral("/proc/self/smaps"));
    if (!smaps.open(QIODevice::ReadOnly))
        return {};
    const auto target = reinterpret_cast<uintptr_t>(address);
    Mapping mapping;
    bool inside = false;
    for (QByteArray line = smaps.readLine(); !line.isEmpty(); line = smaps.readLine()) {
        const QByteArray trimmed = line.trimmed();
        const int dash = trimmed.indexOf('-'), space = trimmed.indexOf(' ');
        const bool header = space > 0 && !trimmed.left(space).endsWith(':'); // "start-end perms"
        if (header && dash > 0 && dash < space) {
            if (inside)
                break;
            bool ok1 = false, ok2 = false;
            const auto start = trimmed.left(dash).toULongLong(&ok1, 16);
            const auto end = trimmed.mid(dash + 1, space - dash - 1).toULongLong(&ok2, 16);
            inside = ok1 && ok2 && start <= target && target < end;
            mapping.found = mapping.found || inside;
        } else if (inside && trimmed.startsWith("VmFlags:")) {
            mapping.flags = trimmed.mid(8).trimmed();
        } else if (inside && trimmed.startsWith("Rss:")) {
            mapping.residentKb = trimmed.mid(4).trimmed().split(' ').value(0).toLongLong();
        }
    }
    return mapping;
}

bool markedHuge(const Mapping& mapping) {
    return mapping.flags.split(' ').contains("hg");
}

/// An address well inside the array, on a whole 2 MB page of it.
const void* middleOf(const std::vector<float>& values, size_t count) {
    return values.data() + count / 2;
}

} // namespace

class TestHugePages : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void assignMarksAndFills() {
        std::vector<float> values;
        const size_t count = size_t(16) << 20 >> 2; // 16 MB
        assignOnHugePages(values, count, 1.5f);
        QCOMPARE(values.size(), count);
        QCOMPARE(values.front(), 1.5f);
        QCOMPARE(values.back(), 1.5f);
        const Mapping mapping = mappingOf(middleOf(values, count));
        QVERIFY(mapping.found);
        QVERIFY2(markedHuge(mapping), mapping.flags.constData());
    }

    void reserveMarksWithoutMapping() {
        std::vector<float> values;
        const size_t count = size_t(64) << 20 >> 2; // 64 MB, never written
        reserveOnHugePages(values, count);
        QVERIFY(values.empty());
        QVERIFY(values.capacity() >= count);
        const Mapping mapping = mappingOf(middleOf(values, count));
        QVERIFY(mapping.found);
        QVERIFY2(markedHuge(mapping), mapping.flags.constData());
        QVERIFY2(mapping.residentKb >= 0 && mapping.residentKb < 8 * 1024,
                 qPrintable(QString::number(mapping.residentKb))); // not populated
    }

    void reserveKeepsRowsOfAFilledVector() {
        std::vector<float> values{1.0f, 2.0f, 3.0f};
        reserveOnHugePages(values, size_t(8) << 20);
        QVERIFY(values.capacity() >= size_t(8) << 20);
        QCOMPARE(values, (std::vector<float>{1.0f, 2.0f, 3.0f}));
        std::vector<float> small;
        reserveOnHugePages(small, 100);
        QVERIFY(small.capacity() >= 100);
    }

    void patternPoolReservesItsRowsOnHugePages() {
        const int dims = 384, images = 4000, perImage = 5; // 30 MB of rows
        PatternPool pool(dims);
        pool.reserve(images, int64_t(images) * perImage);
        const std::vector<float> row(size_t(dims) * perImage, 0.25f);
        for (int i = 0; i < images; ++i)
            pool.addImage(row.data(), perImage);
        QCOMPARE(pool.patternCount(), int64_t(images) * perImage);
        QCOMPARE(pool.pattern(pool.patternCount() - 1)[dims - 1], 0.25f);
        const Mapping mapping = mappingOf(pool.pattern(pool.patternCount() / 2));
        QVERIFY(mapping.found);
        QVERIFY2(markedHuge(mapping), mapping.flags.constData());
    }
};

QTEST_GUILESS_MAIN(TestHugePages)
#include "test_huge_pages.moc"
