// SPDX-License-Identifier: GPL-3.0-or-later
// JPEG decoding + resize to the network input on one core, with and without shrink-on-load
// (image/jpeg_shrink.h): what one decode thread delivers to the network.
//   freesel-bench decode [--pool=DIR] [--images=N] [--side=224] [--repeat=R]
#include "bench_registry.h"

#include "image/decode_queue.h"
#include "image/image_decoder.h"
#include "image/image_preprocessing.h"

#include <QDirIterator>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace freesel::bench {

namespace {

QStringList jpegFiles(const QString& dir, int limit) {
    QStringList files;
    QDirIterator it(dir, {"*.jpg", "*.jpeg", "*.JPG"}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    return files.mid(0, limit);
}

/// Images per second of `job` over the files on this thread alone; best of --repeat passes
/// (the first pass also warms the page cache).
double rateOnOneCore(const QStringList& files, const DecodeQueue::Job& job) {
    double best = 0.0;
    const int passes = 1 + std::max(1, option("repeat", "3").toInt());
    for (int pass = 0; pass < passes; ++pass) {
        QElapsedTimer timer;
        timer.start();
        int decoded = 0;
        for (const QString& file : files)
            decoded += job(file).ok() ? 1 : 0;
        if (pass > 0)
            best = std::max(best, decoded / (timer.nsecsElapsed() * 1e-9));
    }
    return best;
}

void runDecodeBenchmark() {
    const QString pool =
        option("pool", QStringLiteral(FREESEL_SOURCE_DIR "/../shared/datasets/coco128"));
    const QStringList files = jpegFiles(pool, option("images", "128").toInt());
    if (files.isEmpty()) {
        std::printf("# no JPEG files under --pool=%s\n", qPrintable(pool));
        return;
    }
    const int side = option("side", "224").toInt();
    const ResizeSpec spec = ResizeSpec::fixed(side, side);
    const DecodeQueue::Job fullSize = [spec](const QString& path) {
        DecodedImage image = decodeImageFile(path);
        if (image.ok())
            image.rgb = resizeForModel(image.rgb, spec);
        return image;
    };
    double load = -1.0;
    std::ifstream("/proc/loadavg") >> load;
    std::printf("# %d JPEG files from %s, decode + resize to %d x %d on one thread; load %.2f\n",
                int(files.size()), qPrintable(pool), side, side, load);
    const double before = rateOnOneCore(files, fullSize);
    const double after = rateOnOneCore(files, DecodeQueue::decodeAndResize({}, spec));
    report("decode_coco_full_size_img_per_s", before, "img/s");
    report("decode_coco_img_per_s", after, "img/s");
    report("decode_coco_shrink_speedup", after / before, "ratio");
}

const BenchmarkRegistration registration(
    "decode",
    "JPEG decode + resize to 224 on one core: full-size decoding against libjpeg shrink-on-load "
    "(decode_coco_img_per_s is what the pipeline does)",
    runDecodeBenchmark);

} // namespace

} // namespace freesel::bench
