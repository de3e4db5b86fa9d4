// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "export/selection_export.h"

namespace freesel {

/// Folder and list pools do not know image sizes; COCO and CVAT exports need them. Reads the
/// header of each usable image that lacks a size (no decoding).
void fillExportImageSizes(SelectionExport& exported);

} // namespace freesel
