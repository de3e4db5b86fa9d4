// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace freesel {

/// Writes the embedded default pool: `count` procedurally drawn JPEG scenes (sky, grass,
/// water, indoor floor... with objects of several shapes, colours and sizes), reproducible
/// from `seed`, so the whole product can be tried on a fresh machine with nothing downloaded.
/// Returns an empty string on success, else an error naming the folder.
QString writeDemoPool(const QString& folder, int count = 120, unsigned seed = 7);

/// Where `freesel demo` and `freesel-studio --demo` keep the demo: <cache>/freesel/demo, with
/// the pool in pool/, the feature store in store/ (shared, so either reuses the other's work).
struct DemoFolders {
    QString root;
    QString pool() const { return root + QStringLiteral("/pool"); }
    QString store() const { return root + QStringLiteral("/store"); }
};
DemoFolders demoFolders(const QString& root = QString());

/// Writes the demo pool into `folders.pool()` unless it is there already; "" or an error.
QString ensureDemoPool(const DemoFolders& folders);

/// The demo's selection: the offline backend (no weights), 12 images, every other parameter
/// at its default. The CLI's and the Studio's demo run exactly this.
constexpr int kDemoBudget = 12;

} // namespace freesel
