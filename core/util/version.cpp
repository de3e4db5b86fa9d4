// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/version.h"

#include <Eigen/Core>
#include <opencv2/core/version.hpp>

namespace freesel {

QString applicationVersion() {
    return QStringLiteral(FREESEL_VERSION);
}

QString buildDescription() {
    return QStringLiteral("FreeSel Studio %1 (Qt %2, OpenCV %3, Eigen %4.%5.%6)")
        .arg(applicationVersion(), QString::fromLatin1(qVersion()), QStringLiteral(CV_VERSION))
        .arg(EIGEN_WORLD_VERSION)
        .arg(EIGEN_MAJOR_VERSION)
        .arg(EIGEN_MINOR_VERSION);
}

} // namespace freesel
