// freesel info: what this build is and what it would run on.
#include "cli_command.h"
#include "version.h"
#include "weight_cache.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

namespace freesel {

int runInfoCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    const QCommandLineOption json(QStringLiteral("json"),
                                  QStringLiteral("Machine-readable output."));
    parser.addOption(json);
    if (!parseCommandLine(parser, arguments, QStringLiteral("Usage: freesel info [--json]")))
        return ExitOk;
    const QJsonObject info{{QStringLiteral("version"), applicationVersion()},
                           {QStringLiteral("build"), buildDescription()},
                           {QStringLiteral("cpu_threads"), QThread::idealThreadCount()},
                           {QStringLiteral("model_cache"), WeightCache().directory()}};
    if (parser.isSet(json)) {
        printOut(QString::fromUtf8(QJsonDocument(info).toJson(QJsonDocument::Indented)));
        return ExitOk;
    }
    for (auto it = info.begin(); it != info.end(); ++it)
        printOut(QStringLiteral("%1 %2")
                     .arg(it.key() + QLatin1Char(':'), -13)
                     .arg(it.value().toVariant().toString()));
    return ExitOk;
}

} // namespace freesel
