// SPDX-License-Identifier: GPL-3.0-or-later
// freesel: the headless command-line tool. All commands live in freesel_core (cli_app.h).
#include "cli/cli_app.h"
#include "util/heap_tuning.h"

int main(int argc, char** argv) {
    freesel::keepLargeBuffersInHeap(); // per-image buffers reuse heap memory (heap_tuning.h)
    return freesel::runCommandLine(argc, argv);
}
