// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/shortcut_priority.h"

#include <QApplication>
#include <QKeyEvent>
#include <QWidget>

namespace freesel {

ShortcutPriority::ShortcutPriority(QWidget* window, QList<QKeySequence> sequences)
    : QObject(window), window_(window), sequences_(std::move(sequences)) {
    qApp->installEventFilter(this);
}

bool ShortcutPriority::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() != QEvent::ShortcutOverride)
        return false;
    auto* key = static_cast<QKeyEvent*>(event);
    auto* widget = qobject_cast<QWidget*>(watched);
    if (!widget || !window_->isAncestorOf(widget) ||
        !sequences_.contains(QKeySequence(key->keyCombination())))
        return false;
    key->ignore(); // not the field's: the shortcut map triggers the window's action instead
    return true;
}

} // namespace freesel
