// SPDX-License-Identifier: GPL-3.0-or-later
// freesel-studio: the desktop app. Everything but main() lives in freesel_ui.
#include "window/studio_launcher.h"

int main(int argc, char** argv) {
    return freesel::runStudio(argc, argv);
}
