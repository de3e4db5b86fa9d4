// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/progress_bar.h"

#include <cstdio>
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

ProgressBar::ProgressBar(QString label) : label_(std::move(label)) {
    timer_.start();
}

ProgressBar::~ProgressBar() {
    finish();
}

bool ProgressBar::enabled() {
    return isatty(fileno(stderr)) != 0;
}

void ProgressBar::update(qint64 done, qint64 total, const QString& detail) {
    if (!enabled())
        return;
    const qint64 now = timer_.elapsed();
    if (now - lastDrawMs_ < 100 && done < total) // redraw at most 10 times a second
        return;
    lastDrawMs_ = now;
    const double fraction = total > 0 ? double(done) / double(total) : 0.0;
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    const double seconds = now / 1000.0;
    const double rate = seconds > 0 ? done / seconds : 0.0;
    const QString eta = (rate > 0 && total > done) ? formatDuration((total - done) / rate)
                                                   : QStringLiteral("--:--");
    const QString line = QStringLiteral("\r%1 [%2%3] %4/%5 %6/s ETA %7 %8")
                             .arg(label_, -12)
                             .arg(QString(filled, QLatin1Char('#')))
                             .arg(QString(width - filled, QLatin1Char('.')))
                             .arg(done)
                             .arg(total)
                             .arg(rate, 0, 'f', 1)
                             .arg(eta)
                             .arg(detail);
    std::fputs(qPrintable(line), stderr);
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
