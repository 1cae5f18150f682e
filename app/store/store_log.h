#pragma once

#include <QLoggingCategory>

namespace cutover::store {
Q_DECLARE_LOGGING_CATEGORY(lcStore)
} // namespace cutover::store
