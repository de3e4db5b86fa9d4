// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/backend_factory.h"

#include "backbone/clip_backend.h"
#include "backbone/dino_backend.h"
#include "backbone/dino_vit.h"
#include "backbone/offline_backend.h"
#include "backbone/vit_config.h"
#include "weights/clip_checkpoint.h"
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

/// The architecture a manifest CLIP model has (its display name ends with the official name).
const ClipConfig* clipConfigOf(const ModelInfo& model) {
    for (const ClipConfig& config : knownClipConfigs())
        if (model.displayName.endsWith(QString::fromStdString(config.name)))
            return &config;
    return nullptr;
}

/// The manifest name of the official model a config is, or "" for another shape.
QString clipModelNameOf(const ClipConfig& config) {
    const ModelManifest manifest = ModelManifest::builtin();
    for (const ModelInfo& model : manifest.models())
        if (model.family == QLatin1String("clip") && clipConfigOf(model) &&
            *clipConfigOf(model) == config)
            return model.name;
    return {};
}

BackendSelection clip(const BackendChoice& choice, const QString& weights, const ModelInfo* model) {
    ClipBackendOptions options;
    options.device = choice.device.toStdString();
    options.threads = choice.threads;
    options.batchSize = choice.batchSize;
    if (choice.precision != QLatin1String("float32") && choice.precision != QLatin1String("auto"))
        throw std::invalid_argument("--precision: the CLIP backend runs in float32 only, got '" +
                                    choice.precision.toStdString() + "'");
    const ClipConfig* expected = model && choice.checkModel ? clipConfigOf(*model) : nullptr;
    BackendSelection selection;
    try {
        selection.modelChecksum = DinoBackend::weightsChecksum(weights);
        auto backend = std::make_unique<ClipBackend>(weights.toStdString(), selection.modelChecksum,
                                                     options, expected);
        selection.modelName = clipModelNameOf(backend->config());
        selection.backend = std::move(backend);
    } catch (const std::invalid_argument&) {
        throw;
    } catch (const std::exception& error) {
        throw std::invalid_argument(error.what()); // as dino(): the file is the user's to fix
    }
    if (selection.modelName.isEmpty())
        selection.modelName = QFileInfo(weights).completeBaseName();
    return selection;
}

/// CLIP by name: asked for (--backend clip), or --model names a CLIP model.
bool namesClip(const BackendChoice& choice, const ModelInfo* model) {
    return choice.backend == QLatin1String("clip") ||
           (model && model->family == QLatin1String("clip"));
}

/// CLIP runs when named (namesClip), or when the --weights file holds CLIP (its architecture
/// tells, as a DINO file's does).
bool wantsClip(const BackendChoice& choice, const ModelInfo* model) {
    if (namesClip(choice, model))
        return true;
    // Only auto looks inside the file (reading it costs a pass over it): an explicit dino
    // loads it as DINO, whose loader names the file when it is not.
    return choice.backend == QLatin1String("auto") && !choice.weights.isEmpty() &&
           QFileInfo::exists(choice.weights) && isClipCheckpoint(choice.weights.toStdString());
}

/// The CLIP branch of createBackend: --model when it names a CLIP model (a DINO name, the
/// default of --model, is ignored), else the default CLIP model; no offline fallback (nothing
/// else gives CLIP embeddings).
BackendSelection clipFromChoice(const BackendChoice& choice, const ModelManifest& manifest) {
    const ModelInfo* named = manifest.find(choice.model);
    if (named && named->family != QLatin1String("clip"))
        named = nullptr;
    const ModelInfo* model = named ? named : manifest.find(QLatin1String(kDefaultClipModel));
    QString weights = choice.weights;
    if (weights.isEmpty() && model) {
        const WeightCache cache;
        weights = cache.locate(*model);
        if (!QFileInfo::exists(weights))
            throw std::invalid_argument(
                QStringLiteral("CLIP weights not found at %1 (get them with: freesel models "
                               "download %2). %3")
                    .arg(weights, model->name, cache.offlineHelp(*model))
                    .toStdString());
    }
    if (!QFileInfo::exists(weights))
        throw std::invalid_argument(
            QStringLiteral("--weights %1: no such file").arg(weights).toStdString());
    return clip(choice, weights, named);
}

} // namespace

QString predictBackend(const BackendChoice& choice) {
    if (choice.backend == QLatin1String("offline"))
        return QStringLiteral("offline");
    const ModelManifest manifest = ModelManifest::builtin();
    const ModelInfo* model = manifest.find(choice.model);
    if (namesClip(choice, model))
        return QStringLiteral("clip");
    const bool weightsThere =
        !choice.weights.isEmpty() || (model && WeightCache().isCached(*model));
    return choice.backend == QLatin1String("dino") || weightsThere ? QStringLiteral("dino")
                                                                   : QStringLiteral("offline");
}

BackendSelection createBackend(const BackendChoice& choice) {
    if (choice.backend != QLatin1String("auto") && choice.backend != QLatin1String("offline") &&
        choice.backend != QLatin1String("dino") && choice.backend != QLatin1String("clip"))
        throw std::invalid_argument("--backend must be auto, offline, dino or clip; got '" +
                                    choice.backend.toStdString() + "'");
    parseVitPrecision(choice.precision.toStdString()); // refuse a bad value whatever runs
    if (choice.backend == QLatin1String("offline"))
        return offline({});
    {
        const ModelManifest manifest = ModelManifest::builtin();
        if (wantsClip(choice, manifest.find(choice.model)))
            return clipFromChoice(choice, manifest);
    }
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
