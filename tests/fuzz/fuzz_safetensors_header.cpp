// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: the safetensors header parser, in memory. Every accepted entry must lie inside
// the data section and have exactly the bytes its shape and dtype need.

#include "fuzz_support.h"

#include "weights/safetensors_header.h"

using namespace freesel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const SafetensorsHeader header = parseSafetensorsHeader(fuzz::view(data, size));
        fuzz::check(header.dataOffset + header.dataBytes == size);
        for (const SafetensorsEntry& entry : header.tensors) {
            fuzz::check(entry.begin <= entry.end && entry.end <= header.dataBytes);
            uint64_t bytes = safetensorsElementSize(entry.dtype);
            for (const int64_t side : entry.shape) {
                fuzz::check(side >= 0);
                bytes *= uint64_t(side); // cannot wrap: the parser bounded the product
            }
            fuzz::check(bytes == entry.end - entry.begin);
        }
    } catch (const SafetensorsError&) {
        // A clear refusal is the expected outcome for most inputs.
    }
    return 0;
}
