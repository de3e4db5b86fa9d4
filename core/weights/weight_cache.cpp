// SPDX-License-Identifier: GPL-3.0-or-later
#include "weights/weight_cache.h"

#include "util/resource_locator.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <utility>

namespace freesel {

namespace {

bool hasManifestSize(const QFileInfo& info, const ModelInfo& model) {
    return info.isFile() && (!model.hasSize() || info.size() == model.size);
}

} // namespace

WeightCache::WeightCache(QString directory)
    : WeightCache(std::move(directory), defaultSiteDirectories()) {}

WeightCache::WeightCache(QString directory, QStringList siteDirectories)
    : directory_(std::move(directory)), siteDirectories_(std::move(siteDirectories)) {
    if (directory_.isEmpty())
        directory_ = defaultDirectory();
    directory_ = QDir::cleanPath(directory_);
}

QString WeightCache::defaultDirectory() {
    const QString fromEnv = qEnvironmentVariable(kEnvOverride);
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
           QStringLiteral("/freesel/models");
}

QStringList WeightCache::defaultSiteDirectories() {
    QStringList out;
    for (const QString& path : ResourceLocator().findAll(QLatin1String(kSiteSubfolder)))
        if (QFileInfo(path).isDir())
            out << path;
    return out;
}

QString WeightCache::pathFor(const ModelInfo& model) const {
    return directory_ + QLatin1Char('/') + model.fileName;
}

QString WeightCache::partialPathFor(const ModelInfo& model) const {
    return pathFor(model) + QStringLiteral(".part");
}

QString WeightCache::locate(const ModelInfo& model) const {
    for (const QString& site : siteDirectories_) {
        const QString path = site + QLatin1Char('/') + model.fileName;
        if (hasManifestSize(QFileInfo(path), model))
            return path;
    }
    return pathFor(model);
}

Status WeightCache::ensureDirectory() const {
    if (QDir().mkpath(directory_))
        return {};
    return Error::userInput(QStringLiteral("%1: cannot create the model cache directory (set %2 "
                                           "to another folder)")
                                .arg(directory_, QLatin1String(kEnvOverride)));
}

bool WeightCache::isCached(const ModelInfo& model) const {
    return hasManifestSize(QFileInfo(locate(model)), model);
}

WeightVerification WeightCache::verifyCached(const ModelInfo& model) const {
    return verifyFile(locate(model), model.size, model.sha256);
}

WeightVerification WeightCache::verifyFile(const QString& path, qint64 expectedSize,
                                           const QByteArray& expectedSha256, bool computeHash,
                                           const std::atomic_bool* cancel) {
    WeightVerification result;
    const QFileInfo info(path);
    if (!info.isFile()) {
        result.status = Error::userInput(QStringLiteral("%1: weight file not found").arg(path));
        return result;
    }
    result.size = info.size();
    if (expectedSize >= 0 && result.size != expectedSize) {
        result.status = Error::userInput(QStringLiteral("%1: size is %2 bytes, expected %3 bytes")
                                             .arg(path)
                                             .arg(result.size)
                                             .arg(expectedSize));
        return result;
    }
    if (expectedSha256.isEmpty() && !computeHash) {
        result.status = {};
        return result;
    }
    const Result<QByteArray> hash = sha256OfFile(path, cancel);
    if (!hash) {
        result.status = hash.status();
        return result;
    }
    result.sha256 = hash.value();
    if (!expectedSha256.isEmpty() && result.sha256 != expectedSha256.toLower()) {
        result.status = Error::userInput(
            QStringLiteral("%1: SHA-256 is %2, expected %3 (corrupt or different file)")
                .arg(path, QString::fromLatin1(result.sha256),
                     QString::fromLatin1(expectedSha256.toLower())));
        return result;
    }
    result.status = {};
    return result;
}

QString WeightCache::offlineHelp(const ModelInfo& model) const {
    return QStringLiteral("Download %1 on a machine with network access and either pass it with "
                          "--weights FILE, or copy it to %2 (set %3 to use another folder), or, "
                          "for every user of this machine, to the %4/ folder of a data folder "
                          "that 'freesel info' lists.")
        .arg(model.url.toString(), pathFor(model), QLatin1String(kEnvOverride),
             QLatin1String(kSiteSubfolder));
}

Result<QByteArray> sha256OfFile(const QString& path, const std::atomic_bool* cancel) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error::userInput(
            QStringLiteral("%1: cannot open: %2").arg(path, file.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    // Block-wise rather than addData(QIODevice*) so cancellation is checked between blocks.
    constexpr qint64 kBlock = qint64(1) << 20;
    while (!file.atEnd()) {
        if (cancel && cancel->load())
            return Error::userInput(QStringLiteral("%1: verification cancelled").arg(path));
        const QByteArray block = file.read(kBlock);
        if (block.isEmpty() && file.error() != QFileDevice::NoError)
            return Error::environment(
                QStringLiteral("%1: read error: %2").arg(path, file.errorString()));
        hash.addData(block);
    }
    return QByteArray(hash.result().toHex());
}

} // namespace freesel
