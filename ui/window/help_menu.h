// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The Help menu's pages: the keyboard shortcuts, and the user guide, command line and
// algorithm documents (docs/*.md, compiled into the program, so they work offline).

class QMenu;
class QWidget;

namespace freesel {

/// Adds "Keyboard shortcuts" (F1) and the three documents to `help`.
void addHelpPages(QMenu* help, QWidget* parent);

} // namespace freesel
