// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/openmp_wait.h"

#include <cstdlib>
#include <unistd.h>

namespace freesel {

bool openMpWaitIsUnset() {
    return std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("GOMP_SPINCOUNT") == nullptr;
}

void adoptPreferredOpenMpWait(char** argv) {
    if (!openMpWaitIsUnset() || argv == nullptr || argv[0] == nullptr)
        return;
    // After this setenv the new image finds the policy set and does not exec again.
    if (setenv("OMP_WAIT_POLICY", kPreferredOpenMpWaitPolicy, 0) != 0)
        return;
    execv("/proc/self/exe", argv);
    // Only reached when the exec failed (no /proc): carry on with the default policy, which
    // this process's libgomp already chose.
}

} // namespace freesel
