// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/command.h"

#include <QCommandLineParser>
#include <QTextStream>
#include <cstdio>

namespace freesel {

void addOption(QCommandLineParser& parser, const QString& name, const QString& help,
               const QString& valueName, const QString& defaultValue) {
    parser.addOption(QCommandLineOption(name, help, valueName, defaultValue));
}

const std::vector<CliCommand>& cliCommands() {
    static const std::vector<CliCommand> commands = {
        {QStringLiteral("extract"),
         QStringLiteral("run the backbone over a pool (or one --shard of it) into the store"),
         runExtractCommand},
        {QStringLiteral("merge"), QStringLiteral("join the stores of several extract shards"),
         runMergeCommand},
        {QStringLiteral("patterns"),
         QStringLiteral("compute and summarise the semantic patterns from the store"),
         runPatternsCommand},
        {QStringLiteral("duplicates"),
         QStringLiteral("find near-duplicate images from the stored features (keep one each)"),
         runDuplicatesCommand},
        {QStringLiteral("select"),
         QStringLiteral("select images from a pool (runs whatever stages are missing)"),
         runSelectCommand},
        {QStringLiteral("compare"),
         QStringLiteral("run several strategies, budgets and seeds on one pool into a report"),
         runCompareCommand},
        {QStringLiteral("search"),
         QStringLiteral("rank a pool by CLIP similarity to a text (runs CLIP where missing)"),
         runSearchCommand},
        {QStringLiteral("export"),
         QStringLiteral("write an earlier selection (its JSON) in another format"),
         runExportCommand},
        {QStringLiteral("demo"),
         QStringLiteral("select from the embedded default pool, offline, and show the result"),
         runDemoCommand},
        {QStringLiteral("models"),
         QStringLiteral("list, locate, verify or download the known model weights"),
         runModelsCommand},
        {QStringLiteral("info"),
         QStringLiteral("show the build, the weight cache, or a feature store (--store)"),
         runInfoCommand},
    };
    return commands;
}

int exitCodeFor(ErrorCategory category) {
    switch (category) {
    case ErrorCategory::UserInput:
        return ExitBadInput;
    case ErrorCategory::Environment:
    case ErrorCategory::Internal:
        break;
    }
    return ExitFailure;
}

bool parseCommandLine(QCommandLineParser& parser, const QStringList& arguments,
                      const QString& usage) {
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(arguments))
        throw UsageError(parser.errorText() + QStringLiteral(" (see --help)"));
    if (parser.isSet(help)) {
        printOut(usage + QLatin1Char('\n') + parser.helpText().section(QLatin1Char('\n'), 1));
        return false;
    }
    return true;
}

void printOut(const QString& text) {
    QTextStream(stdout) << text << '\n';
}

void printError(const QString& text) {
    QTextStream(stderr) << text << '\n';
}

} // namespace freesel
