#pragma once

namespace cutover::config {

// Organisation and application names: QSettings, data folders and logs are found by them, so
// the window, the command line and the controller must all set the same ones.
void setApplicationIdentity();

} // namespace cutover::config
