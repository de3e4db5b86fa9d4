// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Draws the teaching overlays of one image (docs/GUI.md, "Right: the teaching view"): the [CLS]
// attention heatmap, the attention-filter mask at tau, and the spectral clusters with one
// colour per semantic pattern. Pure painting: everything comes from an ImageDetail.

#include "worker/image_detail_loader.h"

#include <QColor>
#include <QImage>

namespace freesel {

struct OverlayOptions {
    bool heatmap = true;
    bool mask = true;
    bool clusters = true;
    double opacity = 0.55; ///< of the heatmap and cluster colours, [0, 1]
};

/// The colour of pattern `k`: 20 distinct colours, none grey, then golden-angle hues.
QColor patternColour(int k);
/// A perceptual dark-to-bright colour map for the heatmap, t in [0, 1].
QColor heatColour(double t);

/// The image with the enabled overlays composed on top (a copy; `detail.image` is untouched).
/// Without features only the image is returned. The grid's cells are laid over
/// detail.gridArea (the whole image when it is null); with the mask on, the image outside that
/// area (what CLIP's centre crop cut off) is darkened.
QImage renderOverlays(const ImageDetail& detail, const OverlayOptions& options);

/// Patches per pattern, in pattern order (for the legend).
std::vector<int> patchesPerPattern(const ImageDetail& detail);

} // namespace freesel
