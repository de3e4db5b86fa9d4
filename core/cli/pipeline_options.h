#pragma once

// What `freesel select`, `extract` and `patterns` share: their common options (declared and
// validated once) and the stage runners with their progress bars.

#include "backend_factory.h"
#include "pipeline.h"

#include <QString>

class QCommandLineParser;

namespace freesel {

/// The pool, backend and store options every pipeline command takes, plus (when asked) the
/// pattern options. Declare on a parser with the constructor, parse, then call read().
class PipelineOptions {
public:
    /// Adds POOL, --image-root, --backend, --model, --weights, --device, --input-size,
    /// --batch-size, --threads, --store and --json to `parser`; with `patternOptions` also
    /// --tau, --K, --eps and --seed.
    PipelineOptions(QCommandLineParser& parser, bool patternOptions);

    /// Reads and validates the values after parsing; throws UsageError (or
    /// std::invalid_argument) naming the parameter and its valid range. `command` names the
    /// subcommand in messages.
    void read(const QString& command);

    QString pool;
    QString imageRoot;
    QString storeDir; ///< as given; empty: the default store of the pool and backend
    BackendChoice backend;
    int inputSize = 224;
    bool json = false;
    PatternParameters patterns;
    quint64 seed = 0;

private:
    QCommandLineParser& parser_;
    bool patternOptions_;
};

/// The value of --NAME as a number / whole number; UsageError naming it otherwise.
double numberOption(const QCommandLineParser& parser, const QString& name);
int integerOption(const QCommandLineParser& parser, const QString& name);

/// scanPool with the warnings printed; UsageError when the pool is unreadable or empty.
PoolScan scanPoolOrThrow(const QString& pool, const QString& imageRoot);

/// createBackend, its note printed, --input-size checked against the patch size.
BackendSelection prepareBackend(const PipelineOptions& options);

/// The store folder: --store, or <cache>/freesel/stores/<backend>-<hash of pool, backend and
/// input size>.
QString storeDirFor(const PipelineOptions& options, const FeatureBackend& backend);

/// The resize every extraction of these options uses.
ResizeSpec resizeFor(const PipelineOptions& options);

/// Opens (creating) the store for `backend`; UsageError with the store's reason (a different
/// fingerprint names both) otherwise.
void openStoreForWriting(FeatureStore& store, const QString& folder, const FeatureBackend& backend,
                         const PipelineOptions& options);

/// Opens an existing store read-only; UsageError naming the folder when there is none.
void openStoreForReading(FeatureStore& store, const QString& folder);

/// extractFeatures with a progress bar.
ExtractionReport runExtraction(const std::vector<PoolEntry>& pool, FeatureBackend& backend,
                               FeatureStore& store, const PipelineOptions& options,
                               const Shard& shard = {});

/// computePatterns with a progress bar.
PoolPatterns runPatterns(const FeatureStore& store, const std::vector<int>& records,
                         const PipelineOptions& options);

} // namespace freesel
