// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QVector>

#include <optional>

namespace freesel {

/// The shape of a ViT backbone, enough to build it before loading the checkpoint.
struct ModelArchitecture {
    int patchSize = 16;
    int embedDim = 384;
    int depth = 12;
    int numHeads = 6;
    int mlpRatio = 4;
    int pretrainImageSize = 224; ///< the position-embedding grid is this / patchSize per side
    bool layerScale = false;     ///< DINOv2 blocks carry ls1/ls2 gammas
};

/// One downloadable model from models/manifest.json.
struct ModelInfo {
    QString name;        ///< stable id used on the command line, e.g. "dino_vits16"
    QString displayName; ///< e.g. "DINO ViT-S/16"
    QString family;      ///< "dino" or "dinov2"
    ModelArchitecture architecture;
    QUrl url;
    QString fileName;         ///< name of the file in the weight cache
    qint64 size = -1;         ///< bytes; -1 when unknown
    QByteArray sha256;        ///< lower-case hex; empty when unknown
    QString checkpointFormat; ///< e.g. "state_dict"
    QString checkpointNotes;  ///< key layout, for people converting checkpoints
    QString license;

    bool hasSize() const { return size >= 0; }
    /// The float32 checkpoint size the architecture implies (its parameter count x 4 bytes),
    /// for saying "about 87 MB" where the manifest does not know the file's exact size.
    qint64 estimatedSize() const;
    bool hasSha256() const { return !sha256.isEmpty(); }
};

/// The list of known models. The built-in copy is compiled into freesel_core from
/// models/manifest.json (Qt resource :/freesel/models/manifest.json); a file given with
/// --manifest or $FREESEL_MANIFEST replaces it, e.g. to add a mirror URL or a checksum.
class ModelManifest {
public:
    static constexpr const char* kResourcePath = ":/freesel/models/manifest.json";
    static constexpr const char* kEnvOverride = "FREESEL_MANIFEST";

    /// The manifest compiled into the library. Always valid (a test guards the JSON).
    static ModelManifest builtin();

    /// Parses a manifest file; the error names the file (and the entry and field at fault).
    static Result<ModelManifest> fromFile(const QString& path);

    /// Parses JSON; `source` names the origin in error messages.
    static Result<ModelManifest> fromJson(const QByteArray& json, const QString& source);

    /// overridePath if non-empty, else $FREESEL_MANIFEST if set, else builtin().
    static Result<ModelManifest> load(const QString& overridePath);

    const QVector<ModelInfo>& models() const { return models_; }
    QStringList names() const;
    /// nullptr when unknown. The pointer is valid while this manifest lives.
    const ModelInfo* find(const QString& name) const;
    /// The manifest's "default" entry (the first model if the field is absent).
    const ModelInfo* defaultModel() const;
    /// Where the manifest came from (resource path or file path), for messages.
    QString source() const { return source_; }

private:
    QVector<ModelInfo> models_;
    QString defaultName_;
    QString source_;
};

} // namespace freesel
