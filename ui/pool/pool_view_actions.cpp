// SPDX-License-Identifier: GPL-3.0-or-later
#include "pool/pool_view_actions.h"

#include "pool/pool_model.h"

#include <QAction>
#include <QItemSelectionModel>
#include <QListView>

namespace freesel {

PoolViewActions::PoolViewActions(QListView* view) : QObject(view), view_(view) {
    preview_ = add(tr("Preview full size"), QKeySequence(Qt::Key_Space), QStringLiteral("preview"));
    auto* separator = new QAction(this);
    separator->setSeparator(true);
    view_->addAction(separator);
    exclude_ =
        add(tr("Exclude from the selection"), QKeySequence(Qt::Key_X), QStringLiteral("exclude"));
    labelled_ = add(tr("Mark as labelled"), QKeySequence(Qt::Key_L), QStringLiteral("labelled"));
    include_ = add(tr("Include by hand (always selected)"), QKeySequence(Qt::Key_I),
                   QStringLiteral("include"));
    clear_ = add(tr("Clear the mark"), QKeySequence(Qt::Key_U), QStringLiteral("clearMark"));
    view_->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(preview_, &QAction::triggered, this, [this] {
        const QModelIndex current = view_->currentIndex();
        if (current.isValid())
            Q_EMIT previewRequested(current.data(PoolModel::PoolIndexRole).toInt());
    });
    connect(view_, &QListView::doubleClicked, this, [this](const QModelIndex& index) {
        Q_EMIT previewRequested(index.data(PoolModel::PoolIndexRole).toInt());
    });
    auto mark = [this](PoolMark kind) {
        const QList<int> images = chosenImages();
        if (!images.isEmpty())
            Q_EMIT markRequested(images, kind);
    };
    connect(exclude_, &QAction::triggered, this, [mark] { mark(PoolMark::Excluded); });
    connect(labelled_, &QAction::triggered, this, [mark] { mark(PoolMark::Labelled); });
    connect(include_, &QAction::triggered, this, [mark] { mark(PoolMark::Included); });
    connect(clear_, &QAction::triggered, this, [mark] { mark(PoolMark::None); });
}

QAction* PoolViewActions::add(const QString& text, const QKeySequence& key, const QString& name) {
    auto* action = new QAction(text, this);
    action->setObjectName(name);
    action->setShortcut(key);
    // Only while the grid has focus: X, L, I, U and Space type into the text fields elsewhere.
    action->setShortcutContext(Qt::WidgetShortcut);
    view_->addAction(action);
    return action;
}

QList<int> PoolViewActions::chosenImages() const {
    QList<int> images;
    for (const QModelIndex& index : view_->selectionModel()->selectedIndexes())
        images.append(index.data(PoolModel::PoolIndexRole).toInt());
    if (images.isEmpty() && view_->currentIndex().isValid())
        images.append(view_->currentIndex().data(PoolModel::PoolIndexRole).toInt());
    return images;
}

} // namespace freesel
