// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Radiance HDR (.hdr, RGBE) files are checked by us before OpenCV sees them: OpenCV 4.6's HDR
// decoder throws from inside its reader on any damage (bad header, short or malformed run-length
// data) before it closes the file it opened, so every damaged .hdr file leaked a file
// descriptor, and a long scan over many of them ended in "too many open files" (found by
// tests/fuzz/fuzz_image_decoder). The check follows OpenCV's reader (rgbe.cpp) step by step, so
// a file that passes is one OpenCV reads to the end and closes.

#include <QByteArray>

namespace freesel {

/// True when `bytes` is a Radiance HDR file whose header and pixel data OpenCV 4.6 reads without
/// error; then *width and *height are its size (both > 0).
bool checkRadianceHdr(const QByteArray& bytes, int* width, int* height);

} // namespace freesel
