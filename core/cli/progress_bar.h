// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QElapsedTimer>
#include <QString>

namespace freesel {

/// A one-line progress bar with rate and ETA on stderr when it is a terminal; silent
/// otherwise (logs and pipes stay clean).
class ProgressBar {
public:
    explicit ProgressBar(QString label);
    ~ProgressBar();
    /// `detail` (e.g. a training loss) is printed after the ETA.
    void update(qint64 done, qint64 total, const QString& detail = {});
    void finish();
    static bool enabled();

private:
    QString label_;
    QElapsedTimer timer_;
    qint64 lastDrawMs_ = -1000;
    bool drawn_ = false;
};

} // namespace freesel
