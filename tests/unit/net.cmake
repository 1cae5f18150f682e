# The network layer and the backend clients (issue 3). Hostile-server tests use a local
# QTcpServer on 127.0.0.1 for what real servers will not do on demand.
console_add_test(test_net_request SOURCES test_net_request.cpp LABELS unit)
console_add_test(test_backends_weights SOURCES test_backends_weights.cpp LABELS unit)
console_add_test(test_backends_balance SOURCES test_backends_balance.cpp LABELS unit)
console_add_test(test_backends_haproxy SOURCES test_backends_haproxy.cpp LABELS unit)
console_add_test(test_net_hostile_http SOURCES test_net_hostile_http.cpp LABELS unit TIMEOUT 120)
console_add_test(test_backends_prometheus SOURCES test_backends_prometheus.cpp LABELS unit)
console_add_test(test_backends_webhook SOURCES test_backends_webhook.cpp LABELS unit)
