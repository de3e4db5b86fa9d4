// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/local_http_server.h"

#include <QPointer>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTimer>

#include <memory>
#include <utility>

namespace {

QByteArray statusLine(int code) {
    switch (code) {
    case 200:
        return "HTTP/1.1 200 OK\r\n";
    case 206:
        return "HTTP/1.1 206 Partial Content\r\n";
    case 404:
        return "HTTP/1.1 404 Not Found\r\n";
    default:
        return "HTTP/1.1 416 Range Not Satisfiable\r\n";
    }
}

QByteArray head(int code, qint64 length, const QByteArray& extra = {}) {
    return statusLine(code) + "Content-Type: application/octet-stream\r\nContent-Length: " +
           QByteArray::number(length) + "\r\n" + extra + "Connection: close\r\n\r\n";
}

} // namespace

LocalHttpServer::LocalHttpServer(QByteArray file, QObject* parent)
    : QObject(parent), file_(std::move(file)) {
    connect(&server_, &QTcpServer::newConnection, this, &LocalHttpServer::onNewConnection);
}

QUrl LocalHttpServer::url() const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1/weights/model.pth").arg(server_.serverPort()));
}

QUrl LocalHttpServer::missingUrl() const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1/weights/none.pth").arg(server_.serverPort()));
}

void LocalHttpServer::onNewConnection() {
    while (QTcpSocket* socket = server_.nextPendingConnection()) {
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void LocalHttpServer::onReadyRead(QTcpSocket* socket) {
    // Accumulate until the blank line that ends the request head; bodies are never sent to us.
    QByteArray request = socket->property("request").toByteArray() + socket->readAll();
    socket->setProperty("request", request);
    if (!request.contains("\r\n\r\n") || socket->property("answered").toBool())
        return;
    socket->setProperty("answered", true);
    const QList<QByteArray> words = request.left(request.indexOf("\r\n")).split(' ');
    static const QRegularExpression range(
        QStringLiteral("(?i)\\r\\nRange:\\s*bytes=(\\d+)-\\r\\n"));
    const QRegularExpressionMatch m = range.match(QString::fromLatin1(request));
    const qint64 rangeStart = m.hasMatch() ? m.captured(1).toLongLong() : -1;
    rangeStarts_ << rangeStart;
    respond(socket, words.value(1), rangeStart);
}

void LocalHttpServer::respond(QTcpSocket* socket, const QByteArray& path, qint64 rangeStart) {
    if (path != url().path().toLatin1()) {
        socket->write(head(404, 9) + "not found");
        socket->disconnectFromHost();
        return;
    }
    QByteArray content = file_;
    if (mode_ == Mode::Corrupt)
        for (qsizetype i = 100; i < content.size(); i += 4099)
            content[i] = char(content[i] ^ 0x5A);
    const qint64 size = content.size();
    const bool partial = rangeStart >= 0 && mode_ != Mode::IgnoreRange;
    if (partial && rangeStart >= size) {
        socket->write(head(416, 0, "Content-Range: bytes */" + QByteArray::number(size) + "\r\n"));
        socket->disconnectFromHost();
        return;
    }
    const qint64 from = partial ? rangeStart : 0;
    const QByteArray contentRange = "Content-Range: bytes " + QByteArray::number(from) + "-" +
                                    QByteArray::number(size - 1) + "/" + QByteArray::number(size) +
                                    "\r\n";
    socket->write(partial ? head(206, size - from, contentRange) : head(200, size));
    switch (mode_) {
    case Mode::CloseMidway:
        // Promise the full length, deliver part of it, then drop the connection.
        socket->write(content.mid(from, qMax<qint64>(0, closeAt_ - from)));
        socket->flush();
        socket->disconnectFromHost();
        return;
    case Mode::Slow:
        sendSlowly(socket, content.mid(from));
        return;
    default:
        socket->write(content.mid(from));
        socket->disconnectFromHost();
    }
}

void LocalHttpServer::sendSlowly(QTcpSocket* socket, QByteArray payload) {
    auto* timer = new QTimer(socket);
    QPointer<QTcpSocket> guard(socket);
    auto offset = std::make_shared<qint64>(0);
    connect(timer, &QTimer::timeout, socket, [guard, timer, offset, payload] {
        if (!guard || guard->state() != QAbstractSocket::ConnectedState) {
            timer->stop();
            return;
        }
        guard->write(payload.mid(*offset, 16 * 1024));
        *offset += 16 * 1024;
        if (*offset >= payload.size()) {
            timer->stop();
            guard->disconnectFromHost();
        }
    });
    timer->start(5);
}
