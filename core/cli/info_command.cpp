// SPDX-License-Identifier: GPL-3.0-or-later
// freesel info: what this build is and what it would run on.
#include "cli/command.h"
#include "util/resource_locator.h"
#include "util/torch_info.h"
#include "util/version.h"
#include "weights/weight_cache.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

namespace freesel {

namespace {

/// Every data folder searched, in order, so a user sees where site-wide weights may go.
QJsonArray dataDirectories() {
    QJsonArray out;
    for (const DataDirectory& dir : ResourceLocator().candidates())
        out.append(QJsonObject{{QStringLiteral("path"), dir.path},
                               {QStringLiteral("origin"), dir.origin},
                               {QStringLiteral("exists"), QFileInfo(dir.path).isDir()}});
    return out;
}

/// One value per line for the text output: arrays continue on indented lines.
QStringList textLines(const QJsonValue& value) {
    if (!value.isArray())
        return {value.toVariant().toString()};
    QStringList lines;
    for (const QJsonValue& item : value.toArray()) {
        if (!item.isObject()) {
            lines << item.toString();
            continue;
        }
        const QJsonObject dir = item.toObject();
        lines << QStringLiteral("%1 (%2%3)")
                     .arg(dir.value(QStringLiteral("path")).toString(),
                          dir.value(QStringLiteral("origin")).toString(),
                          dir.value(QStringLiteral("exists")).toBool()
                              ? QString()
                              : QStringLiteral(", absent"));
    }
    return lines.isEmpty() ? QStringList{QStringLiteral("none")} : lines;
}

void printText(const QJsonObject& info) {
    for (auto it = info.begin(); it != info.end(); ++it) {
        const QStringList lines = textLines(it.value());
        printOut(QStringLiteral("%1 %2").arg(it.key() + QLatin1Char(':'), -13).arg(lines.first()));
        for (qsizetype i = 1; i < lines.size(); ++i)
            printOut(QString(14, QLatin1Char(' ')) + lines[i]);
    }
}

} // namespace

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
    const WeightCache cache;
    const QJsonObject info{
        {QStringLiteral("version"), applicationVersion()},
        {QStringLiteral("build"), buildDescription()},
        {QStringLiteral("libtorch"), libtorchVersion()},
        {QStringLiteral("cuda_available"), cudaAvailable()},
        {QStringLiteral("cuda_devices"), cudaAvailable() ? cudaDeviceCount() : 0},
        {QStringLiteral("cpu_threads"), QThread::idealThreadCount()},
        {QStringLiteral("model_cache"), cache.directory()},
        {QStringLiteral("site_weights"), QJsonArray::fromStringList(cache.siteDirectories())},
        {QStringLiteral("data_dirs"), dataDirectories()}};
    if (parser.isSet(json))
        printOut(QString::fromUtf8(QJsonDocument(info).toJson(QJsonDocument::Indented)));
    else
        printText(info);
    return ExitOk;
}

} // namespace freesel
