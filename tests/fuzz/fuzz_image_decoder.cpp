// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: the image loader's entry point for bytes (decodeImageBytes), which sniffs the
// header, applies our refusals (decompression bombs, truncated JPEG, GIF) and hands the rest to
// OpenCV. A success must be what the header promises: continuous 8-bit RGB of the stated size.

#include "fuzz_support.h"

#include "image/image_decoder.h"

#include <dirent.h>

using namespace freesel;

namespace {

/// Open file descriptors of this process: a decoder that leaks one per bad file ends a long
/// scan with "too many open files".
int openFileCount() {
    DIR* dir = opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int count = 0;
    while (readdir(dir))
        ++count;
    closedir(dir);
    return count;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    DecodeOptions options;
    // Far below the default (178 Mpx) so that a few bytes claiming a huge image cannot make
    // every run allocate gigabytes; the refusal path is the same.
    options.maxPixels = 4096 * 4096;
    const int filesBefore = openFileCount();
    const DecodedImage image =
        decodeImageBytes(fuzz::view(data, size), QStringLiteral("fuzz"), options);
    fuzz::check(openFileCount() == filesBefore);
    if (!image.ok()) {
        fuzz::check(!image.error.isEmpty() && image.rgb.empty());
        return 0;
    }
    fuzz::check(image.error.isEmpty() && image.rgb.type() == CV_8UC3 && image.rgb.isContinuous());
    fuzz::check(image.rgb.cols == image.originalWidth && image.rgb.rows == image.originalHeight);
    fuzz::check(qint64(image.rgb.total()) <= options.maxPixels);
    return 0;
}
