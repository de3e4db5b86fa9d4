// SPDX-License-Identifier: GPL-3.0-or-later
#include "pool/selection_diff_view.h"

#include "pool/thumbnail_cache.h"

#include <QFileInfo>
#include <QPixmap>

#include <unordered_set>

namespace freesel {

SelectionDiffView::SelectionDiffView(QWidget* parent)
    : QListWidget(parent), thumbnails_(new ThumbnailCache(96, 2000, this)) {
    setObjectName(QStringLiteral("selectionDiff"));
    setViewMode(QListView::IconMode);
    setIconSize(QSize(96, 96));
    setGridSize(QSize(118, 132));
    setResizeMode(QListView::Adjust);
    setMovement(QListView::Static);
    setUniformItemSizes(true);
    connect(thumbnails_, &ThumbnailCache::thumbnailReady, this, &SelectionDiffView::onThumbnail);
}

void SelectionDiffView::setPool(const QStringList& paths) {
    thumbnails_->setPaths(paths);
    rebuild();
}

void SelectionDiffView::setSelections(const std::vector<int>& a, const std::vector<int>& b) {
    a_ = a;
    b_ = b;
    rebuild();
}

void SelectionDiffView::setMode(Mode mode) {
    mode_ = mode;
    rebuild();
}

void SelectionDiffView::rebuild() {
    clear();
    shown_.clear();
    const std::unordered_set<int> inA(a_.begin(), a_.end()), inB(b_.begin(), b_.end());
    auto add = [&](int image, bool a, bool b) {
        const bool wanted = (mode_ == Mode::OnlyA && a && !b) ||
                            (mode_ == Mode::OnlyB && b && !a) || (mode_ == Mode::Both && a && b) ||
                            mode_ == Mode::Union;
        if (!wanted)
            return;
        shown_.push_back(image);
        const QString badge = a && b ? tr("both") : a ? tr("A only") : tr("B only");
        auto* item = new QListWidgetItem(badge, this);
        item->setData(Qt::UserRole, image);
        // Colour by membership, so the two selections read apart at a glance.
        item->setForeground(a && b ? QColor(0x2c, 0xa0, 0x2c)
                            : a    ? QColor(0x1f, 0x77, 0xb4)
                                   : QColor(0xd6, 0x27, 0x28));
        const QImage thumbnail = thumbnails_->thumbnail(image);
        if (!thumbnail.isNull())
            item->setIcon(QPixmap::fromImage(thumbnail));
    };
    for (int image : a_)
        add(image, true, inB.count(image) > 0);
    for (int image : b_)
        if (!inA.count(image))
            add(image, false, true);
}

void SelectionDiffView::onThumbnail(int index) {
    for (int row = 0; row < count(); ++row) {
        QListWidgetItem* it = item(row);
        if (it->data(Qt::UserRole).toInt() == index) {
            const QImage thumbnail = thumbnails_->thumbnail(index);
            if (!thumbnail.isNull())
                it->setIcon(QPixmap::fromImage(thumbnail));
        }
    }
}

} // namespace freesel
