// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStyledItemDelegate>

namespace freesel {

/// Paints one grid cell: the thumbnail, the file name, a rank badge on selected images and a
/// red mark on images that could not be used.
class PoolDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit PoolDelegate(int thumbnailSide, QObject* parent = nullptr);
    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

    /// The colour of rank badges and selected-image frames (shared with the plots' legend).
    static QColor selectedColour();

private:
    int side_;
};

} // namespace freesel
