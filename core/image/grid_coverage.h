// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Where a backend's patch grid lies on the original image. DINO squashes (or short-side
// resizes) the whole image, so its grid covers all of it; CLIP resizes the short side and crops
// the centre square, so on a non-square image its grid covers only that square. The image
// view draws attention and pattern overlays over this rectangle.

#include "image/image_preprocessing.h"

#include <QRectF>
#include <QSize>

namespace freesel {

/// How a backend brings a decoded image to its input: `resize`, then, when centreCrop > 0, the
/// centre centreCrop x centreCrop square of the resized image (torchvision CenterCrop).
struct InputPreprocessing {
    ResizeSpec resize;
    int centreCrop = 0;
};

/// The mark of a centre crop in a backend's fingerprint (ClipBackend writes it; a store's
/// reader recovers the crop from it, storePreprocessing).
inline constexpr char kCentreCropFingerprintTag[] = "preprocess=centre-crop";

/// The offset of a centred `crop` inside `length` as torchvision's CenterCrop computes it:
/// int(round((length - crop) / 2.0)), Python's round (halves to even: (373 - 224) / 2 = 74.5
/// gives 74, (375 - 224) / 2 = 75.5 gives 76).
int centreCropOffset(int length, int crop);

/// The rectangle, in the pixels of an image of `imageSize`, that the patch grid covers: the
/// crop's rectangle in the resized image mapped back through the resize's scale on each axis;
/// the whole image without a crop. Empty for an empty size.
QRectF gridCoverage(const QSize& imageSize, const InputPreprocessing& preprocessing);

} // namespace freesel
