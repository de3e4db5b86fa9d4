// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Reading OpenAI CLIP weights (torch-level; include only from backbone .cpp files and tests):
//  - the official TorchScript archives (ViT-B-32.pt, ...; float16), read with our pickle reader
//    like TorchScript DINO, never torch::jit::load;
//  - open_clip-style state dicts (.bin / .pt torch zip, .safetensors): the same names, maybe
//    behind 'module.' or a 'state_dict' entry, text_projection maybe a Linear (transposed).
// Every failure is a CheckpointError naming the file.

#include "backbone/clip_model.h"
#include "weights/checkpoint_reader.h"

#include <string>
#include <vector>

namespace freesel {

/// The checkpoint's tensors under the official names: the prefix in front of
/// "visual.conv1.weight" stripped, "text_projection.weight" (E x W) transposed to
/// "text_projection", the non-weights (attn_mask, input_resolution, context_length,
/// vocab_size) left out and listed in `ignored`.
TensorMap normaliseClipTensors(TensorMap tensors, const std::string& source,
                               std::vector<std::string>* ignored = nullptr);

/// The architecture the shapes describe, as openai/CLIP's build_model reads it: vision width
/// and patch from conv1, layers from the resblocks count, grid from the position table,
/// 64-wide heads, text width from ln_final, context and vocabulary from their tables.
ClipConfig inferClipConfig(const TensorMap& tensors, const std::string& source);

/// Every expected tensor present with its shape, nothing unexpected; the message lists the
/// problems ("missing tensor 'X'", "wrong shape for 'X': got [..], expected [..]",
/// "unexpected tensor 'X'").
void validateClipTensors(const TensorMap& tensors, const ClipConfig& config,
                         const std::string& source);

/// True when the file holds CLIP weights (a 'visual.conv1.weight' tensor): lets a caller tell
/// a CLIP checkpoint from a DINO one before loading it. Unreadable files give false.
bool isClipCheckpoint(const std::string& path);

/// Reads, normalises, infers, validates; tensors as float32 on the CPU.
ClipWeights loadClipCheckpoint(const std::string& path, CheckpointLayout* layout = nullptr);

} // namespace freesel
