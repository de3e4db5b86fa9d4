// SPDX-License-Identifier: GPL-3.0-or-later
// freesel-studio: the desktop app. Everything but main() lives in freesel_ui.
#include "backbone/openmp_wait.h"
#include "util/heap_tuning.h"
#include "window/studio_launcher.h"

int main(int argc, char** argv) {
    freesel::adoptPreferredOpenMpWait(argv); // before anything: may re-exec (openmp_wait.h)
    freesel::keepLargeBuffersInHeap();       // per-image buffers reuse heap memory (heap_tuning.h)
    return freesel::runStudio(argc, argv);
}
