// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/backend_factory.h"

#include "backbone/dino_backend.h"
#include "backbone/dino_vit.h"
#include "backbone/offline_backend.h"
#include "backbone/vit_config.h"
#include "weights/model_manifest.h"
#include "weights/weight_cache.h"

#include <QFileInfo>
#include <stdexcept>

namespace freesel {

namespace {

BackendSelection offline(QString note) {
    BackendSelection selection;
    selection.backend = std::make_unique<OfflineBackend>();
    selection.modelName = QStringLiteral("offline");
    selection.note = std::move(note);
    return selection;
}

BackendSelection dino(const BackendChoice& choice, const QString& weights) {
    DinoVitOptions options;
    options.device = choice.device.toStdString();
    options.precision = parseVitPrecision(choice.precision.toStdString());
    options.threads = choice.threads;
    options.batchSize = choice.batchSize;
    const bool inferred = !choice.weights.isEmpty() && !choice.checkModel;
    const VitConfig config = vitConfigByName(choice.model.toStdString());
    BackendSelection selection;
    try {
        DinoVit vit(weights.toStdString(), options, inferred ? nullptr : &config);
        selection.modelChecksum = DinoBackend::weightsChecksum(weights);
        selection.backend = std::make_unique<DinoBackend>(std::move(vit), selection.modelChecksum);
    } catch (const std::invalid_argument&) {
        throw;
    } catch (const std::exception& error) {
        // A checkpoint that is damaged or of another architecture, a device that is not there:
        // the user's choice to fix (the message names the file or the device), not our fault.
        throw std::invalid_argument(error.what());
    }
    selection.modelName = inferred ? QFileInfo(choice.weights).completeBaseName() : choice.model;
    return selection;
}

} // namespace

BackendSelection createBackend(const BackendChoice& choice) {
    if (choice.backend != QLatin1String("auto") && choice.backend != QLatin1String("offline") &&
        choice.backend != QLatin1String("dino"))
        throw std::invalid_argument("--backend must be auto, offline or dino; got '" +
                                    choice.backend.toStdString() + "'");
    parseVitPrecision(choice.precision.toStdString()); // refuse a bad value whatever runs
    if (choice.backend == QLatin1String("offline"))
        return offline({});
    QString weights = choice.weights;
    QString help;
    if (weights.isEmpty()) {
        const ModelManifest manifest = ModelManifest::builtin();
        const ModelInfo* model = manifest.find(choice.model);
        if (!model)
            throw std::invalid_argument(
                "unknown model '" + choice.model.toStdString() +
                "'; known models: " + manifest.names().join(QStringLiteral(", ")).toStdString());
        const WeightCache cache;
        weights = cache.locate(*model);
        help = cache.offlineHelp(*model);
    }
    if (!QFileInfo::exists(weights)) {
        const QString why = QStringLiteral("DINO weights not found at %1. ").arg(weights) + help;
        if (choice.backend == QLatin1String("dino"))
            throw std::invalid_argument(why.toStdString());
        BackendSelection fallback = offline(
            QStringLiteral("DINO weights not found (%1): running the offline backend, whose "
                           "picks can be no better than random on semantic content; get DINO "
                           "with: freesel models download %1")
                .arg(choice.model));
        fallback.noteDetails = why;
        return fallback;
    }
    return dino(choice, weights);
}

} // namespace freesel
