// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/weights_dialog.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace freesel {

WeightsDialog::WeightsDialog(const ModelInfo& model, const QString& cachePath, QWidget* parent)
    : QDialog(parent), model_(model.name), message_(new QLabel(this)),
      progress_(new QProgressBar(this)), download_(new QPushButton(this)),
      offline_(new QPushButton(tr("Use the &offline backend"), this)),
      cancel_(new QPushButton(tr("Cancel"), this)), error_(new QLabel(this)) {
    setWindowTitle(tr("Model weights missing"));
    const QString size = model.hasSize()
                             ? QLocale().formattedDataSize(model.size)
                             : tr("about %1")
                                   .arg(QLocale().formattedDataSize(model.estimatedSize(), 0,
                                                                    QLocale::DataSizeSIFormat));
    message_->setWordWrap(true);
    message_->setText(tr("<p>The weights of <b>%1</b> are not on this machine.</p>"
                         "<p>Download them from %2 (%3) into <tt>%4</tt>, or run now with the "
                         "offline backend (classical descriptors and saliency in place of the "
                         "network; no download).</p>")
                          .arg(model.displayName.toHtmlEscaped(),
                               model.url.toString().toHtmlEscaped(), size,
                               cachePath.toHtmlEscaped()));
    download_->setText(tr("&Download (%1)").arg(size));
    download_->setObjectName(QStringLiteral("downloadWeights"));
    offline_->setObjectName(QStringLiteral("useOffline"));
    progress_->setVisible(false);
    error_->setObjectName(QStringLiteral("downloadError"));
    error_->setWordWrap(true);
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_->setStyleSheet(QStringLiteral("color: #b00"));
    error_->setVisible(false);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(download_);
    buttons->addWidget(offline_);
    buttons->addWidget(cancel_);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(message_);
    layout->addWidget(progress_);
    layout->addWidget(error_);
    layout->addLayout(buttons);
    connect(download_, &QPushButton::clicked, this, [this] {
        downloading_ = true;
        download_->setEnabled(false);
        offline_->setEnabled(false);
        progress_->setVisible(true);
        progress_->setRange(0, 0);
        Q_EMIT downloadRequested(model_);
    });
    connect(offline_, &QPushButton::clicked, this, [this] { done(UseOffline); });
    connect(cancel_, &QPushButton::clicked, this, [this] {
        if (downloading_)
            Q_EMIT cancelRequested(); // onFinished(cancelled) closes the dialog
        else
            reject();
    });
}

void WeightsDialog::onProgress(qint64 received, qint64 total) {
    if (total > 0) {
        progress_->setRange(0, 1000);
        progress_->setValue(static_cast<int>(received * 1000 / total));
        progress_->setFormat(QStringLiteral("%1 / %2").arg(QLocale().formattedDataSize(received),
                                                           QLocale().formattedDataSize(total)));
    }
}

void WeightsDialog::onFinished(const DownloadResult& result) {
    downloading_ = false;
    if (result.ok()) {
        done(Downloaded);
        return;
    }
    if (result.cancelled) {
        reject();
        return;
    }
    progress_->setVisible(false);
    download_->setEnabled(true);
    offline_->setEnabled(true);
    // In its own label, and the dialog grows to show it (appended to the message it was cut
    // off below the dialog's first height, so a failure looked like nothing happened).
    error_->setText(tr("Download failed: %1").arg(result.error()));
    error_->setVisible(true);
    adjustSize();
}

} // namespace freesel
