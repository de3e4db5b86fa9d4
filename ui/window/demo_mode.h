// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a newcomer sees first (scripts/demo with a display): the Studio on the embedded demo
// pool with the selection already run, rank 1 open with its patterns, the coverage plot up.

#include <QString>

namespace freesel {

class MainWindow;

/// Writes the demo pool if needed (into `root`, default the user cache as `freesel demo`),
/// sets the demo's parameters (offline backend, 12 images, defaults otherwise: the CLI demo's
/// selection), and starts the run; when it finishes, rank 1 is shown and the status bar says
/// which backend ran and how to get DINO. Returns "" or an error naming the folder.
QString startDemo(MainWindow& window, const QString& root = QString());

/// After each finished run, prints "RANK PATH" per pick on stdout, then quits the application
/// (tests and scripts read the Studio's selection this way).
void printSelectionAndQuit(MainWindow& window);

} // namespace freesel
