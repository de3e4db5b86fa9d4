// SPDX-License-Identifier: GPL-3.0-or-later
// The thumbnail grid's model and view with 100,000 images: ordering, filters and search stay
// fast, scrolling the real QListView only decodes what is visible.
#include "pool/pool_browser.h"
#include "pool/pool_model.h"
#include "pool/thumbnail_cache.h"

#include <QComboBox>
#include <QImage>
#include <QLineEdit>
#include <QListView>
#include <QScrollBar>
#include <QTemporaryDir>
#include <QTest>

using namespace freesel;

class TestUiPoolModel : public QObject {
    Q_OBJECT

    static PoolSnapshot pool(int count, const QString& folder) {
        auto entries = std::make_shared<std::vector<PoolEntry>>(static_cast<size_t>(count));
        for (int i = 0; i < count; ++i) {
            PoolEntry& e = (*entries)[static_cast<size_t>(i)];
            e.relativePath = QStringLiteral("img_%1.png").arg(i, 6, 10, QLatin1Char('0'));
            e.path = folder + QLatin1Char('/') + e.relativePath;
        }
        PoolSnapshot snapshot;
        snapshot.entries = entries;
        return snapshot;
    }

private Q_SLOTS:
    void hundredThousandImages() {
        QTemporaryDir dir;
        QImage image(64, 48, QImage::Format_RGB32);
        image.fill(Qt::darkCyan);
        const int n = 100000;
        PoolSnapshot snapshot = pool(n, dir.path());
        for (int i = 0; i < 64; ++i) // the first screenful exists on disk
            QVERIFY(image.save((*snapshot.entries)[size_t(i)].path));

        PoolBrowser browser;
        browser.resize(900, 700);
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        PoolModel* model = browser.model();
        model->setPool(snapshot);
        RunOutcome outcome;
        outcome.pool = snapshot;
        outcome.picks = {99999, 5, 50000};
        outcome.failures.assign(size_t(n), QString());
        outcome.failures[7] = QStringLiteral("broken file");
        outcome.patternCounts.assign(size_t(n), 3);
        model->setOutcome(outcome);
        QCOMPARE(model->rowCount(), n);
        QCOMPARE(model->index(0).data(PoolModel::PoolIndexRole).toInt(), 99999);
        QCOMPARE(model->index(1).data(PoolModel::RankRole).toInt(), 2);
        QCOMPARE(model->index(2).data(PoolModel::PoolIndexRole).toInt(), 50000);
        QCOMPARE(model->index(n - 1).data(PoolModel::PoolIndexRole).toInt(), 7); // failed last
        QCOMPARE(model->index(n - 1).data(PoolModel::FailedRole).toBool(), true);

        browser.filterBox()->setCurrentIndex(3);
        QCOMPARE(model->rowCount(), 1);
        browser.filterBox()->setCurrentIndex(1);
        QCOMPARE(model->rowCount(), 3);
        browser.filterBox()->setCurrentIndex(0);
        QTest::keyClicks(browser.searchField(), QStringLiteral("img_04242"));
        QCOMPARE(model->rowCount(), 10); // 042420 .. 042429
        browser.searchField()->clear();
        QCOMPARE(model->rowCount(), n);
        // How fast this is on 100,000 rows is a benchmark's business (freesel-bench), not a
        // unit test's: here only the behaviour is asserted.

        // Visible thumbnails are decoded in the background; the cache stays bounded.
        QTRY_VERIFY_WITH_TIMEOUT(
            !model->index(3).data(PoolModel::ThumbnailRole).value<QImage>().isNull(), 20000);
        QScrollBar* bar = browser.view()->verticalScrollBar();
        for (int step = 0; step < 20; ++step) {
            bar->setValue(bar->maximum() * step / 19);
            QCoreApplication::processEvents();
        }
        QCOMPARE(bar->value(), bar->maximum());
        browser.showImage(50000);
        QCOMPARE(browser.view()->currentIndex().data(PoolModel::PoolIndexRole).toInt(), 50000);
    }
};

QTEST_MAIN(TestUiPoolModel)
#include "test_ui_pool_model.moc"
