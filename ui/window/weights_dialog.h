// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Asked when the chosen DINO weights are not in the cache: download them (progress, cancel,
// resumable) or run with the offline backend, which needs no weights.

#include "weights/weight_downloader.h"

#include <QDialog>

class QLabel;
class QProgressBar;
class QPushButton;

namespace freesel {

class WeightsDialog : public QDialog {
    Q_OBJECT
public:
    enum Outcome { Downloaded = 10, UseOffline = 11 };
    WeightsDialog(const ModelInfo& model, const QString& cachePath, QWidget* parent = nullptr);

public Q_SLOTS:
    void onProgress(qint64 received, qint64 total);
    void onFinished(const freesel::DownloadResult& result);

Q_SIGNALS:
    void downloadRequested(const QString& model);
    void cancelRequested();

private:
    QString model_;
    QLabel* message_;
    QProgressBar* progress_;
    QPushButton* download_;
    QPushButton* offline_;
    QPushButton* cancel_;
    QLabel* error_; ///< a failed download, with its reason
    bool downloading_ = false;
};

} // namespace freesel
