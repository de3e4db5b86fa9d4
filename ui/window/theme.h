// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The light (platform) and dark themes of the Studio (View > Dark theme): the Fusion style
// with a dark palette, and every plot restyled to follow it.

namespace freesel {

/// Sets the theme of the whole application (saved by the window in its settings).
void applyTheme(bool dark);
bool isDarkTheme();
/// Restyles every plot that exists now from the application palette (new plots call it too).
void restylePlots();

} // namespace freesel
