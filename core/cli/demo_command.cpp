// SPDX-License-Identifier: GPL-3.0-or-later
// freesel demo: the main job on the embedded default pool, offline: writes the pool, selects
// from it with the offline backend and shows the ranked selection.
#include "cli/command.h"
#include "image/demo_pool.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QTextStream>

namespace freesel {

int runDemoCommand(const QStringList& arguments) {
    QCommandLineParser parser;
    const QCommandLineOption folder(QStringLiteral("folder"),
                                    QStringLiteral("Where to write the demo pool and results."),
                                    QStringLiteral("DIR"));
    const QCommandLineOption budget(QStringLiteral("budget"), QStringLiteral("Images to select."),
                                    QStringLiteral("N"), QString::number(kDemoBudget));
    parser.addOptions({folder, budget});
    if (!parseCommandLine(parser, arguments,
                          QStringLiteral("Usage: freesel demo [--folder DIR] [--budget N]\n"
                                         "Selects from a generated pool of 120 scenes, offline.")))
        return ExitOk;
    const DemoFolders demo = demoFolders(parser.value(folder));
    const QString root = demo.root;
    const QString pool = demo.pool();
    const QString error = ensureDemoPool(demo);
    if (!error.isEmpty())
        throw UsageError(error);
    printError(QStringLiteral("demo pool: %1 (120 generated scenes)").arg(pool));
    const QString out = root + QStringLiteral("/selection.csv");
    const int code = runSelectCommand(
        {QStringLiteral("freesel select"), pool, QStringLiteral("--budget"), parser.value(budget),
         QStringLiteral("--backend"), QStringLiteral("offline"), QStringLiteral("--format"),
         QStringLiteral("csv"), QStringLiteral("--out"), out, QStringLiteral("--store"),
         demo.store()});
    if (code != ExitOk)
        return code;
    QFile csv(out);
    if (!csv.open(QIODevice::ReadOnly | QIODevice::Text))
        throw UsageError(QStringLiteral("cannot read %1").arg(out));
    printOut(QStringLiteral("rank  score   patterns  image"));
    QTextStream lines(&csv);
    lines.readLine(); // header: path,rank,score,n_patterns,selected,status,error
    while (!lines.atEnd()) {
        const QStringList cells = lines.readLine().split(QLatin1Char(','));
        if (cells.value(4) != QLatin1String("1"))
            break; // selected rows come first, in rank order
        printOut(
            QStringLiteral("%1  %2  %3  %4")
                .arg(cells.value(1), 4)
                .arg(cells.value(2).isEmpty() ? QStringLiteral("first") : cells.value(2).left(6), 6)
                .arg(cells.value(3), 8)
                .arg(QDir(pool).relativeFilePath(cells.value(0))));
    }
    printOut(QStringLiteral("full table: %1").arg(out));
    printError(QStringLiteral("note: these picks come from the offline backend (classical "
                              "features), which can be no better than random on semantic "
                              "content; for DINO: freesel models download dino_vits16"));
    return ExitOk;
}

} // namespace freesel
