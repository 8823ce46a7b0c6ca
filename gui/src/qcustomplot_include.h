// Includes QCustomPlot in a target built with QT_NO_KEYWORDS.
// Debian's qcustomplot.h uses Qt's lower-case keywords (signals, slots, emit, foreach), which
// QT_NO_KEYWORDS (needed beside LibTorch) removes; map them to the Q_ macros for this header only.
#pragma once

#ifdef QT_NO_KEYWORDS
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
#else
#include <qcustomplot.h>
#endif
