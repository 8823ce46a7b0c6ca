// The colours of the workbench's plots: matplotlib's tab10, as the paper figures (figure.h) use.
//
// Usage:
//   graph->setPen(QPen(paletteColour(model), 1.6));
//
// Errors: none. Thread-safety: any thread.
#pragma once

#include <QColor>

#include <cstddef>

namespace posescope::gui {

inline QColor paletteColour(std::size_t i) {
    static const QColor colours[] = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
                                     {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    return colours[i % (sizeof colours / sizeof colours[0])];
}

}  // namespace posescope::gui
