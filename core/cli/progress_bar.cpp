// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/progress_bar.h"

#include <algorithm>
#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

namespace freesel {

namespace {
QString formatDuration(double seconds) {
    const auto total = static_cast<long long>(seconds + 0.5);
    return total >= 3600
               ? QStringLiteral("%1h%2m")
                     .arg(total / 3600)
                     .arg(total % 3600 / 60, 2, 10, QLatin1Char('0'))
               : QStringLiteral("%1:%2").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
}
} // namespace

ProgressBar::ProgressBar(QString label, bool resumable)
    : label_(std::move(label)), resumable_(resumable) {
    timer_.start();
}

ProgressBar::~ProgressBar() {
    finish();
}

bool ProgressBar::enabled() {
    return isatty(fileno(stderr)) != 0;
}

int ProgressBar::terminalColumns() {
    winsize size{};
    if (ioctl(fileno(stderr), TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    return 80;
}

void ProgressBar::update(qint64 done, qint64 total, const QString& detail) {
    if (baseline_ < 0) // the first report: what was done before this run (the store's part)
        baseline_ = resumable_ ? done : 0;
    if (!enabled())
        return;
    const qint64 now = timer_.elapsed();
    if (now - lastDrawMs_ < 100 && done < total) // redraw at most 10 times a second
        return;
    lastDrawMs_ = now;
    // The rate and ETA count only this run's work: images found in the store cost nothing.
    const double seconds = now / 1000.0;
    const qint64 fresh = done - baseline_;
    const double rate = seconds > 0 ? fresh / seconds : 0.0;
    const QString eta = (rate > 0 && total > done) ? formatDuration((total - done) / rate)
                                                   : QStringLiteral("--:--");
    QString counts = QStringLiteral("%1/%2").arg(done).arg(total);
    if (baseline_ > 0)
        counts += QStringLiteral(" (%1 from the store)").arg(baseline_);
    const QString speed =
        fresh > 0 ? QStringLiteral(" %1/s ETA %2").arg(rate, 0, 'f', 1).arg(eta) : QString();
    const QString extra = detail.isEmpty() ? QString() : QLatin1Char(' ') + detail;
    const QString label = QStringLiteral("%1 ").arg(label_, -12);
    // The bar takes what the terminal leaves, 10 to 30 cells; without room the speed goes.
    const int columns = terminalColumns() - 1;
    int width = std::clamp(columns - int(label.size() + counts.size() + speed.size()) - 4, 0, 30);
    const bool withSpeed = width >= 10 || speed.isEmpty();
    if (!withSpeed)
        width = std::clamp(columns - int(label.size() + counts.size()) - 4, 0, 30);
    const double fraction = total > 0 ? double(done) / double(total) : 0.0;
    const int filled = static_cast<int>(fraction * width);
    QString line = label;
    if (width >= 10)
        line += QStringLiteral("[%1%2] ").arg(QString(filled, QLatin1Char('#')),
                                              QString(width - filled, QLatin1Char('.')));
    line += counts + (withSpeed ? speed : QString()) + extra;
    line.truncate(columns);
    std::fputs(qPrintable(QStringLiteral("\r") + line + QStringLiteral("\x1b[K")), stderr);
    std::fflush(stderr);
    drawn_ = true;
}

void ProgressBar::finish() {
    if (drawn_) {
        std::fputs("\n", stderr);
        drawn_ = false;
    }
}

} // namespace freesel
