#include "app/backends/log.h"

Q_LOGGING_CATEGORY(lcHaproxy, "cutover.backends.haproxy", QtInfoMsg)
Q_LOGGING_CATEGORY(lcFleet, "cutover.backends.fleet", QtInfoMsg)
Q_LOGGING_CATEGORY(lcPrometheus, "cutover.backends.prometheus", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAlertmanager, "cutover.backends.alertmanager", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWebhook, "cutover.backends.webhook", QtInfoMsg)
