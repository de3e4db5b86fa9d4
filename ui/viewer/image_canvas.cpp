// SPDX-License-Identifier: GPL-3.0-or-later
#include "viewer/image_canvas.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace freesel {

namespace {
constexpr double kMinScale = 0.02;
constexpr double kMaxScale = 32.0;
constexpr double kWheelStep = 1.25; // per notch (120 units)
} // namespace

ImageCanvas::ImageCanvas(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("imageCanvas"));
    setMinimumSize(240, 200);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setFocusPolicy(Qt::ClickFocus);
    setToolTip(tr("Wheel: zoom; drag: pan; double-click or F: fit; 1: 100 %"));
}

void ImageCanvas::setImage(const QImage& image, const QString& placeholder, bool keepView) {
    const bool sameSize = image.size() == image_.size();
    image_ = image;
    placeholder_ = placeholder;
    if (!keepView || !sameSize)
        fitted_ = true;
    update();
    Q_EMIT viewChanged();
}

double ImageCanvas::fittedScale() const {
    if (image_.isNull())
        return 1.0;
    return std::min(double(width()) / image_.width(), double(height()) / image_.height());
}

QPointF ImageCanvas::fittedOffset() const {
    const double s = fittedScale();
    return {(width() - image_.width() * s) / 2.0, (height() - image_.height() * s) / 2.0};
}

double ImageCanvas::scale() const {
    return fitted_ ? fittedScale() : scale_;
}

void ImageCanvas::leaveFit() {
    if (!fitted_)
        return;
    scale_ = fittedScale();
    offset_ = fittedOffset();
    fitted_ = false;
}

void ImageCanvas::zoomBy(double factor, QPointF anchor) {
    if (image_.isNull())
        return;
    leaveFit();
    const double next = std::clamp(scale_ * factor, kMinScale, kMaxScale);
    // The image point under the anchor stays under it: offset' = anchor - (anchor - offset) k.
    offset_ = anchor - (anchor - offset_) * (next / scale_);
    scale_ = next;
    update();
    Q_EMIT viewChanged();
}

void ImageCanvas::fitToWindow() {
    fitted_ = true;
    update();
    Q_EMIT viewChanged();
}

void ImageCanvas::actualSize() {
    if (image_.isNull())
        return;
    fitted_ = false;
    scale_ = 1.0;
    offset_ = {(width() - image_.width()) / 2.0, (height() - image_.height()) / 2.0};
    update();
    Q_EMIT viewChanged();
}

void ImageCanvas::panBy(QPointF delta) {
    if (image_.isNull())
        return;
    leaveFit();
    offset_ += delta;
    update();
    Q_EMIT viewChanged();
}

void ImageCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    if (image_.isNull()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
        return;
    }
    const double s = scale();
    const QPointF at = fitted_ ? fittedOffset() : offset_;
    // Smooth when shrinking; nearest pixels when zoomed in, so patches stay crisp.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, s < 1.0);
    painter.drawImage(QRectF(at, QSizeF(image_.width() * s, image_.height() * s)), image_);
}

void ImageCanvas::wheelEvent(QWheelEvent* event) {
    const double notches = event->angleDelta().y() / 120.0;
    if (notches == 0.0)
        return;
    zoomBy(std::pow(kWheelStep, notches), event->position());
    event->accept();
}

void ImageCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || image_.isNull())
        return;
    dragging_ = true;
    dragFrom_ = event->position();
    setCursor(Qt::ClosedHandCursor);
}

void ImageCanvas::mouseMoveEvent(QMouseEvent* event) {
    if (!dragging_)
        return;
    panBy(event->position() - dragFrom_);
    dragFrom_ = event->position();
}

void ImageCanvas::mouseReleaseEvent(QMouseEvent*) {
    dragging_ = false;
    unsetCursor();
}

void ImageCanvas::mouseDoubleClickEvent(QMouseEvent*) {
    fitted_ ? actualSize() : fitToWindow();
}

void ImageCanvas::keyPressEvent(QKeyEvent* event) {
    const QPointF centre(width() / 2.0, height() / 2.0);
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(kWheelStep, centre);
        break;
    case Qt::Key_Minus:
        zoomBy(1.0 / kWheelStep, centre);
        break;
    case Qt::Key_F:
    case Qt::Key_0:
        fitToWindow();
        break;
    case Qt::Key_1:
        actualSize();
        break;
    default:
        QWidget::keyPressEvent(event);
    }
}

} // namespace freesel
