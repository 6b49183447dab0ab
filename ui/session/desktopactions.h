#pragma once
// Small actions on the operator's desktop shared by the context menus: clipboard, file manager.

#include <QString>

namespace DesktopActions {

void copyText(const QString& text);
/// Opens the folder that contains `path` in the file manager (the path itself if a folder).
bool showInFileManager(const QString& path);

} // namespace DesktopActions
