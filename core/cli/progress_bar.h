// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QElapsedTimer>
#include <QString>

namespace freesel {

/// A one-line progress bar with rate and ETA on stderr when it is a terminal; silent
/// otherwise (logs and pipes stay clean). It fits the terminal's width.
class ProgressBar {
public:
    /// `resumable`: the first update reports work an earlier run already did (images found in
    /// the store), shown apart and left out of the rate.
    explicit ProgressBar(QString label, bool resumable = false);
    ~ProgressBar();
    /// `detail` (e.g. a training loss) is printed after the ETA.
    void update(qint64 done, qint64 total, const QString& detail = {});
    void finish();
    static bool enabled();
    /// The width of the terminal on stderr (80 when unknown).
    static int terminalColumns();

private:
    QString label_;
    QElapsedTimer timer_;
    qint64 lastDrawMs_ = -1000;
    bool drawn_ = false;
    bool resumable_;
    qint64 baseline_ = -1; ///< `done` at the first update of a resumable bar, else 0
};

} // namespace freesel
