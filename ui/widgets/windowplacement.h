#pragma once
// WindowPlacement: where the main window opens. Its preferred size (1500 x 900) is wider than
// many screens, and without a window manager nobody shrinks a window that does not fit: a
// 1280 px screen cut off the details pane. The first window is fitted to the screen's
// available area; a saved geometry is used only when it fits the current screen.

#include <QRect>
#include <QSize>

class WindowPlacement {
  public:
    static constexpr QSize preferredSize{1500, 900};
    /// Room left for a window manager's frame (title bar, borders) around the window.
    static constexpr QSize frameAllowance{16, 48};

    /// The first window's geometry on a screen whose available area is `available`: the
    /// preferred size, shrunk to fit with room for a frame, centred.
    static QRect firstGeometry(const QRect& available);
    /// True when a window with frame geometry `frame` lies wholly inside `available`.
    static bool fits(const QRect& frame, const QRect& available);
};
