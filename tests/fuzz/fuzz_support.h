// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared by the fuzz targets: scratch files for the entry points that only take a path, and
// the libFuzzer entry point's signature. Each target defines LLVMFuzzerTestOneInput; it is run
// by libFuzzer (FREESEL_FUZZ) or by standalone_driver.cpp over the corpus files.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace freesel::fuzz {

/// A folder of this process's own, removed at a normal exit.
inline QString scratchDir() {
    static const QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/freesel-fuzz-XXXXXX"));
    if (!dir.isValid())
        std::abort(); // nothing below would test what it claims to
    return dir.path();
}

/// The fuzz input viewed as a QByteArray, without copying.
inline QByteArray view(const uint8_t* data, size_t size) {
    return QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
}

/// Writes `bytes` to `name` in the scratch folder (replacing it) and returns its path.
inline QString writeScratchFile(const QString& name, const QByteArray& bytes) {
    const QString path = QDir(scratchDir()).filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
        std::abort();
    return path;
}

/// Stops the run on a broken invariant of a successful parse: libFuzzer reports it as a crash.
inline void check(bool condition) {
    if (!condition)
        std::abort();
}

} // namespace freesel::fuzz
