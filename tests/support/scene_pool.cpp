// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/scene_pool.h"

#include <QDir>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <vector>

namespace scenepool {

cv::Mat sceneImage(int i, int width, int height, bool noise) {
    cv::Mat image(height, width, CV_8UC3,
                  cv::Scalar(40 * (i % 6), 255 - 30 * (i % 8), 20 * (i % 11)));
    const double sx = width / 128.0, sy = height / 96.0;
    cv::circle(image, {int(sx * (20 + 7 * (i % 13))), int(sy * (30 + 3 * (i % 17)))},
               int(sx * (10 + i % 20)), cv::Scalar(255 - 9 * i % 256, 60 * (i % 4), 128),
               cv::FILLED);
    if (noise) {
        cv::Mat grain(height, width, CV_8UC3);
        cv::theRNG().state = uint64_t(1234 + i);
        cv::randu(grain, cv::Scalar::all(0), cv::Scalar::all(40));
        image += grain;
    }
    return image;
}

QString writePool(const QTemporaryDir& dir, int count, int width, int height, bool noise,
                  const QString& name) {
    const QString folder = dir.filePath(name);
    QDir().mkpath(folder);
    for (int i = 0; i < count; ++i)
        cv::imwrite(QStringLiteral("%1/img_%2.png")
                        .arg(folder)
                        .arg(i, 3, 10, QLatin1Char('0'))
                        .toStdString(),
                    sceneImage(i, width, height, noise));
    return folder;
}

QString writeCameraJpegs(const QString& folder, int first, int count, int width, int height) {
    const std::vector<int> quality = {cv::IMWRITE_JPEG_QUALITY, 90};
    for (int i = first; i < first + count; ++i) {
        const QString file =
            QDir(folder).filePath(QStringLiteral("img_%1.jpg").arg(i, 6, 10, QLatin1Char('0')));
        if (!cv::imwrite(file.toStdString(), sceneImage(i, width, height, true), quality))
            return file;
    }
    return {};
}

} // namespace scenepool
