// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <atomic>

namespace freesel {

/// Ctrl-C (SIGINT) and SIGTERM during a long command: the first one sets the returned flag,
/// which the pipeline session checks between batches (it then stops, everything extracted so
/// far stays in the store); a second one ends the process at once, as usual.
const std::atomic<bool>* catchInterrupts();

/// The exit code of a command stopped by an interrupt (128 + SIGINT, as shells expect).
constexpr int kExitInterrupted = 130;

} // namespace freesel
