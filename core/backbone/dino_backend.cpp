// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/dino_backend.h"

#include "backbone/dino_vit.h"

#include <QCryptographicHash>
#include <QFile>

namespace freesel {

FeatureBackend::~FeatureBackend() = default;

DinoBackend::DinoBackend(DinoVit vit, QString weightsId)
    : vit_(std::make_unique<DinoVit>(std::move(vit))), weightsId_(std::move(weightsId)) {}

DinoBackend::~DinoBackend() = default;

QString DinoBackend::name() const {
    return QStringLiteral("dino");
}

QString DinoBackend::fingerprint() const {
    const VitConfig& config = vit_->config();
    const DinoVitOptions& options = vit_->options();
    // A custom config has no name; its shape then identifies it.
    const QString model =
        QString::fromStdString(config.name.empty() ? config.describe() : config.name);
    const QString layer = options.featureLayer == FeatureLayer::Last
                              ? QStringLiteral("last")
                              : QStringLiteral("penultimate");
    return QStringLiteral("dino|model=%1|weights=%2|layer=%3|precision=%4")
        .arg(model, weightsId_, layer, QLatin1String(vitPrecisionName(options.precision)));
}

QString DinoBackend::deviceDescription() const {
    return QString::fromStdString(vit_->deviceDescription());
}

QString DinoBackend::precision() const {
    return QLatin1String(vitPrecisionName(vit_->options().precision));
}

int DinoBackend::patchSize() const {
    return vit_->config().patchSize;
}

int DinoBackend::neighbourhoodRadius() const {
    return vit_->options().neighbourhoodRadius;
}

std::vector<ImageFeatures> DinoBackend::run(const std::vector<cv::Mat>& rgbImages) {
    return vit_->run(rgbImages);
}

bool DinoBackend::runsIdleWork(std::size_t count) const {
    return vit_->runsIdleWork(count);
}

std::vector<ImageFeatures> DinoBackend::runSharingThreads(const std::vector<cv::Mat>& rgbImages,
                                                          const IdleWork& idle) {
    return vit_->run(rgbImages, idle);
}

QString DinoBackend::weightsChecksum(const QString& checkpointPath) {
    QFile file(checkpointPath);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!file.open(QIODevice::ReadOnly) || !hash.addData(&file))
        return {};
    return QStringLiteral("sha256:") + QString::fromLatin1(hash.result().toHex());
}

} // namespace freesel
