// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// QCustomPlot's header uses the signals/slots/emit keywords that QT_NO_KEYWORDS (set
// project-wide for LibTorch) removes; map them for this one include only.
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
