// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace freesel {

/// freesel-studio's main(): parses the command line (--help and --version without a display),
/// builds the window, applies --open, --project, --budget, --demo ..., and runs the event loop.
/// Returns the exit code.
int runStudio(int argc, char** argv);

} // namespace freesel
