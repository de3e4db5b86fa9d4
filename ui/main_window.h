#pragma once

#include <QMainWindow>

namespace freesel {

/// The FreeSel Studio main window.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
};

} // namespace freesel
