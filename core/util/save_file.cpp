// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/save_file.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

namespace freesel {

bool writeWhole(QIODevice& device, const char* data, qint64 size) {
    qint64 written = 0;
    while (written < size) {
        const qint64 n = device.write(data + written, size - written);
        if (n <= 0)
            return false;
        written += n;
    }
    return true;
}

ErrorCategory fileErrorCategory(QFileDevice::FileError error) {
    switch (error) {
    case QFileDevice::OpenError:
    case QFileDevice::PermissionsError:
        return ErrorCategory::UserInput;
    default:
        return ErrorCategory::Environment;
    }
}

Status saveFileAtomically(const QString& path, const QByteArray& content) {
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error::userInput(
            QStringLiteral("cannot create directory %1 for %2").arg(info.absolutePath(), path));
    QSaveFile file(path);
    // Unbuffered, so a failing write reports at once with the system's reason; a buffered
    // QSaveFile can commit a file cut short by a full disk and call it success.
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered) || !writeWhole(file, content) ||
        !file.commit()) {
        return Error{fileErrorCategory(file.error()),
                     QStringLiteral("cannot write %1: %2").arg(path, file.errorString())};
    }
    return {};
}

} // namespace freesel
