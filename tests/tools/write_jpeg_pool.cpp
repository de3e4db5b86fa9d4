// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a pool of generated JPEG photos-alike for end-to-end runs where no real pool exists
// (scripts/gpu-check on a machine with no dataset and no network):
//   write_jpeg_pool OUTDIR COUNT [WIDTH HEIGHT [FIRST]]   (default 640 x 480, textured scenes)
// Files are OUTDIR/img_000000.jpg, ... (scene FIRST onwards, so that processes can each write
// a share of a large pool); JPEG quality 90, as cameras write them.
#include "support/scene_pool.h"

#include <QDir>
#include <QString>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 3 && argc != 5 && argc != 6) {
        std::fprintf(stderr, "usage: write_jpeg_pool OUTDIR COUNT [WIDTH HEIGHT [FIRST]]\n");
        return 2;
    }
    const QString out = QString::fromLocal8Bit(argv[1]);
    const int count = QString::fromLatin1(argv[2]).toInt();
    const int width = argc >= 5 ? QString::fromLatin1(argv[3]).toInt() : 640;
    const int height = argc >= 5 ? QString::fromLatin1(argv[4]).toInt() : 480;
    const int first = argc == 6 ? QString::fromLatin1(argv[5]).toInt() : 0;
    if (count <= 0 || width < 16 || height < 16 || first < 0) {
        std::fprintf(stderr,
                     "write_jpeg_pool: COUNT must be > 0, WIDTH and HEIGHT >= 16, FIRST >= 0\n");
        return 2;
    }
    if (!QDir().mkpath(out)) {
        std::fprintf(stderr, "write_jpeg_pool: cannot create %s\n", argv[1]);
        return 1;
    }
    if (const QString failed = scenepool::writeCameraJpegs(out, first, count, width, height);
        !failed.isEmpty()) {
        std::fprintf(stderr, "write_jpeg_pool: cannot write %s\n", qPrintable(failed));
        return 1;
    }
    std::printf("wrote %d JPEGs (%d x %d) to %s\n", count, width, height, argv[1]);
    return 0;
}
