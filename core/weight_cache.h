#pragma once

#include "model_manifest.h"

#include <QByteArray>
#include <QString>

#include <atomic>

namespace freesel {

/// The outcome of checking a weight file against the manifest.
struct WeightVerification {
    bool ok = false;
    QString error;     ///< names the file and what did not match
    qint64 size = -1;  ///< measured
    QByteArray sha256; ///< measured, lower-case hex; empty when not computed
};

/// Where model weights live on disk. Default: <generic cache>/freesel/models (on Linux
/// ~/.cache/freesel/models); the GUI and the CLI have different application names, and the
/// generic location lets them share one copy. $FREESEL_MODEL_DIR overrides it.
///
/// A file under its final name is always complete and verified: the downloader writes
/// "<file>.part" and renames it only after verification.
class WeightCache {
public:
    static constexpr const char* kEnvOverride = "FREESEL_MODEL_DIR";

    /// directory empty: defaultDirectory().
    explicit WeightCache(QString directory = {});

    /// $FREESEL_MODEL_DIR, else QStandardPaths::GenericCacheLocation + "/freesel/models".
    static QString defaultDirectory();

    QString directory() const { return directory_; }
    QString pathFor(const ModelInfo& model) const;
    QString partialPathFor(const ModelInfo& model) const; ///< pathFor + ".part"

    /// Creates the directory; false with *error naming it on failure.
    bool ensureDirectory(QString* error) const;

    /// The file exists under its final name and has the manifest size (when known). Cheap: no
    /// hashing, as the file was hashed before it was renamed into place.
    bool isCached(const ModelInfo& model) const;

    /// Full check of the cached file: existence, size, SHA-256 (the parts the manifest knows).
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
};

/// Lower-case hex SHA-256 of a file, streamed in 1 MiB blocks; empty (and *error set) on I/O
/// failure or cancellation.
QByteArray sha256OfFile(const QString& path, QString* error,
                        const std::atomic_bool* cancel = nullptr);

} // namespace freesel
