// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The full-size preview of a grid image (double-click or Space): the file at its own
// resolution, decoded off the GUI thread, with zoom and pan (ImageCanvas). Space or Escape
// closes it.

#include <QDialog>

class QLabel;

namespace freesel {

class ImageCanvas;

class ImagePreview : public QDialog {
    Q_OBJECT
public:
    explicit ImagePreview(QWidget* parent = nullptr);

    /// Shows `path` (decoded in the background; imageLoaded follows).
    void showFile(const QString& path, const QString& caption);
    ImageCanvas* canvas() const { return canvas_; }

Q_SIGNALS:
    void imageLoaded();

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    ImageCanvas* canvas_;
    QLabel* caption_;
    int generation_ = 0;
};

} // namespace freesel
