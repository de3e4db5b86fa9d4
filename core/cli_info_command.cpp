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
    const QCommandLineOption store(QStringLiteral("store"),
                                   QStringLiteral("Describe this feature store instead."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption verify(QStringLiteral("verify"),
                                    QStringLiteral("With --store: check every record checksum."));
    parser.addOptions({json, store, verify});
    if (!parseCommandLine(parser, arguments,
                          QStringLiteral("Usage: freesel info [--store DIR [--verify]] [--json]")))
        return ExitOk;
    if (parser.isSet(store))
        return describeStore(parser.value(store), parser.isSet(json), parser.isSet(verify));
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
