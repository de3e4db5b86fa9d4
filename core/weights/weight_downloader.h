// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "weights/model_manifest.h"
#include "weights/weight_cache.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QFile>
#include <QMetaType>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include <atomic>
#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace freesel {

/// What to fetch and where to put it.
struct DownloadRequest {
    QUrl url;
    QString destination;      ///< final path; the download is written to destination + ".part"
    qint64 expectedSize = -1; ///< -1: unknown (the server's length is checked instead)
    QByteArray sha256;        ///< lower-case hex; empty: unknown (the hash is still reported)
    QString offlineHelp;      ///< appended to network errors: how to supply the file by hand

    static DownloadRequest forModel(const ModelInfo& model, const WeightCache& cache);
    QString partialPath() const { return destination + QStringLiteral(".part"); }
};

struct DownloadResult {
    /// The error names the URL or file and includes the offline help on network errors: the
    /// machine's (environment) for the network and the disk.
    Status status = Error::internal(QStringLiteral("not finished"));
    bool cancelled = false;
    QString path;           ///< the verified file under its final name, when ok
    QByteArray sha256;      ///< of the downloaded file, when ok
    qint64 resumedFrom = 0; ///< bytes of an earlier .part that were kept (0: fresh download)

    bool ok() const { return status.ok(); }
    QString error() const { return status.message(); }
};

/// Downloads one weight file over HTTP(S) with progress, cancel and resume.
///
/// Bytes go to "<destination>.part". A later start() resumes it with "Range: bytes=N-"; a server
/// that answers 200 (ignoring the range) or a mismatched Content-Range restarts from zero. When
/// the transfer ends the file is checked (size, SHA-256 if known, hashed while writing) and only
/// then renamed over the destination in one atomic step, so a file under the final name is never
/// partial or unverified. A failed or cancelled transfer keeps the .part for the next attempt; a
/// file that fails verification is deleted.
///
/// Lives in the thread that calls start() (needs an event loop there; the GUI runs it on its
/// worker thread). finished() is emitted exactly once per start(), never from inside start().
class WeightDownloader : public QObject {
    Q_OBJECT
public:
    using ProgressFn = std::function<void(qint64 received, qint64 total)>;

    explicit WeightDownloader(QObject* parent = nullptr);
    ~WeightDownloader() override;

    /// Starts (or resumes) a download. Ignored while one is running. An existing destination
    /// or .part file is hashed synchronously first (about 1 s per 300 MB).
    void start(const DownloadRequest& request);
    /// Aborts the transfer; finished() follows with cancelled = true and the .part kept.
    void cancel();
    bool isRunning() const { return running_; }

    /// Stall timeout: the transfer fails if no byte arrives for this long (default 30 s).
    void setTransferTimeout(int milliseconds) { transferTimeoutMs_ = milliseconds; }

    /// For the CLI: runs start() in a local QEventLoop and returns the result. Needs a
    /// QCoreApplication. `cancel`, if given, is polled every 100 ms (e.g. set by a SIGINT handler).
    static DownloadResult downloadBlocking(const DownloadRequest& request,
                                           const ProgressFn& progress = {},
                                           const std::atomic_bool* cancel = nullptr);

Q_SIGNALS:
    /// received counts the resumed prefix too; total is -1 while unknown.
    void progress(qint64 received, qint64 total);
    void finished(const freesel::DownloadResult& result);

private:
    void sendRequest();
    void onReadyRead();
    void onReplyFinished();
    bool checkResponseHead(); // false: discard the body (error or restart)
    bool openPartial(bool append);
    bool hashExistingPartial();
    void restartFromZero();
    void finishTransfer();
    void finalize();
    void finish(DownloadResult result);
    void finishLater(DownloadResult result);
    QString networkError(const QString& reason) const;
    qint64 knownTotal() const;

    QNetworkAccessManager* network_ = nullptr;
    QPointer<QNetworkReply> reply_;
    DownloadRequest request_;
    QFile partial_;
    QCryptographicHash hash_{QCryptographicHash::Sha256};
    qint64 offset_ = 0;  // bytes already in .part when this response began
    qint64 written_ = 0; // bytes of this response written
    qint64 serverTotal_ = -1;
    qint64 resumedFrom_ = 0;
    int restarts_ = 0;
    int transferTimeoutMs_ = 30000;
    bool running_ = false;
    bool cancelled_ = false;
    bool headChecked_ = false;
    bool discardBody_ = false;
    bool restartPending_ = false;
    QString failure_; // set when the transfer must fail for a reason the reply does not know
};

} // namespace freesel

Q_DECLARE_METATYPE(freesel::DownloadResult)
