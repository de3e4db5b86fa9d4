// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The window's status bar: the stage of a run with its progress, ETA and Cancel, and always
// which backend, device and feature store are in use.

#include "worker/pipeline_worker.h"

#include <QObject>

class QLabel;
class QProgressBar;
class QPushButton;
class QStatusBar;

namespace freesel {

class RunStatusBar : public QObject {
    Q_OBJECT
public:
    explicit RunStatusBar(QStatusBar* bar);

    QLabel* backendLabel() const { return backend_; }
    QLabel* storeLabel() const { return store_; }

    void showMessage(const QString& text); ///< the stage line ("Ready", "Failed: ...")
    void showRunning(bool running);        ///< progress and Cancel while a run goes
    void showStage(const QString& stage);
    void showProgress(const QString& stage, qint64 done, qint64 total, double etaSeconds);
    /// What a run will use before it starts: CLIP when the strategy or model needs it, DINO
    /// when its weights are there, else offline.
    void showPredictedBackend(const RunParameters& p);
    void showBackend(const BackendInfo& backend);
    /// The label's text for the backend a run used ("Backend: CLIP ViT-B/32").
    static QString backendText(const BackendInfo& backend);
    /// The store of the last run: its size, its folder in the tooltip (empty: none).
    void showStore(const QString& folder);

Q_SIGNALS:
    void cancelClicked();

private:
    QLabel* stage_;
    QProgressBar* progress_;
    QLabel* eta_;
    QPushButton* cancel_;
    QLabel* backend_;
    QLabel* device_;
    QLabel* store_;
};

} // namespace freesel
