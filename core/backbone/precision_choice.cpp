// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/precision_choice.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace freesel {

std::vector<std::string> cpuFlags() {
    // /proc/cpuinfo rather than cpuid: it also says what the kernel enabled (AMX needs the
    // kernel's consent to its tile state), and it is what a user can check by hand.
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("flags", 0) != 0)
            continue;
        const size_t colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::istringstream words(line.substr(colon + 1));
        std::vector<std::string> flags;
        for (std::string flag; words >> flag;)
            flags.push_back(flag);
        return flags; // every core lists the same flags
    }
    return {};
}

bool hasNativeBfloat16(const std::vector<std::string>& flags) {
    return std::any_of(flags.begin(), flags.end(), [](const std::string& flag) {
        return flag == "avx512_bf16" || flag == "amx_bf16";
    });
}

VitPrecision resolvePrecision(VitPrecision requested, bool cuda,
                              const std::vector<std::string>& flags) {
    if (requested != VitPrecision::Auto)
        return requested;
    return !cuda && hasNativeBfloat16(flags) ? VitPrecision::BFloat16 : VitPrecision::Float32;
}

} // namespace freesel
