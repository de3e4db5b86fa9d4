// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace freesel {

/// Runs the freesel command line (subcommands, options, exit codes). Returns the exit code:
/// 0 success, 2 bad input or parameters, 1 internal failure.
int runCommandLine(int argc, char** argv);

} // namespace freesel
