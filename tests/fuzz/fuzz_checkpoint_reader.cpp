// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: the checkpoint reader (torch.save zip with our pickle reader, safetensors,
// TorchScript) through the same calls DinoVit makes. Every failure must be a CheckpointError:
// any other exception escaping (c10::Error, std::out_of_range, ...) is a bug, and libFuzzer
// reports it as a crash.

#include "fuzz_support.h"

#include "weights/checkpoint_reader.h"

#include <torch/torch.h>

using namespace freesel;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    torch::set_num_threads(1); // one input at a time; keeps the runs comparable
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path =
        fuzz::writeScratchFile(QStringLiteral("checkpoint"), fuzz::view(data, size)).toStdString();
    try {
        const VitCheckpoint checkpoint = loadVitCheckpoint(path);
        fuzz::check(!checkpoint.tensors.empty());
    } catch (const CheckpointError&) {
    }
    try {
        readTorchSaveTensors(path); // the reference-data reader, also fed files from outside
    } catch (const CheckpointError&) {
    }
    return 0;
}
