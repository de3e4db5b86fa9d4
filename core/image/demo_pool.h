#pragma once

#include <QString>

namespace freesel {

/// Writes the embedded default pool: `count` procedurally drawn JPEG scenes (sky, grass,
/// water, indoor floor... with objects of several shapes, colours and sizes), reproducible
/// from `seed`, so the whole product can be tried on a fresh machine with nothing downloaded.
/// Returns an empty string on success, else an error naming the folder.
QString writeDemoPool(const QString& folder, int count = 120, unsigned seed = 7);

} // namespace freesel
