// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QElapsedTimer>
#include <QString>

namespace freesel {

/// A one-line progress bar with rate and ETA on stderr when it is a terminal; silent
/// otherwise (logs and pipes stay clean). It fits the terminal's width; what the first update
/// reports as done is counted "from the store", not in the rate.
class ProgressBar {
public:
    explicit ProgressBar(QString label);
    ~ProgressBar();
    void update(qint64 done, qint64 total);
    void finish();
    static bool enabled();
    /// The width of the terminal on stderr (80 when unknown).
    static int terminalColumns();

private:
    QString label_;
    QElapsedTimer timer_;
    qint64 lastDrawMs_ = -1000;
    bool drawn_ = false;
    qint64 baseline_ = -1; ///< `done` at the first update: work a resumed run found done
};

} // namespace freesel
