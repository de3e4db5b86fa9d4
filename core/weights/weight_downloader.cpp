// SPDX-License-Identifier: GPL-3.0-or-later
#include "weights/weight_downloader.h"

#include "util/save_file.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QTimer>

#include <filesystem>
#include <system_error>
#include <utility>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace freesel {

namespace {

std::filesystem::path toFsPath(const QString& path) {
#ifdef Q_OS_WIN
    return std::filesystem::path(path.toStdWString());
#else
    return std::filesystem::path(QFile::encodeName(path).toStdString());
#endif
}

// std::filesystem::rename replaces an existing target in one step (rename(2) on POSIX,
// MoveFileEx with REPLACE_EXISTING on Windows); QFile::rename refuses to overwrite.
Status replaceAtomically(const QString& from, const QString& to) {
    std::error_code ec;
    std::filesystem::rename(toFsPath(from), toFsPath(to), ec);
    if (!ec)
        return {};
    return Error::environment(QStringLiteral("%1: cannot move the verified download into place: %2")
                                  .arg(to, QString::fromLocal8Bit(ec.message().c_str())));
}

// "bytes 100-199/200" -> start 100, total 200 (-1 for "*"). False when malformed.
bool parseContentRange(const QByteArray& header, qint64* start, qint64* total) {
    static const QRegularExpression re(QStringLiteral("^bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)$"));
    const QRegularExpressionMatch m = re.match(QString::fromLatin1(header.trimmed()));
    if (!m.hasMatch())
        return false;
    *start = m.captured(1).toLongLong();
    *total = m.captured(3) == QLatin1String("*") ? -1 : m.captured(3).toLongLong();
    return true;
}

DownloadResult failed(const QString& error) {
    DownloadResult result;
    result.status = Error::environment(error);
    return result;
}

} // namespace

DownloadRequest DownloadRequest::forModel(const ModelInfo& model, const WeightCache& cache) {
    DownloadRequest request;
    request.url = model.url;
    request.destination = cache.pathFor(model);
    request.expectedSize = model.size;
    request.sha256 = model.sha256;
    request.offlineHelp = cache.offlineHelp(model);
    return request;
}

WeightDownloader::WeightDownloader(QObject* parent)
    : QObject(parent), network_(new QNetworkAccessManager(this)) {
    qRegisterMetaType<freesel::DownloadResult>();
}

WeightDownloader::~WeightDownloader() {
    if (reply_) { // no finished() from a dying object
        reply_->disconnect(this);
        reply_->abort();
    }
}

void WeightDownloader::start(const DownloadRequest& request) {
    if (running_)
        return;
    request_ = request;
    running_ = true;
    cancelled_ = false;
    failure_.clear();
    restarts_ = 0;
    hash_.reset();
    const QString dest = request_.destination;
    if (!QDir().mkpath(QFileInfo(dest).absolutePath())) {
        finishLater(failed(QStringLiteral("%1: cannot create the folder for the download")
                               .arg(QFileInfo(dest).absolutePath())));
        return;
    }
    if (QFileInfo(dest).isFile()) { // already downloaded: report it if it still verifies
        const WeightVerification v =
            WeightCache::verifyFile(dest, request_.expectedSize, request_.sha256, true);
        if (v.ok()) {
            DownloadResult done;
            done.status = {};
            done.path = dest;
            done.sha256 = v.sha256;
            finishLater(done);
            return;
        }
    }
    qint64 have = QFileInfo(request_.partialPath()).size();
    if (request_.expectedSize >= 0 && have > request_.expectedSize) { // stale: cannot be ours
        QFile::remove(request_.partialPath());
        have = 0;
    }
    offset_ = resumedFrom_ = have;
    if (!openPartial(have > 0) || (have > 0 && !hashExistingPartial())) {
        finishLater(failed(failure_));
        return;
    }
    if (request_.expectedSize >= 0 && have == request_.expectedSize) { // complete, not renamed
        QMetaObject::invokeMethod(
            this, [this] { finalize(); }, Qt::QueuedConnection);
        return;
    }
    sendRequest();
}

void WeightDownloader::cancel() {
    if (!running_ || cancelled_)
        return;
    cancelled_ = true;
    if (reply_)
        reply_->abort(); // onReplyFinished reports the cancellation
}

bool WeightDownloader::openPartial(bool append) {
    partial_.close();
    partial_.setFileName(request_.partialPath());
    // Unbuffered: a full disk fails the write of the chunk that does not fit, with the
    // system's reason, instead of a later flush that nobody checks.
    const QIODevice::OpenMode mode = QIODevice::WriteOnly | QIODevice::Unbuffered |
                                     (append ? QIODevice::Append : QIODevice::Truncate);
    if (partial_.open(mode))
        return true;
    failure_ = QStringLiteral("%1: cannot write the download: %2")
                   .arg(request_.partialPath(), partial_.errorString());
    return false;
}

// Resuming: the hash must cover the bytes already on disk before new ones are added.
bool WeightDownloader::hashExistingPartial() {
    QFile existing(request_.partialPath());
    if (!existing.open(QIODevice::ReadOnly) || !hash_.addData(&existing)) {
        failure_ = QStringLiteral("%1: cannot read the partial download: %2")
                       .arg(request_.partialPath(), existing.errorString());
        return false;
    }
    return true;
}

void WeightDownloader::sendRequest() {
    headChecked_ = false;
    discardBody_ = false;
    restartPending_ = false;
    written_ = 0;
    serverTotal_ = -1;
    QNetworkRequest request(request_.url);
    request.setTransferTimeout(transferTimeoutMs_);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    // Byte ranges refer to the stored file; transparent gzip would shift them.
    request.setRawHeader("Accept-Encoding", "identity");
    if (offset_ > 0)
        request.setRawHeader("Range", "bytes=" + QByteArray::number(offset_) + "-");
    reply_ = network_->get(request);
    connect(reply_, &QNetworkReply::readyRead, this, &WeightDownloader::onReadyRead);
    connect(reply_, &QNetworkReply::finished, this, &WeightDownloader::onReplyFinished);
}

void WeightDownloader::restartFromZero() {
    hash_.reset();
    offset_ = resumedFrom_ = 0;
    written_ = 0;
    if (!openPartial(false) && reply_)
        reply_->abort();
}

bool WeightDownloader::checkResponseHead() {
    if (headChecked_)
        return !discardBody_;
    headChecked_ = true;
    const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 206) {
        qint64 start = -1;
        if (!parseContentRange(reply_->rawHeader("Content-Range"), &start, &serverTotal_) ||
            start != offset_) { // not the range we asked for: fetch the whole file instead
            restartPending_ = true;
            discardBody_ = true;
        }
    } else if (status == 200) {
        if (offset_ > 0) // the server ignored Range and sends the whole file
            restartFromZero();
        const QVariant length = reply_->header(QNetworkRequest::ContentLengthHeader);
        serverTotal_ = length.isValid() ? length.toLongLong() : -1;
    } else {
        discardBody_ = true; // error page or 416; handled when the reply finishes
    }
    return !discardBody_;
}

void WeightDownloader::onReadyRead() {
    if (!reply_ || cancelled_)
        return;
    if (!checkResponseHead()) {
        if (restartPending_)
            reply_->abort(); // emits finished, which restarts
        else
            reply_->readAll();
        return;
    }
    const QByteArray data = reply_->readAll();
    if (!writeWhole(partial_, data)) {
        failure_ = QStringLiteral("%1: write error (disk full?): %2")
                       .arg(request_.partialPath(), partial_.errorString());
        reply_->abort();
        return;
    }
    hash_.addData(data);
    written_ += data.size();
    Q_EMIT progress(offset_ + written_, knownTotal());
}

void WeightDownloader::onReplyFinished() {
    if (!reply_)
        return;
    if (reply_->bytesAvailable() > 0 && !cancelled_ && failure_.isEmpty())
        onReadyRead(); // drain what arrived together with the end of the stream
    QNetworkReply* reply = reply_;
    reply_ = nullptr;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (cancelled_ || !failure_.isEmpty()) {
        finishTransfer();
        return;
    }
    const bool rangeRefused = status == 416 && offset_ > 0;
    if ((restartPending_ || rangeRefused) && restarts_ < 2) {
        ++restarts_; // bounded: a server that keeps misbehaving ends in an error below
        restartFromZero();
        if (failure_.isEmpty()) {
            sendRequest();
            return;
        }
    }
    if (reply->error() != QNetworkReply::NoError || discardBody_) {
        const QString phrase =
            reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        failure_ = networkError(status > 0 ? QStringLiteral("HTTP %1 %2").arg(status).arg(phrase)
                                           : reply->errorString());
        finishTransfer();
        return;
    }
    finalize();
}

// Ends a transfer that did not complete: the .part stays for the next attempt.
void WeightDownloader::finishTransfer() {
    partial_.close();
    if (QFileInfo(request_.partialPath()).size() == 0) // nothing worth resuming
        QFile::remove(request_.partialPath());
    DownloadResult result;
    result.cancelled = cancelled_;
    result.resumedFrom = resumedFrom_;
    result.status = Error::environment(
        cancelled_ ? QStringLiteral("Download of %1 cancelled; %2 bytes kept in %3 for "
                                    "the next attempt")
                         .arg(request_.url.toString())
                         .arg(offset_ + written_)
                         .arg(request_.partialPath())
                   : failure_);
    finish(result);
}

void WeightDownloader::finalize() {
    if (cancelled_) {
        finishTransfer();
        return;
    }
    partial_.flush();
#ifdef Q_OS_UNIX
    ::fsync(partial_.handle()); // the rename must not land before the data on a crash
#endif
    partial_.close();
    const QString part = request_.partialPath();
    const qint64 size = QFileInfo(part).size();
    const qint64 expected = knownTotal();
    if (expected >= 0 && size < expected) { // the server ended early without an error
        failure_ = networkError(
            QStringLiteral("transfer ended after %1 of %2 bytes").arg(size).arg(expected));
        finishTransfer();
        return;
    }
    const QByteArray sha = hash_.result().toHex();
    QString problem;
    if (expected >= 0 && size > expected)
        problem = QStringLiteral("size is %1 bytes, expected %2").arg(size).arg(expected);
    else if (!request_.sha256.isEmpty() && sha != request_.sha256.toLower())
        problem = QStringLiteral("SHA-256 is %1, expected %2")
                      .arg(QString::fromLatin1(sha), QString::fromLatin1(request_.sha256));
    if (!problem.isEmpty()) { // resuming a corrupt file can never succeed: drop it
        QFile::remove(part);
        finish(failed(QStringLiteral("%1: downloaded file from %2 failed verification (%3); it "
                                     "was deleted and nothing was installed")
                          .arg(request_.destination, request_.url.toString(), problem)));
        return;
    }
    if (const Status moved = replaceAtomically(part, request_.destination); !moved) {
        finish(failed(moved.message()));
        return;
    }
    DownloadResult done;
    done.status = {};
    done.path = request_.destination;
    done.sha256 = sha;
    done.resumedFrom = resumedFrom_;
    finish(done);
}

void WeightDownloader::finish(DownloadResult result) {
    partial_.close();
    running_ = false;
    Q_EMIT finished(result);
}

void WeightDownloader::finishLater(DownloadResult result) {
    QMetaObject::invokeMethod(
        this, [this, result] { finish(result); }, Qt::QueuedConnection);
}

QString WeightDownloader::networkError(const QString& reason) const {
    const QString help =
        !request_.offlineHelp.isEmpty()
            ? request_.offlineHelp
            : QStringLiteral("Download it on a machine with network access and pass it with "
                             "--weights FILE, or copy it to %1.")
                  .arg(request_.destination);
    const qint64 kept = QFileInfo(request_.partialPath()).size();
    const QString resume = kept > 0 ? QStringLiteral(" %1 bytes are kept in %2; the next attempt "
                                                     "resumes from there.")
                                          .arg(kept)
                                          .arg(request_.partialPath())
                                    : QString();
    return QStringLiteral("Could not download %1: %2.%3 %4")
        .arg(request_.url.toString(), reason, resume, help);
}

qint64 WeightDownloader::knownTotal() const {
    return request_.expectedSize >= 0 ? request_.expectedSize : serverTotal_;
}

DownloadResult WeightDownloader::downloadBlocking(const DownloadRequest& request,
                                                  const ProgressFn& onProgress,
                                                  const std::atomic_bool* cancel) {
    if (!QCoreApplication::instance())
        return failed(QStringLiteral("internal error: downloading %1 needs a QCoreApplication")
                          .arg(request.url.toString()));
    WeightDownloader downloader;
    DownloadResult result;
    QEventLoop loop;
    if (onProgress)
        connect(&downloader, &WeightDownloader::progress, &loop, onProgress);
    connect(&downloader, &WeightDownloader::finished, &loop, [&](const DownloadResult& r) {
        result = r;
        loop.quit();
    });
    QTimer poll;
    if (cancel) {
        connect(&poll, &QTimer::timeout, &loop, [&] {
            if (cancel->load())
                downloader.cancel();
        });
        poll.start(100);
    }
    downloader.start(request);
    loop.exec(); // finished() is never emitted inside start(), so it cannot be missed
    return result;
}

} // namespace freesel
