// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/cli_app.h"

#include "cli/command.h"
#include "store/feature_store.h"
#include "util/version.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>
#include <exception>

namespace freesel {

namespace {

QString overview() {
    QString text = QStringLiteral(
        "Usage: freesel <command> [options]\n\n"
        "Select the images of an unlabeled pool most worth annotating (FreeSel, NeurIPS 2023)\n"
        "in one pass of a self-supervised ViT, no training, no labels.\n\nCommands:\n");
    for (const CliCommand& command : cliCommands())
        text += QStringLiteral("  %1 %2\n").arg(command.name, -10).arg(command.summary);
    text += QStringLiteral("\n'freesel <command> --help' describes a command's options.\n"
                           "Exit codes: 0 success, 2 bad input or parameters, 1 a failure of the "
                           "machine (disk full, network) or an internal error.");
    return text;
}

int dispatch(const QStringList& arguments) {
    if (arguments.size() < 2 || arguments[1] == QLatin1String("--help") ||
        arguments[1] == QLatin1String("-h") || arguments[1] == QLatin1String("help")) {
        printOut(overview());
        return arguments.size() < 2 ? ExitBadInput : ExitOk;
    }
    if (arguments[1] == QLatin1String("--version") || arguments[1] == QLatin1String("-v")) {
        printOut(QStringLiteral("freesel ") + applicationVersion());
        return ExitOk;
    }
    for (const CliCommand& command : cliCommands()) {
        if (command.name == arguments[1]) {
            QStringList rest = arguments.mid(2);
            rest.prepend(QStringLiteral("freesel ") + command.name);
            return command.run(rest);
        }
    }
    throw UsageError(QStringLiteral("unknown command '%1' (see freesel --help)").arg(arguments[1]));
}

} // namespace

int runCommandLine(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("freesel"));
    QCoreApplication::setApplicationVersion(applicationVersion());
    try {
        return dispatch(QCoreApplication::arguments());
    } catch (const std::exception& exception) {
        const Error error = errorFromException(exception);
        // Only our own bugs are labelled: the user and the machine get the message as is.
        printError(error.category == ErrorCategory::Internal
                       ? QStringLiteral("freesel: internal error: ") + error.message
                       : QStringLiteral("freesel: ") + error.message);
        return exitCodeFor(error.category);
    }
}

} // namespace freesel
