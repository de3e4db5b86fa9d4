// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// One image with zoom and pan: fitted to the widget until the user zooms (wheel, +/-), then
// dragged with the mouse; fitToWindow() and actualSize() (100 %) reset it. Used by the image
// view and the full-size preview of the grid.

#include <QImage>
#include <QPointF>
#include <QWidget>

namespace freesel {

class ImageCanvas : public QWidget {
    Q_OBJECT
public:
    explicit ImageCanvas(QWidget* parent = nullptr);

    /// A new image fits the window again unless `keepView` (the same image redrawn).
    void setImage(const QImage& image, const QString& placeholder, bool keepView = false);
    const QImage& image() const { return image_; }

    bool isFitted() const { return fitted_; }
    /// Screen pixels per image pixel now (the fitted scale while fitted).
    double scale() const;
    QPointF offset() const { return offset_; }

    /// Zooms by `factor` keeping the image point under `anchor` (widget coordinates) still.
    void zoomBy(double factor, QPointF anchor);
    void fitToWindow();
    void actualSize(); ///< one image pixel per screen pixel, centred
    void panBy(QPointF delta);

Q_SIGNALS:
    void viewChanged(); ///< zoom or pan changed (the zoom label follows)

protected:
    void paintEvent(QPaintEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    double fittedScale() const;
    QPointF fittedOffset() const;
    void leaveFit(); ///< turns the fitted view into an explicit scale and offset

    QImage image_;
    QString placeholder_;
    bool fitted_ = true;
    double scale_ = 1.0;
    QPointF offset_; ///< widget position of the image's top-left corner
    QPointF dragFrom_;
    bool dragging_ = false;
};

} // namespace freesel
