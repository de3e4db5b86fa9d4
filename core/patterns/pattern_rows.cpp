// SPDX-License-Identifier: GPL-3.0-or-later
#include "patterns/pattern_rows.h"

#include <QFile>
#include <stdexcept>
#include <unistd.h>

namespace freesel {

PatternRowsPlace parsePatternRowsPlace(const QString& text) {
    if (text == QLatin1String("auto"))
        return PatternRowsPlace::Automatic;
    if (text == QLatin1String("memory"))
        return PatternRowsPlace::Memory;
    if (text == QLatin1String("file"))
        return PatternRowsPlace::File;
    throw std::invalid_argument(
        QStringLiteral("--pattern-rows must be auto, memory or file, got '%1'")
            .arg(text)
            .toStdString());
}

int64_t patternRowBytes(int64_t images, int patternsPerImage, int dims) {
    return images * patternsPerImage * static_cast<int64_t>(dims) *
           static_cast<int64_t>(sizeof(float));
}

bool keepPatternRowsInFile(PatternRowsPlace place, int64_t rowBytes, int64_t physicalBytes) {
    switch (place) {
    case PatternRowsPlace::Memory:
        return false;
    case PatternRowsPlace::File:
        return true;
    case PatternRowsPlace::Automatic:
        break;
    }
    return physicalBytes > 0 && static_cast<double>(rowBytes) >
                                    kPatternRowsMemoryShare * static_cast<double>(physicalBytes);
}

int64_t physicalMemoryBytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long pageSize = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0 ? static_cast<int64_t>(pages) * pageSize : 0;
}

std::string patternRowsFolder(const QString& place, int64_t images, int patternsPerImage, int dims,
                              const QString& folder) {
    const bool inFile = keepPatternRowsInFile(parsePatternRowsPlace(place),
                                              patternRowBytes(images, patternsPerImage, dims),
                                              physicalMemoryBytes());
    return inFile ? QFile::encodeName(folder).toStdString() : std::string();
}

} // namespace freesel
