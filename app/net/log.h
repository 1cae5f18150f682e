#pragma once

#include <QLoggingCategory>

// Categories of the network layer; enable with QT_LOGGING_RULES="cutover.net*.debug=true".
Q_DECLARE_LOGGING_CATEGORY(lcNet)
Q_DECLARE_LOGGING_CATEGORY(lcNetHttp)
Q_DECLARE_LOGGING_CATEGORY(lcNetStream)
