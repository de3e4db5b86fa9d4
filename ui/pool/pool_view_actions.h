// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the grid offers on its images, as actions with keys and in the context menu: the
// full-size preview (Space, double-click), excluding by hand (X), marking as labelled (L),
// including again (I). The window acts on the requests.

#include "pool/pool_marks.h"

#include <QList>
#include <QObject>

class QAction;
class QListView;

namespace freesel {

class PoolViewActions : public QObject {
    Q_OBJECT
public:
    explicit PoolViewActions(QListView* view);

    QAction* previewAction() const { return preview_; }
    QAction* excludeAction() const { return exclude_; }
    QAction* labelledAction() const { return labelled_; }
    QAction* includeAction() const { return include_; }
    QAction* clearMarkAction() const { return clear_; }
    /// Pool indices of the selected images of the grid (the current one when none).
    QList<int> chosenImages() const;

Q_SIGNALS:
    void previewRequested(int poolIndex);
    void markRequested(const QList<int>& poolIndices, freesel::PoolMark mark);

private:
    QAction* add(const QString& text, const QKeySequence& key, const QString& name);

    QListView* view_;
    QAction* preview_;
    QAction* exclude_;
    QAction* labelled_;
    QAction* include_;
    QAction* clear_;
};

} // namespace freesel
