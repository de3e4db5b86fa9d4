// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "util/error.h"

#include <QString>
#include <QStringList>
#include <functional>
#include <stdexcept>

class QCommandLineParser;

namespace freesel {

/// Exit codes of the freesel command line. A failure's code follows from its category, in
/// one place: exitCodeFor().
enum ExitCode { ExitOk = 0, ExitFailure = 1, ExitBadInput = 2 };

/// 2 for the user's input (fix the parameter or file and run again); 1 for the machine (disk
/// full, permission, network: nothing stored is lost, the next run resumes) and for our bugs.
int exitCodeFor(ErrorCategory category);

/// A mistake of the user's (bad parameter, missing file): exit code 2, message as is.
class UsageError : public Failure {
public:
    explicit UsageError(const QString& message) : Failure(ErrorCategory::UserInput, message) {}
};

/// One subcommand: `freesel <name> ...`. `run` gets the arguments after the name (with the
/// program name first, as QCommandLineParser expects) and returns the exit code; it throws
/// UsageError for the user's mistakes.
struct CliCommand {
    QString name;
    QString summary;
    std::function<int(const QStringList& arguments)> run;
};

const std::vector<CliCommand>& cliCommands();

/// Adds --name with its help; a value name makes it take a value, `defaultValue` is used when
/// absent.
void addOption(QCommandLineParser& parser, const QString& name, const QString& help,
               const QString& valueName = {}, const QString& defaultValue = {});

/// Parses `arguments` with `parser` (adds --help); prints help and returns false when asked.
/// Throws UsageError naming the unknown option or missing value.
bool parseCommandLine(QCommandLineParser& parser, const QStringList& arguments,
                      const QString& usage);

/// Output helpers: stdout for results, stderr for messages.
void printOut(const QString& text);
void printError(const QString& text);

int runSelectCommand(const QStringList& arguments);
int runCompareCommand(const QStringList& arguments);
int runSearchCommand(const QStringList& arguments);
int runDemoCommand(const QStringList& arguments);
int runModelsCommand(const QStringList& arguments);
int runInfoCommand(const QStringList& arguments);
int runExtractCommand(const QStringList& arguments);
int runMergeCommand(const QStringList& arguments);
int runPatternsCommand(const QStringList& arguments);
int runDuplicatesCommand(const QStringList& arguments);
int runExportCommand(const QStringList& arguments);

/// `freesel info --store DIR [--verify]`: the store's fingerprint, record counts and torn
/// bytes; with `verify` every checksum is checked (exit 2 when one does not match).
int describeStore(const QString& folder, bool json, bool verify);

} // namespace freesel
