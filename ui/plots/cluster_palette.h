// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>

#include <cmath>

namespace freesel {

/// The colour of a pseudo-label cluster, the same on thumbnails and in the ELFS plots.
/// Golden-angle hues keep neighbouring cluster ids far apart in colour for any K.
inline QColor clusterColour(int cluster) {
    const int hue = static_cast<int>(std::fmod(cluster * 137.508, 360.0));
    return QColor::fromHsv(hue, 200, 215);
}

} // namespace freesel
