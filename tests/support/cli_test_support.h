// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Helpers of the freesel process tests: run the binary, generate a pool, read outputs.

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryDir>
#include <QTimer>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <functional>

namespace clitest {

struct Run {
    int exitCode = -1;
    QProcess::ExitStatus exitStatus = QProcess::CrashExit;
    QString out;
    QString err;

    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

/// Runs freesel with an event loop spinning meanwhile (a test's HTTP server lives in it).
/// `childSetup` runs in the child between fork and exec (drop privileges, set limits).
inline Run
runFreesel(const QStringList& arguments,
           const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment(),
           const std::function<void()>& childSetup = {}) {
    QProcess process;
    process.setProcessEnvironment(environment);
    if (childSetup)
        process.setChildProcessModifier(childSetup);
    process.start(QStringLiteral(FREESEL_CLI_PATH), arguments);
    if (!process.waitForStarted())
        return {};
    QEventLoop loop;
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(120000, &loop, &QEventLoop::quit);
    if (process.state() != QProcess::NotRunning)
        loop.exec();
    return {process.exitCode(), process.exitStatus(),
            QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

/// One generated scene: coloured shapes on a gradient, distinct per index; `noise` adds
/// texture (slower to decode and describe, for tests that need a slow extraction).
inline cv::Mat sceneImage(int i, int width = 128, int height = 96, bool noise = false) {
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

inline QString writePool(const QTemporaryDir& dir, int count, int width = 128, int height = 96,
                         bool noise = false, const QString& name = QStringLiteral("pool")) {
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

/// Writes `bytes` to `path` (e.g. a file with an image extension that is no image).
inline bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

inline QStringList readLines(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return {};
    return QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

inline QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace clitest
