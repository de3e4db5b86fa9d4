// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: our pickle reader (data.pkl of a torch.save archive), in memory. Malformed input
// must end in std::runtime_error, never in a crash, a hang or unbounded memory.

#include "fuzz_support.h"

#include "weights/pickle_reader.h"

#include <stdexcept>

using namespace freesel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const PickleValue root = parsePickle(reinterpret_cast<const char*>(data), size);
        if (root.isDict())
            root.find("teacher");
    } catch (const std::runtime_error&) {
    }
    return 0;
}
