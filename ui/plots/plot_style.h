// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The look every plot shares: the legend in its own row below the axes (never over the data)
// and colours that follow the application palette (the dark theme included).

class QCustomPlot;
class QPalette;

namespace freesel {

/// Moves the legend out of the axis rectangle into a row below it, entries side by side.
void placeLegendBelow(QCustomPlot* plot);
/// Background, axes, grid, labels and legend from `palette` (Window, WindowText, Mid, Base).
void applyPlotPalette(QCustomPlot* plot, const QPalette& palette);

} // namespace freesel
