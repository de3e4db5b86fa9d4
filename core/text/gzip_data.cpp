// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/gzip_data.h"

#include <QFile>

#include <zlib.h>

#include <stdexcept>

namespace freesel {

namespace {

[[noreturn]] void fail(const QString& source, const QString& what) {
    throw std::runtime_error(
        QStringLiteral("%1: not a valid gzip file (%2)").arg(source, what).toStdString());
}

} // namespace

QByteArray gunzip(const QByteArray& data, const QString& source) {
    z_stream stream{};
    // 16 + MAX_WBITS: gzip framing only (header and CRC-32 checked by zlib).
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        fail(source, QStringLiteral("zlib could not start"));
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.constData()));
    stream.avail_in = static_cast<uInt>(data.size());
    QByteArray out;
    char chunk[1 << 16];
    int status = Z_OK;
    while (status == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof(chunk);
        status = inflate(&stream, Z_NO_FLUSH);
        if (status == Z_OK || status == Z_STREAM_END)
            out.append(chunk, static_cast<qsizetype>(sizeof(chunk) - stream.avail_out));
        else if (status == Z_BUF_ERROR && stream.avail_in == 0)
            break; // ran out of input before the end of the stream
    }
    const QString message = stream.msg ? QString::fromUtf8(stream.msg) : QString();
    inflateEnd(&stream);
    if (status != Z_STREAM_END)
        fail(source, message.isEmpty() ? QStringLiteral("truncated data") : message);
    return out;
}

QByteArray readGzipFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw std::runtime_error(
            QStringLiteral("cannot read %1: %2").arg(path, file.errorString()).toStdString());
    return gunzip(file.readAll(), path);
}

} // namespace freesel
