// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Generated image pools for the tests that need real files on disk: coloured shapes on a
// gradient, distinct per index, written as PNG.

#include <QString>
#include <QTemporaryDir>

#include <opencv2/core.hpp>

namespace scenepool {

/// One generated scene, distinct per index; `noise` adds texture (slower to decode and
/// describe, for tests that need a slow extraction).
cv::Mat sceneImage(int i, int width = 128, int height = 96, bool noise = false);

/// Writes `count` scenes as `<dir>/<name>/img_000.png`, ... and returns that folder.
QString writePool(const QTemporaryDir& dir, int count, int width = 128, int height = 96,
                  bool noise = false, const QString& name = QStringLiteral("pool"));

/// Writes scenes first .. first + count - 1 with texture as `<folder>/img_000000.jpg`, ...
/// (JPEG quality 90, as cameras write them): the generated pools of scripts/gpu-check and the
/// extraction benchmarks. Returns the first file that could not be written, else "".
QString writeCameraJpegs(const QString& folder, int first, int count, int width = 640,
                         int height = 480);

} // namespace scenepool
