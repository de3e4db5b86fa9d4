// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QTcpServer>
#include <QUrl>

class QTcpSocket;

/// A minimal HTTP/1.1 server on 127.0.0.1 for download tests: GET of one file, "Range: bytes=N-"
/// answered with 206 + Content-Range, Content-Length always, one request per connection, plus
/// modes that misbehave the way real servers and networks do.
class LocalHttpServer : public QObject {
    Q_OBJECT
public:
    enum class Mode {
        Normal,
        CloseMidway, ///< sends the headers, then only up to closeAt() bytes of the file, then drops
        Corrupt,     ///< full length, but some bytes flipped
        IgnoreRange, ///< answers 200 with the whole file even when a Range was asked for
        Slow,        ///< sends 16 KiB every 5 ms, so a client can cancel mid-transfer
    };

    explicit LocalHttpServer(QByteArray file, QObject* parent = nullptr);

    bool listen() { return server_.listen(QHostAddress::LocalHost, 0); }
    QUrl url() const; ///< the file's URL; any other path answers 404
    QUrl missingUrl() const;

    void setMode(Mode mode) { mode_ = mode; }
    void setCloseAt(qint64 offset) { closeAt_ = offset; }

    int requestCount() const { return int(rangeStarts_.size()); }
    /// For each request in order: the N of "Range: bytes=N-", or -1 when none was sent.
    QList<qint64> rangeStarts() const { return rangeStarts_; }

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket* socket);
    void respond(QTcpSocket* socket, const QByteArray& path, qint64 rangeStart);
    void sendSlowly(QTcpSocket* socket, QByteArray payload);

    QTcpServer server_;
    QByteArray file_;
    Mode mode_ = Mode::Normal;
    qint64 closeAt_ = 0;
    QList<qint64> rangeStarts_;
};
