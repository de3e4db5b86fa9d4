// SPDX-License-Identifier: GPL-3.0-or-later
#include "pool/pool_delegate.h"

#include "plots/cluster_palette.h"
#include "pool/pool_marks.h"
#include "pool/pool_model.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

namespace freesel {

PoolDelegate::PoolDelegate(int thumbnailSide, QObject* parent)
    : QStyledItemDelegate(parent), side_(thumbnailSide) {}

QColor PoolDelegate::selectedColour() {
    return QColor(230, 120, 20);
}

QSize PoolDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const {
    return {side_ + 12, side_ + option.fontMetrics.height() + 14};
}

void PoolDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                         const QModelIndex& index) const {
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const QRect cell = option.rect.adjusted(2, 2, -2, -2);
    const bool current = option.state & QStyle::State_Selected;
    const int rank = index.data(PoolModel::RankRole).toInt();
    const bool failed = index.data(PoolModel::FailedRole).toBool();
    painter->fillRect(cell, current ? option.palette.highlight() : option.palette.base());

    const QRect imageArea(cell.left() + 4, cell.top() + 4, side_, side_);
    const QImage thumb = index.data(PoolModel::ThumbnailRole).value<QImage>();
    if (!thumb.isNull()) {
        QRect target(QPoint(), thumb.size().scaled(imageArea.size(), Qt::KeepAspectRatio));
        target.moveCenter(imageArea.center());
        painter->drawImage(target, thumb);
    } else {
        painter->fillRect(imageArea, option.palette.alternateBase());
    }
    if (const int cluster = index.data(PoolModel::PseudoLabelRole).toInt(); cluster >= 0) {
        // ELFS pseudo-label: a strip in the cluster's colour (as in the cluster-size plot).
        const QRect strip(imageArea.left(), imageArea.bottom() - 7, imageArea.width(), 8);
        painter->fillRect(strip, clusterColour(cluster));
    }
    if (rank > 0) {
        painter->setPen(QPen(selectedColour(), 3));
        painter->setBrush(Qt::NoBrush);
        painter->drawRect(imageArea.adjusted(1, 1, -1, -1));
        QFont font = option.font;
        font.setBold(true);
        painter->setFont(font);
        const QString text = QString::number(rank);
        const int w = std::max(22, QFontMetrics(font).horizontalAdvance(text) + 10);
        const QRect badge(imageArea.left() + 3, imageArea.top() + 3, w, 20);
        painter->setPen(Qt::NoPen);
        painter->setBrush(selectedColour());
        painter->drawRoundedRect(badge, 10, 10);
        painter->setPen(Qt::white);
        painter->drawText(badge, Qt::AlignCenter, text);
    }
    paintMarkBadge(painter, imageArea, option.font,
                   static_cast<PoolMark>(index.data(PoolModel::MarkRole).toInt()));
    if (failed) {
        painter->setPen(QPen(QColor(200, 30, 30), 4));
        painter->drawLine(imageArea.topLeft() + QPoint(20, 20),
                          imageArea.bottomRight() - QPoint(20, 20));
        painter->drawLine(imageArea.topRight() + QPoint(-20, 20),
                          imageArea.bottomLeft() + QPoint(20, -20));
    }
    const QRect textRect(cell.left() + 2, imageArea.bottom() + 4, cell.width() - 4,
                         option.fontMetrics.height());
    painter->setPen(current ? option.palette.highlightedText().color()
                            : option.palette.text().color());
    painter->setFont(option.font);
    painter->drawText(textRect, Qt::AlignCenter,
                      option.fontMetrics.elidedText(index.data(Qt::DisplayRole).toString(),
                                                    Qt::ElideLeft, textRect.width()));
    painter->restore();
}

} // namespace freesel
