// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/export_image_sizes.h"

#include "image/image_header.h"

#include <QFile>

namespace freesel {

void fillExportImageSizes(SelectionExport& exported) {
    for (ExportImage& image : exported.images) {
        if (image.failed || (image.width > 0 && image.height > 0))
            continue;
        QFile file(image.path);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const ImageHeader header = probeImageHeader(file.read(256 * 1024));
        image.width = header.width;
        image.height = header.height;
    }
}

} // namespace freesel
