// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/run_status_bar.h"

#include "backbone/backend_factory.h"
#include "store/feature_store.h"
#include "weights/model_manifest.h"
#include "weights/weight_cache.h"

#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>

namespace freesel {

namespace {

QString formatEta(double seconds) {
    if (seconds < 0)
        return {};
    const int s = static_cast<int>(seconds + 0.5);
    return s >= 3600 ? QObject::tr("ETA %1 h %2 min").arg(s / 3600).arg((s % 3600) / 60)
           : s >= 60 ? QObject::tr("ETA %1 min %2 s").arg(s / 60).arg(s % 60)
                     : QObject::tr("ETA %1 s").arg(s);
}

} // namespace

QString RunStatusBar::backendText(const BackendInfo& backend) {
    if (backend.name == QLatin1String("dino"))
        return tr("Backend: DINO %1").arg(backend.model);
    if (backend.name == QLatin1String("clip"))
        return tr("Backend: CLIP %1").arg(backend.model);
    return backend.note.isEmpty() ? tr("Backend: offline")
                                  : tr("Backend: offline (no DINO weights; hover for why)");
}

RunStatusBar::RunStatusBar(QStatusBar* bar)
    : QObject(bar), stage_(new QLabel(tr("Ready"), bar)), progress_(new QProgressBar(bar)),
      eta_(new QLabel(bar)), cancel_(new QPushButton(tr("Cancel"), bar)), backend_(new QLabel(bar)),
      device_(new QLabel(bar)), store_(new QLabel(bar)) {
    stage_->setObjectName(QStringLiteral("stageLabel"));
    progress_->setMaximumWidth(220);
    progress_->setVisible(false);
    cancel_->setVisible(false);
    connect(cancel_, &QPushButton::clicked, this, &RunStatusBar::cancelClicked);
    device_->setObjectName(QStringLiteral("deviceLabel"));
    backend_->setObjectName(QStringLiteral("backendLabel"));
    store_->setObjectName(QStringLiteral("storeLabel"));
    bar->addWidget(stage_, 1);
    bar->addWidget(progress_);
    bar->addWidget(eta_);
    bar->addWidget(cancel_);
    bar->addPermanentWidget(backend_);
    bar->addPermanentWidget(device_);
    bar->addPermanentWidget(store_);
}

void RunStatusBar::showMessage(const QString& text) {
    stage_->setText(text);
}

void RunStatusBar::showRunning(bool running) {
    cancel_->setVisible(running);
    progress_->setVisible(running);
    progress_->setRange(0, 0);
    eta_->clear();
}

void RunStatusBar::showStage(const QString& stage) {
    stage_->setText(tr("Stage: %1").arg(stage));
    progress_->setRange(0, 0);
    eta_->clear();
}

void RunStatusBar::showProgress(const QString& stage, qint64 done, qint64 total,
                                double etaSeconds) {
    if (total > 0) {
        progress_->setRange(0, 1000);
        progress_->setValue(static_cast<int>(done * 1000 / total));
        progress_->setFormat(QStringLiteral("%1 / %2").arg(done).arg(total));
    }
    stage_->setText(tr("Stage: %1").arg(stage));
    eta_->setText(formatEta(etaSeconds));
}

void RunStatusBar::showPredictedBackend(const RunParameters& p) {
    const ModelManifest manifest = ModelManifest::builtin();
    const ModelInfo* model = manifest.find(p.model);
    device_->setText(tr("Device: %1 (confirmed when the model loads)").arg(p.device));
    const QString predicted = predictBackend(p.backendChoice());
    if (predicted == QLatin1String("clip")) {
        const QString name = model && model->family == QLatin1String("clip")
                                 ? model->displayName
                                 : QFileInfo(p.weights).completeBaseName();
        backend_->setText(name.isEmpty() ? tr("Backend: CLIP") : tr("Backend: CLIP %1").arg(name));
        backend_->setToolTip(tr("CLIP image embeddings (the clip strategy and text search)"));
        return;
    }
    const bool dino = predicted == QLatin1String("dino");
    backend_->setText(dino ? tr("Backend: DINO %1").arg(model ? model->displayName : p.model)
                           : tr("Backend: offline (no DINO weights)"));
    // Why auto falls back, before a run says it again.
    QString why;
    if (p.backend == QStringLiteral("auto") && !dino)
        why = tr("auto falls back to the offline backend: the weights of %1 are not in the "
                 "cache (%2).\nThe offline backend's ranking can be no better than random on "
                 "semantic content. To get DINO: Run asks to download them, or freesel models "
                 "download %3, or choose a local weights file (Model > Weights).")
                  .arg(model ? model->displayName : p.model,
                       model ? WeightCache().pathFor(*model) : tr("unknown model"), p.model);
    else if (p.backend == QStringLiteral("offline"))
        why = tr("The offline backend was chosen: no network, but its ranking can be no better "
                 "than random on semantic content.");
    backend_->setToolTip(why);
}

void RunStatusBar::showBackend(const BackendInfo& backend) {
    backend_->setText(backendText(backend));
    device_->setText(tr("Device: %1").arg(backend.device));
    backend_->setToolTip(backend.details.isEmpty()
                             ? backend.note
                             : backend.note + QStringLiteral("\n\n") + backend.details);
}

void RunStatusBar::showStore(const QString& folder) {
    if (folder.isEmpty()) {
        store_->setText(tr("Store: none"));
        store_->setToolTip(QString());
        return;
    }
    store_->setText(tr("Store: %1")
                        .arg(QLocale().formattedDataSize(FeatureStore::sizeOnDisk(folder), 1,
                                                         QLocale::DataSizeSIFormat)));
    store_->setToolTip(tr("Feature store: %1 (Run > Reset feature store deletes it)").arg(folder));
}

} // namespace freesel
