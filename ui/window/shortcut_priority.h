// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QKeySequence>
#include <QList>
#include <QObject>

class QWidget;

namespace freesel {

/// Makes a window's own shortcuts win over its text fields: a QLineEdit on X11 claims Ctrl+E
/// (end of line) and Ctrl+F as editing keys, so Export and Find did nothing while a field had
/// focus. An application event filter declines the field's ShortcutOverride for `sequences`
/// inside `window`, and the shortcut map then triggers the window's action.
class ShortcutPriority : public QObject {
    Q_OBJECT
public:
    ShortcutPriority(QWidget* window, QList<QKeySequence> sequences);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QWidget* window_;
    QList<QKeySequence> sequences_;
};

} // namespace freesel
