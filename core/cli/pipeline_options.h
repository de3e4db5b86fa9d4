// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What `freesel select`, `extract` and `patterns` share: their common options (declared and
// validated once, read into RunParameters) and how a PipelineSession shows on the terminal.

#include "cli/progress_bar.h"
#include "pipeline_session.h"

#include <memory>

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

    /// Reads and validates the values after parsing into `run`; throws UsageError (or
    /// std::invalid_argument) naming the parameter and its valid range. `command` names the
    /// subcommand in messages. `extraArguments`: positional arguments the command takes after
    /// POOL (declared by it).
    void read(const QString& command, int extraArguments = 0);

    RunParameters run; ///< what the session runs with (budget and strategy: select only)
    bool json = false;

private:
    QCommandLineParser& parser_;
    bool patternOptions_;
};

/// The --elfs-* options of the elfs strategy (select, compare), and reading them into `run`,
/// checked before any work (ranges by RunParameters::elfsParameters).
void addElfsOptions(QCommandLineParser& parser);
void readElfsOptions(const QCommandLineParser& parser, RunParameters& run);

/// --classes, --prompt-template and --clip-mode of the clip strategy (select, compare); the
/// command declares --labels itself (its help differs), readClipOptions reads all four.
void addClipOptions(QCommandLineParser& parser);
void readClipOptions(const QCommandLineParser& parser, RunParameters& run);

/// The value of --NAME as a number / whole number; UsageError naming it otherwise.
double numberOption(const QCommandLineParser& parser, const QString& name);
int integerOption(const QCommandLineParser& parser, const QString& name);

/// Opens an existing store read-only; UsageError naming the folder when there is none.
void openStoreForReading(FeatureStore& store, const QString& folder);

/// After Ctrl-C stopped a session: says how much of the pool is in the store and that the same
/// command resumes, and returns kExitInterrupted.
int reportInterrupted(const PipelineSession& session, const StageCancelled& stop,
                      const QString& storeDir);

/// How a command shows a session: scan warnings, the backend's note and device, a progress bar
/// per extraction and pattern stage, all on stderr.
class CliSessionOutput : public SessionObserver {
public:
    /// `backendLine`: print "backend: MODEL on DEVICE" when a backend is created.
    explicit CliSessionOutput(bool backendLine) : backendLine_(backendLine) {}
    void setBackendLine(bool on) { backendLine_ = on; }

    void stageStarted(const QString& stage) override;
    bool stageProgress(const QString& stage, int64_t done, int64_t total) override;
    void stageFinished(const QString& stage) override;
    void stageDetail(const QString& stage, const QString& detail) override;
    void notice(const QString& line) override;
    void poolScanned(const PipelineSession& session) override;
    void backendReady(const PipelineSession& session) override;

private:
    bool backendLine_;
    std::unique_ptr<ProgressBar> bar_;
    QString detail_;
};

} // namespace freesel
