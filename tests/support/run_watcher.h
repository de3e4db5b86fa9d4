// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Waits on a MainWindow's own signals for its runs to end. Header-only: only the GUI tests use
// it, and freesel_testsupport does not link the widgets.

#include "window/main_window.h"

#include <QDeadlineTimer>
#include <QSignalSpy>

namespace uitest {

/// Counts a window's runs from its signals. Made before a run starts, so a run that ends
/// quickly is counted, not missed.
class RunWatcher {
public:
    explicit RunWatcher(freesel::MainWindow& window)
        : ended_(&window, &freesel::MainWindow::runEnded),
          finished_(&window, &freesel::MainWindow::runFinished),
          cancelled_(&window, &freesel::MainWindow::runCancelled),
          errors_(&window, &freesel::MainWindow::errorShown) {}

    int finished() const { return int(finished_.count()); }
    int cancelled() const { return int(cancelled_.count()); }
    int ended() const { return int(ended_.count()); }

    /// Waits until `count` runs have finished since the watcher was made. False as soon as
    /// the window shows an error instead (the test fails at once, not after the timeout), or
    /// when `timeoutMs` passes. A run stopped for newer parameters ends without finishing; the
    /// wait goes on for the run that replaces it.
    bool waitForFinished(int count, int timeoutMs) {
        return waitUntil([this, count] { return finished() >= count; }, timeoutMs);
    }

    /// Waits until `count` runs have been cancelled since the watcher was made.
    bool waitForCancelled(int count, int timeoutMs) {
        return waitUntil([this, count] { return cancelled() >= count; }, timeoutMs);
    }

private:
    template <typename Done> bool waitUntil(Done done, int timeoutMs) {
        const QDeadlineTimer deadline(timeoutMs);
        // Every end of a run (finished, failed, cancelled) emits runEnded, so one spy wakes the
        // wait for all of them.
        while (!done()) {
            if (!errors_.isEmpty() || deadline.hasExpired())
                return false;
            ended_.wait(int(deadline.remainingTime()));
        }
        return true;
    }

    QSignalSpy ended_;
    QSignalSpy finished_;
    QSignalSpy cancelled_;
    QSignalSpy errors_;
};

} // namespace uitest
