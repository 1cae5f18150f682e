#pragma once

namespace cutover::ui {

enum class Theme { Dark, Light };

// Fusion with a dark (default: war rooms are dim, screens are on for weeks) or light palette.
void applyTheme(Theme theme);

} // namespace cutover::ui
