#include "cli_app.h"

#include "version.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

namespace freesel {

int runCommandLine(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("freesel"));
    QCoreApplication::setApplicationVersion(applicationVersion());
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Select the images of an unlabeled pool most worth annotating (FreeSel)."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.process(app);
    QTextStream(stdout) << buildDescription() << '\n';
    return 0;
}

} // namespace freesel
