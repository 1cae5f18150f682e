#include "app/net/log.h"

Q_LOGGING_CATEGORY(lcNet, "cutover.net", QtInfoMsg)
Q_LOGGING_CATEGORY(lcNetHttp, "cutover.net.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcNetStream, "cutover.net.stream", QtInfoMsg)
