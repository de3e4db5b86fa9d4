#include "main_window.h"

#include "version.h"

#include <QLabel>
#include <QStatusBar>

namespace freesel {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(QStringLiteral("FreeSel Studio"));
    auto* label = new QLabel(buildDescription(), this);
    label->setAlignment(Qt::AlignCenter);
    setCentralWidget(label);
    statusBar()->showMessage(tr("Ready"));
    resize(1280, 800);
}

} // namespace freesel
