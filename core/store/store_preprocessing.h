// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The preprocessing a store's features were made with, read back from its fingerprint, so a
// reader of the store (the Studio's image view) knows which part of each image the stored
// patch grid covers without the backend that wrote it.

#include "image/grid_coverage.h"
#include "store/feature_store.h"

#include <optional>

namespace freesel {

/// resizeSpecFingerprint's inverse ("fixed:224x224", "short:224/p16/max0", "none");
/// std::nullopt for any other text.
std::optional<ResizeSpec> parseResizeSpecFingerprint(const QString& text);

/// The input resize of `fingerprint` and, when its backend part carries
/// kCentreCropFingerprintTag, a centre crop of the resize's short side (CLIP: short side to S,
/// then the S x S centre). A fingerprint this version cannot read gives the whole-image default
/// (a square resize, no crop).
InputPreprocessing storePreprocessing(const StoreFingerprint& fingerprint);

} // namespace freesel
