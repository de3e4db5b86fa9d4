// SPDX-License-Identifier: GPL-3.0-or-later
#include "viewer/image_preview.h"

#include "viewer/image_canvas.h"

#include <QGuiApplication>
#include <QImageReader>
#include <QKeyEvent>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QScreen>
#include <QThreadPool>
#include <QVBoxLayout>

namespace freesel {

ImagePreview::ImagePreview(QWidget* parent)
    : QDialog(parent), canvas_(new ImageCanvas(this)), caption_(new QLabel(this)) {
    setObjectName(QStringLiteral("imagePreview"));
    setWindowTitle(tr("Preview"));
    caption_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* fit = new QPushButton(tr("&Fit"), this);
    auto* actual = new QPushButton(tr("&100%"), this);
    connect(fit, &QPushButton::clicked, canvas_, &ImageCanvas::fitToWindow);
    connect(actual, &QPushButton::clicked, canvas_, &ImageCanvas::actualSize);
    auto* bar = new QHBoxLayout;
    bar->addWidget(caption_, 1);
    bar->addWidget(fit);
    bar->addWidget(actual);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(canvas_, 1);
    // Most of the screen, never more than it.
    const QRect screen = QGuiApplication::primaryScreen()
                             ? QGuiApplication::primaryScreen()->availableGeometry()
                             : QRect(0, 0, 1280, 800);
    resize(screen.width() * 4 / 5, screen.height() * 4 / 5);
}

void ImagePreview::showFile(const QString& path, const QString& caption) {
    caption_->setText(caption);
    canvas_->setImage({}, tr("Loading %1...").arg(path));
    const int generation = ++generation_;
    QPointer<ImagePreview> self(this);
    QThreadPool::globalInstance()->start([self, path, generation] {
        QImageReader reader(path);
        reader.setAutoTransform(true);
        const QImage image = reader.read();
        const QString error = image.isNull() ? reader.errorString() : QString();
        QMetaObject::invokeMethod(
            qApp,
            [self, image, error, path, generation] {
                if (!self || generation != self->generation_)
                    return;
                self->canvas_->setImage(image, tr("Cannot read %1: %2").arg(path, error));
                Q_EMIT self->imageLoaded();
            },
            Qt::QueuedConnection);
    });
}

void ImagePreview::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space) {
        close();
        return;
    }
    QDialog::keyPressEvent(event);
}

} // namespace freesel
