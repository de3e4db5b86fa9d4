// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"
#include "weights/model_manifest.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>

namespace freesel {

/// The outcome of checking a weight file against the manifest.
struct WeightVerification {
    Status status = Error::internal(QStringLiteral("not verified")); ///< names file and mismatch
    bool ok() const { return status.ok(); }
    QString error() const { return status.message(); }
    qint64 size = -1;  ///< measured
    QByteArray sha256; ///< measured, lower-case hex; empty when not computed
};

/// Where model weights live on disk. Default: <generic cache>/freesel/models (on Linux
/// ~/.cache/freesel/models); the GUI and the CLI have different application names, and the
/// generic location lets them share one copy. $FREESEL_MODEL_DIR overrides it.
///
/// A file under its final name is always complete and verified: the downloader writes
/// "<file>.part" and renames it only after verification.
///
/// Before the per-user cache, read-only site folders are searched: "weights" in every data
/// folder of ResourceLocator (e.g. /usr/local/share/freesel-studio/weights), where an
/// administrator pre-installs checkpoints for all users of a machine without internet.
class WeightCache {
public:
    static constexpr const char* kEnvOverride = "FREESEL_MODEL_DIR";
    static constexpr const char* kSiteSubfolder = "weights";

    /// directory empty: defaultDirectory(). Site folders: defaultSiteDirectories().
    explicit WeightCache(QString directory = {});
    WeightCache(QString directory, QStringList siteDirectories);

    /// $FREESEL_MODEL_DIR, else QStandardPaths::GenericCacheLocation + "/freesel/models".
    static QString defaultDirectory();
    /// The existing "weights" folders of ResourceLocator's data folders, in search order.
    static QStringList defaultSiteDirectories();

    QString directory() const { return directory_; }
    QStringList siteDirectories() const { return siteDirectories_; }
    /// Where the cache keeps (or will download) the model's file.
    QString pathFor(const ModelInfo& model) const;
    QString partialPathFor(const ModelInfo& model) const; ///< pathFor + ".part"
    /// The file to load: the first site copy with the manifest size (when known), else pathFor.
    QString locate(const ModelInfo& model) const;

    /// Creates the directory; the error names it and the variable that moves it.
    Status ensureDirectory() const;

    /// locate() names a file with the manifest size (when known), in a site folder or the cache.
    /// Cheap: no hashing, as cached files were hashed before they were renamed into place.
    bool isCached(const ModelInfo& model) const;

    /// Full check of the located file: existence, size, SHA-256 (the parts the manifest knows).
    WeightVerification verifyCached(const ModelInfo& model) const;

    /// Checks any file against an expected size (-1: unknown) and hex SHA-256 (empty: unknown).
    /// The hash is computed only when expected, or always if computeHash. `cancel` may abort it.
    static WeightVerification verifyFile(const QString& path, qint64 expectedSize,
                                         const QByteArray& expectedSha256, bool computeHash = false,
                                         const std::atomic_bool* cancel = nullptr);

    /// Message for an offline machine: where to get the file and how to hand it to the app.
    QString offlineHelp(const ModelInfo& model) const;

private:
    QString directory_;
    QStringList siteDirectories_;
};

/// Lower-case hex SHA-256 of a file, streamed in 1 MiB blocks; the error on I/O failure or
/// cancellation.
Result<QByteArray> sha256OfFile(const QString& path, const std::atomic_bool* cancel = nullptr);

} // namespace freesel
