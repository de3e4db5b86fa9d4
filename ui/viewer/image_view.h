// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The teaching view: the chosen image with its overlays (heatmap, tau mask, clusters), an
// opacity slider and the pattern legend. Follows tau, K and eps live from the store.

#include "viewer/overlay_renderer.h"
#include "worker/image_detail_loader.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QSlider;

namespace freesel {

class ImageCanvas;

class ImageView : public QWidget {
    Q_OBJECT
public:
    explicit ImageView(QWidget* parent = nullptr);

    void setContext(const DetailContext& context);
    /// Shows a pool image (-1 clears), with the given rank (0: not selected).
    void showImage(int poolIndex, const QString& path, int rank);
    void setPatternParameters(const PatternParameters& parameters);
    void setOverlayOptions(const OverlayOptions& options);

    int poolIndex() const { return poolIndex_; }
    const ImageDetail& detail() const { return detail_; }
    const OverlayOptions& overlayOptions() const { return options_; }
    QImage composedImage() const { return composed_; }
    QCheckBox* heatmapToggle() const { return heatmap_; }
    QCheckBox* maskToggle() const { return mask_; }
    QCheckBox* clustersToggle() const { return clusters_; }
    QSlider* opacitySlider() const { return opacity_; }
    ImageCanvas* canvas() const { return canvas_; }
    /// "Why was this picked" under the legend (rich text; empty hides it).
    void setWhyPicked(const QString& text);
    QString whyPickedText() const;

Q_SIGNALS:
    /// A new detail was drawn (the plots follow it).
    void detailChanged(const freesel::ImageDetail& detail);

private:
    void requestDetail();
    void onDetail(const ImageDetail& detail);
    void redraw();

    ImageDetailLoader* loader_;
    ImageCanvas* canvas_;
    QCheckBox* heatmap_;
    QCheckBox* mask_;
    QCheckBox* clusters_;
    QSlider* opacity_;
    QLabel* title_;
    QLabel* legend_;
    QLabel* whyPicked_;
    QLabel* zoom_;
    int drawnIndex_ = -1; ///< pool index of the image on the canvas
    int poolIndex_ = -1;
    int rank_ = 0;
    QString path_;
    PatternParameters parameters_;
    OverlayOptions options_;
    ImageDetail detail_;
    QImage composed_;
};

} // namespace freesel
