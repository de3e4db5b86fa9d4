// SPDX-License-Identifier: GPL-3.0-or-later
// The decode queue: input order, failures delivered with their reason, the bounded window,
// cancel, worker priority, and decoding by helpers only (the network's own threads).

#include "image/decode_queue.h"
#include "support/image_bytes.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

using namespace freesel;
using namespace imagebytes;

namespace {

cv::Mat solidBgr(int width, int height, cv::Scalar bgr) {
    return cv::Mat(height, width, CV_8UC3, bgr);
}

QStringList numberedPaths(int count) {
    QStringList paths;
    for (int i = 0; i < count; ++i)
        paths << QString::number(i);
    return paths;
}

} // namespace

class TestDecodeQueue : public QObject {
    Q_OBJECT
    QTemporaryDir dir_; // the one test that decodes real files writes them here

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void queueKeepsOrderAndReportsFailures() {
        QStringList paths;
        for (int i = 0; i < 24; ++i) {
            if (i % 7 == 3) {
                paths << dir_.filePath(QStringLiteral("missing_%1.png").arg(i));
                continue;
            }
            const cv::Mat image = solidBgr(10 + i, 12, cv::Scalar(0, 0, i * 10));
            const QString path = dir_.filePath(QStringLiteral("q_%1.png").arg(i));
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly) && file.write(encode(image, ".png")) > 0);
            paths << path;
        }
        DecodeQueue queue(paths, DecodeQueue::decodeAndResize({}, ResizeSpec::fixed(16, 16)), 2, 3);
        DecodeQueueItem item;
        int count = 0;
        while (queue.next(&item)) {
            QCOMPARE(item.index, count);
            QCOMPARE(item.path, paths[count]);
            if (count % 7 == 3) {
                QCOMPARE(item.image.status, DecodeStatus::FileMissing);
            } else {
                QVERIFY2(item.image.ok(), qPrintable(item.image.error));
                QCOMPARE(item.image.rgb.size(), cv::Size(16, 16));
                QCOMPARE(item.image.originalWidth, 10 + count);
                QCOMPARE(int(item.image.rgb.at<cv::Vec3b>(8, 8)[0]), count * 10);
            }
            ++count;
        }
        QCOMPARE(count, 24);
        QVERIFY(!queue.next(&item));
    }

    void queueIsBoundedAhead() {
        const QStringList paths = numberedPaths(40);
        std::atomic<int> maxStarted{-1};
        auto job = [&](const QString& path) {
            const int index = path.toInt();
            int seen = maxStarted.load();
            while (index > seen && !maxStarted.compare_exchange_weak(seen, index)) {
            }
            return DecodedImage();
        };
        const int capacity = 4;
        DecodeQueue queue(paths, job, 3, capacity);
        DecodeQueueItem item;
        while (queue.next(&item)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2)); // let workers run ahead
            QVERIFY2(maxStarted.load() <= item.index + capacity,
                     qPrintable(QStringLiteral("decoded %1 while consuming %2")
                                    .arg(maxStarted.load())
                                    .arg(item.index)));
        }
        QCOMPARE(item.index, 39);
    }

    void queueCancelsAndSurvivesThrowingJobs() {
        const QStringList paths = numberedPaths(100);
        std::atomic<int> started{0};
        auto job = [&](const QString& path) -> DecodedImage {
            ++started;
            if (path == QLatin1String("1"))
                throw std::runtime_error("boom");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            return DecodedImage();
        };
        auto queue = std::make_unique<DecodeQueue>(paths, job, 2, 4);
        DecodeQueueItem item;
        QVERIFY(queue->next(&item));
        QVERIFY(queue->next(&item));
        QCOMPARE(item.index, 1);
        QCOMPARE(item.image.status, DecodeStatus::Unreadable);
        QVERIFY(item.image.error.contains(QLatin1String("boom")));
        queue->cancel();
        QVERIFY(queue->isCancelled());
        QVERIFY(!queue->next(&item));
        queue.reset(); // joins the workers
        QVERIFY(started.load() < 20);

        DecodeQueue empty(QStringList(), job);
        QVERIFY(!empty.next(&item));
        QCOMPARE(empty.threadCount(), 0);
    }

    void queueWorkersLowerOnlyTheirOwnPriority() {
#if defined(__linux__)
        const auto niceOfThisThread = [] {
            return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
        };
        const int base = niceOfThisThread();
        std::atomic<int> seen{-100};
        auto job = [&](const QString&) {
            seen = niceOfThisThread();
            return DecodedImage();
        };
        DecodeQueueItem item;
        for (int nice : {0, 5}) {
            DecodeQueue queue(QStringList{QStringLiteral("a")}, job, 1, 1, nice);
            QVERIFY(queue.next(&item));
            QCOMPARE(seen.load(), std::min(19, base + nice));
        }
        QCOMPARE(niceOfThisThread(), base); // the caller (the network's thread) keeps its own
#else
        QSKIP("thread priorities are set on Linux only");
#endif
    }

    void helpersOnlyDecodeOnTheCallersThreadsInOrder() {
        // No decode thread of its own: next() decodes what no helper has, and helpDecode runs
        // the job on the helper's thread, never past the window, and says when none is left.
        const QStringList paths = numberedPaths(10);
        std::mutex mutex;
        std::set<std::thread::id> decoders;
        std::atomic<int> decoded{0};
        auto job = [&](const QString& path) {
            {
                const std::lock_guard<std::mutex> lock(mutex);
                decoders.insert(std::this_thread::get_id());
            }
            ++decoded;
            DecodedImage image;
            image.rgb = solidBgr(2, 2, cv::Scalar(path.toInt(), 0, 0));
            return image;
        };
        const int capacity = 3;
        DecodeQueue queue(paths, job, DecodeQueue::kHelpersOnly, capacity);
        QCOMPARE(queue.threadCount(), 0);
        QCOMPARE(decoded.load(), 0); // nothing runs until someone asks
        DecodeQueueItem item;
        QVERIFY(queue.next(&item)); // decoded inline
        QCOMPARE(item.index, 0);
        QCOMPARE(decoders.size(), size_t(1));
        QVERIFY(decoders.count(std::this_thread::get_id()) == 1);
        int helped = 0;
        std::thread helper([&] {
            while (queue.helpDecode())
                ++helped;
        });
        helper.join();
        QCOMPARE(helped, capacity); // items 1..3: the window after item 0
        QCOMPARE(decoded.load(), 1 + capacity);
        QCOMPARE(decoders.size(), size_t(2));
        QVERIFY(!queue.helpDecode()); // the window is still full
        int count = 1;
        while (queue.next(&item)) {
            QCOMPARE(item.index, count);
            QCOMPARE(int(item.image.rgb.at<cv::Vec3b>(0, 0)[0]), count);
            ++count;
            if (count == 5) // a helper at work mid-way: it takes the next one
                QVERIFY(queue.helpDecode());
        }
        QCOMPARE(count, 10);
        QCOMPARE(decoded.load(), 10); // every path decoded exactly once
        QVERIFY(!queue.helpDecode());
    }

    void helpersOnlyStopOnCancel() {
        std::atomic<int> decoded{0};
        auto job = [&](const QString&) {
            ++decoded;
            return DecodedImage();
        };
        DecodeQueue queue(numberedPaths(8), job, DecodeQueue::kHelpersOnly, 4);
        QVERIFY(queue.helpDecode());
        queue.cancel();
        QVERIFY(!queue.helpDecode());
        DecodeQueueItem item;
        QVERIFY(!queue.next(&item));
        QCOMPARE(decoded.load(), 1);
    }
};

QTEST_GUILESS_MAIN(TestDecodeQueue)
#include "test_decode_queue.moc"
