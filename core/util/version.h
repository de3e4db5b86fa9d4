// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace freesel {

/// The application version, from the CMake project version.
QString applicationVersion();

/// One line describing the build: version, LibTorch, OpenCV, Eigen and Qt versions.
QString buildDescription();

} // namespace freesel
