// freesel-studio: the desktop app. Everything but main() lives in freesel_ui.
#include "main_window.h"
#include "version.h"

#include <QApplication>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FreeSel"));
    QApplication::setApplicationName(QStringLiteral("FreeSel Studio"));
    QApplication::setApplicationVersion(freesel::applicationVersion());
    freesel::MainWindow window;
    window.show();
    return QApplication::exec();
}
