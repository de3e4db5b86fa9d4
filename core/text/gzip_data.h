// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace freesel {

/// The decompressed content of gzip data (RFC 1952, e.g. a `.gz` file read whole). Qt's
/// qUncompress only reads its own zlib framing, so this goes through zlib directly.
/// Throws std::runtime_error naming `source` when the data is not valid gzip.
QByteArray gunzip(const QByteArray& data, const QString& source);

/// Reads and decompresses a `.gz` file; errors name the file.
QByteArray readGzipFile(const QString& path);

} // namespace freesel
