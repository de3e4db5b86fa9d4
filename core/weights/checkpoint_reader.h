// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Reading ViT weights from the checkpoint files people actually have (torch-level; include only
// from backbone .cpp files and their tests):
//  - torch.save zip archives: DINO's backbone files (dino_deitsmall16_pretrain.pth, ...) and the
//    'teacher' / 'student' entries of *_full_checkpoint.pth, 'module.' / 'backbone.' prefixes;
//  - safetensors (timm / Hugging Face), F32 / F16 / BF16;
//  - TorchScript archives (their parameters).
// Every failure is a CheckpointError whose message names the file and says what is wrong.

#include "backbone/vit_model.h"
#include "util/error.h"

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace freesel {

/// A weights file that is not what it claims: the user's to replace (exit 2).
class CheckpointError : public Failure {
public:
    explicit CheckpointError(const std::string& message)
        : Failure(ErrorCategory::UserInput, QString::fromStdString(message)) {}
    explicit CheckpointError(const QString& message) : Failure(ErrorCategory::UserInput, message) {}
};

enum class CheckpointLayout { TorchZip, SafeTensors, TorchScript };
const char* checkpointLayoutName(CheckpointLayout layout);

/// Every tensor of a checkpoint with its names as stored: a safetensors file's, a TorchScript
/// module's (named as named_parameters() names them), or those of the torch.save state dict
/// that has a tensor called `marker` (or "<prefix>.marker"): `entry` if given, else the top
/// level, 'teacher', 'student', 'model', 'state_dict' or 'module'. The dtype is as stored.
struct CheckpointTensors {
    CheckpointLayout layout = CheckpointLayout::TorchZip;
    std::string entry; ///< the dict entry the tensors came from ("" for a bare state dict)
    TensorMap tensors;
};
CheckpointTensors readCheckpointTensors(const std::string& path, const std::string& marker,
                                        const std::string& entry = {});

/// The raw tensors of a checkpoint with the backbone's names: the state dict is located
/// (preferring `entry`, else 'teacher', 'student', 'model', 'state_dict'), the common prefix in
/// front of "cls_token" ('module.backbone.', 'backbone.', ...) is stripped, and tensors outside
/// the backbone (DINO's projection head, optimizer state) are left out and listed in `ignored`.
struct RawCheckpoint {
    CheckpointLayout layout = CheckpointLayout::TorchZip;
    std::string entry;  ///< the dict entry the weights came from ("" for a bare state dict)
    std::string prefix; ///< the stripped key prefix
    TensorMap tensors;
    std::vector<std::string> ignored;
};
RawCheckpoint readRawCheckpoint(const std::string& path, const std::string& entry = {});

/// Every tensor of a torch.save'd dictionary at its top level, keys as written (no layout
/// rules): for reference data and tools, not for weights.
TensorMap readTorchSaveTensors(const std::string& path);

/// The architecture the tensors describe (patch, width, depth, MLP width, position grid, layer
/// scale, registers). Heads are not visible in weights: `heads` > 0 is taken as given, else
/// DINO's 64-wide heads are assumed (conventionalHeadCount). Named after the matching known
/// model when there is one.
VitConfig inferVitConfig(const TensorMap& tensors, const std::string& source, int heads = 0);

/// `name` from `tensors`, with `dims` dimensions (for inferring an architecture from shapes);
/// CheckpointError naming `source` and the tensor otherwise.
const torch::Tensor& requireTensor(const TensorMap& tensors, const std::string& name, int dims,
                                   const std::string& source);

/// Every tensor of `expected` is in `tensors` with its shape, and no other but those `ignored`
/// accepts; otherwise CheckpointError naming `source`, the `architecture` and the first
/// problems (missing, wrong shape, unexpected). The ViT and CLIP loaders share it.
void checkTensorShapes(const TensorMap& tensors,
                       const std::vector<std::pair<std::string, std::vector<int64_t>>>& expected,
                       const std::function<bool(const std::string&)>& ignored,
                       const std::string& architecture, const std::string& source);

/// Every expected tensor present with its shape, nothing unexpected left. The message lists the
/// problems: "missing tensor 'X'", "wrong shape for 'X': got [..], expected [..]",
/// "unexpected tensor 'X'".
void validateVitTensors(const TensorMap& tensors, const VitConfig& config,
                        const std::string& source);

/// What DinoVit loads: the validated tensors (float32, CPU) and the config they match.
struct VitCheckpoint {
    VitConfig config;
    TensorMap tensors;
    CheckpointLayout layout = CheckpointLayout::TorchZip;
    std::string entry;
};

/// Reads, infers or checks the config (`expected`), validates. `entry` as in readRawCheckpoint.
VitCheckpoint loadVitCheckpoint(const std::string& path, const VitConfig* expected = nullptr,
                                const std::string& entry = {});

} // namespace freesel
