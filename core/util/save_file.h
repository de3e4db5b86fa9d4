// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Writing files so that a full disk or a read-only folder can never leave a short file that
// looks complete. QIODevice::write() may take only part of the data without reporting an error
// (a disk that fills up part-way); only the next write() says ENOSPC. These helpers keep
// writing until everything is written or the system names the reason.

#include "util/error.h"

#include <QByteArray>
#include <QFileDevice>
#include <QString>

class QIODevice;

namespace freesel {

/// Writes all `size` bytes to `device`; false when a write fails (device->errorString() says
/// why). For an unbuffered device the error is the operating system's (e.g. "No space left on
/// device").
bool writeWhole(QIODevice& device, const char* data, qint64 size);
inline bool writeWhole(QIODevice& device, const QByteArray& data) {
    return writeWhole(device, data.constData(), data.size());
}

/// Replaces `path` with `content` atomically (QSaveFile: a temporary file renamed over the
/// target only after every byte is written). On failure the old file is untouched and the
/// error names the path and the reason. Creates missing parent folders.
Status saveFileAtomically(const QString& path, const QByteArray& content);

/// Who can fix a failed file operation: a file that cannot be opened or created (permission,
/// a path through a file) is the user's to choose again; a write that fails part-way (disk
/// full, I/O error) is the machine's.
ErrorCategory fileErrorCategory(QFileDevice::FileError error);

} // namespace freesel
