// SPDX-License-Identifier: GPL-3.0-or-later
#include "image/demo_pool.h"

#include "util/random_stream.h"

#include <QDir>
#include <QStandardPaths>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace freesel {

namespace {

struct Scene {
    const char* name;
    cv::Scalar top, bottom; // background gradient, BGR
};

// A few kinds of background, as in a photo collection: the selection should spread over them
// and over the objects drawn on top.
const Scene kScenes[] = {
    {"beach", {235, 206, 135}, {140, 200, 230}}, {"meadow", {235, 200, 150}, {40, 150, 60}},
    {"lake", {230, 190, 160}, {140, 90, 30}},    {"night", {60, 20, 10}, {20, 20, 20}},
    {"indoor", {200, 210, 220}, {60, 90, 130}},  {"snow", {220, 220, 225}, {250, 250, 250}},
};

cv::Scalar randomColour(RandomStream& random) {
    return {double(random.uniformIndex(256)), double(random.uniformIndex(256)),
            double(random.uniformIndex(256))};
}

void drawBackground(cv::Mat& image, const Scene& scene) {
    for (int y = 0; y < image.rows; ++y) {
        const double t = double(y) / (image.rows - 1);
        image.row(y).setTo(scene.top * (1.0 - t) + scene.bottom * t);
    }
}

void drawObject(cv::Mat& image, RandomStream& random) {
    const cv::Point centre(int(random.uniformIndex(image.cols)),
                           int(random.uniformIndex(image.rows)));
    const int size = 15 + int(random.uniformIndex(60));
    const cv::Scalar colour = randomColour(random);
    switch (random.uniformIndex(4)) {
    case 0:
        cv::circle(image, centre, size, colour, cv::FILLED, cv::LINE_AA);
        break;
    case 1:
        cv::rectangle(image, centre - cv::Point(size, size / 2), centre + cv::Point(size, size / 2),
                      colour, cv::FILLED);
        break;
    case 2: {
        const std::vector<cv::Point> triangle = {centre + cv::Point(0, -size),
                                                 centre + cv::Point(size, size),
                                                 centre + cv::Point(-size, size)};
        cv::fillConvexPoly(image, triangle, colour, cv::LINE_AA);
        break;
    }
    default: // a striped object: texture the offline backend's SIFT part notices
        for (int k = -size; k < size; k += 6)
            cv::line(image, centre + cv::Point(k, -size), centre + cv::Point(k, size), colour, 3);
    }
}

} // namespace

QString writeDemoPool(const QString& folder, int count, unsigned seed) {
    if (!QDir().mkpath(folder))
        return QStringLiteral("cannot create the demo pool folder %1").arg(folder);
    RandomStream random(seed);
    for (int i = 0; i < count; ++i) {
        const Scene& scene = kScenes[random.uniformIndex(std::size(kScenes))];
        cv::Mat image(240, 320, CV_8UC3);
        drawBackground(image, scene);
        const int objects = int(random.uniformIndex(4)); // some scenes are empty
        for (int k = 0; k < objects; ++k)
            drawObject(image, random);
        const QString path = QStringLiteral("%1/%2_%3.jpg")
                                 .arg(folder, QString::fromLatin1(scene.name))
                                 .arg(i, 3, 10, QLatin1Char('0'));
        if (!cv::imwrite(QFile::encodeName(path).toStdString(), image))
            return QStringLiteral("cannot write %1").arg(path);
    }
    return {};
}

DemoFolders demoFolders(const QString& root) {
    if (!root.isEmpty())
        return {root};
    return {QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
            QStringLiteral("/freesel/demo")};
}

QString ensureDemoPool(const DemoFolders& folders) {
    const QDir pool(folders.pool());
    if (pool.exists() && !pool.isEmpty())
        return QString();
    return writeDemoPool(folders.pool());
}

} // namespace freesel
