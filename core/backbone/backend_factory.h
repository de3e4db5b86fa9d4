// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/feature_backend.h"

#include <QString>
#include <memory>

namespace freesel {

/// The CLIP model --backend clip runs when --model names none (models/manifest.json).
constexpr const char* kDefaultClipModel = "clip-vit-b32";

/// What the user asked for: --backend auto|offline|dino|clip, --model, --weights, --device.
struct BackendChoice {
    QString backend = QStringLiteral("auto");
    QString model = QStringLiteral("dino_vits16");
    QString weights; ///< a checkpoint file; empty: the model's file in the weight cache
    /// With `weights`: check them against `model`'s architecture. False: take the architecture
    /// the checkpoint describes (a fine-tuned or other-size ViT needs no model name).
    bool checkModel = true;
    QString device = QStringLiteral("auto");
    /// auto (bfloat16 on CPUs with native bfloat16 products, else float32), float32, bfloat16
    /// (CPU or CUDA), float16 (CUDA)
    QString precision = QStringLiteral("auto");
    int threads = 0;
    int batchSize = 8;
};

struct BackendSelection {
    std::unique_ptr<FeatureBackend> backend;
    QString modelName;     ///< for provenance: the DINO model, or "offline"
    QString modelChecksum; ///< "sha256:<hex>" of the weights, empty for offline
    /// Said to the user when auto fell back to the offline backend, in one line: that DINO
    /// weights are missing, what the offline backend is worth, and the command that gets DINO.
    QString note;
    /// The whole story behind `note`: where the weights were looked for, and every way to put
    /// them there on a machine without network (tooltips, logs, `freesel models`).
    QString noteDetails;
};

/// Builds the backend. clip (also auto or dino when --model names a CLIP model, and auto when
/// --weights holds CLIP): the CLIP image encoder (clip_backend.h), never a fallback. auto: DINO
/// when the weights are present (--weights, or the cache), else the offline backend with a note.
/// dino without weights: std::invalid_argument with the download URL and the cache path. Checkpoint
/// problems surface as exceptions naming the file.
BackendSelection createBackend(const BackendChoice& choice);

/// The backend createBackend(choice) builds ("clip", "dino" or "offline"), decided the same way
/// but without loading or reading any checkpoint (cheap enough for every parameter change in the
/// Studio): an auto choice whose --weights file holds CLIP is only known when the run loads it.
QString predictBackend(const BackendChoice& choice);

} // namespace freesel
