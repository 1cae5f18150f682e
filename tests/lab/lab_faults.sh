#!/usr/bin/env bash
# lab_faults: the collector stubs' data faults (issue 14) do what the parity checks will judge.
# On one legacy collector (it receives the traffic): `drop 5` exports 95% of what it accepts,
# exactly, `cardinality 3` triples its stream series, `latency 400` answers five times slower, a
# value out of range is refused, and `healthy` clears them all. Leaves the collector healthy,
# also when a check fails.
#
# Usage: lab_faults.sh PATH/TO/scripts/lab   (with CUTOVER_LAB_STATE and LAB_DIR set, as CTest does)
set -euo pipefail

lab="${1:?usage: lab_faults.sh PATH/TO/scripts/lab}"
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"

collector=""
for i in 1 2 3 4 5; do
    pool="LAB_COLLECTOR_${i}_POOL"
    if [[ ${!pool} == legacy ]]; then
        collector="$i"
        break
    fi
done
[[ -n $collector ]] || {
    echo "FAIL: the lab state names no legacy collector" >&2
    exit 1
}
port_var="LAB_COLLECTOR_${collector}_PORT"
metrics_url="http://127.0.0.1:${!port_var}/metrics"
trap '"$lab" collector "$collector" healthy >/dev/null 2>&1 || true' EXIT

# value NAME TEXT: the value of the one sample of NAME (any labels) in a scrape.
value() {
    sed -n "s/^$1\\({[^}]*}\\)\\{0,1\\} \\([0-9.]*\\)\$/\\2/p" <<<"$2"
}
stream_series() {
    curl -fsS --max-time 2 "$metrics_url" | grep -c '^lab_collector_stream_points{' || true
}

"$lab" collector "$collector" healthy >/dev/null
series="$(stream_series)"
[[ $series == 10 ]] && pass "healthy: 10 stream series" || fail "healthy: $series stream series, expected 10"

# The baseline is read after the fault is on: every point counted below lost its 5%.
"$lab" collector "$collector" drop 5 >/dev/null
# One scrape for both counters: the lab's traffic keeps arriving between two.
scrape="$(curl -fsS --max-time 2 "$metrics_url")"
accepted0="$(value otelcol_receiver_accepted_metric_points "$scrape")"
sent0="$(value otelcol_exporter_sent_metric_points "$scrape")"
# 2,000 points in one request, besides the lab's own traffic: both lose 5%.
body="$(seq 1 2000)"
curl -fsS --max-time 5 -o /dev/null --data-binary "$body" "http://127.0.0.1:${!port_var}/otlp" ||
    fail "the collector did not accept a POST of 2,000 points"
scrape="$(curl -fsS --max-time 2 "$metrics_url")"
accepted1="$(value otelcol_receiver_accepted_metric_points "$scrape")"
sent1="$(value otelcol_exporter_sent_metric_points "$scrape")"
accepted=$((accepted1 - accepted0))
sent=$((sent1 - sent0))
# 95% of the accepted points, to the point (the fraction carries over: at most 1 short).
expected=$((accepted * 95 / 100))
if ((accepted >= 2000 && sent >= expected - 1 && sent <= expected + 1)); then
    pass "drop 5: $sent of $accepted accepted points exported ($expected expected)"
else
    fail "drop 5: $sent of $accepted accepted points exported, expected $expected (and >= 2000 accepted)"
fi

"$lab" collector "$collector" cardinality 3 >/dev/null
series="$(stream_series)"
[[ $series == 30 ]] && pass "cardinality 3: 30 stream series" || fail "cardinality 3: $series stream series, expected 30"

# latency 400: a healthy answer takes LAB_COLLECTOR_LATENCY_MS, now five times that.
base_ms="${LAB_COLLECTOR_LATENCY_MS:-50}"
"$lab" collector "$collector" latency 400 >/dev/null
slow_s="$(curl -fsS --max-time 5 -o /dev/null -w '%{time_total}' --data-binary 1 \
    "http://127.0.0.1:${!port_var}/otlp")" || slow_s=0
slow_ms="$(awk -v s="$slow_s" 'BEGIN { printf "%d", s * 1000 }')"
if ((base_ms > 0 && slow_ms >= 5 * base_ms * 9 / 10)); then
    pass "latency 400: an answer took $slow_ms ms (healthy: $base_ms ms)"
else
    fail "latency 400: an answer took $slow_ms ms, expected >= $((5 * base_ms * 9 / 10)) ms"
fi

if "$lab" collector "$collector" drop 101 >/dev/null 2>&1; then
    fail "drop 101 was accepted"
else
    pass "drop 101 refused"
fi

"$lab" collector "$collector" healthy >/dev/null
control_var="LAB_COLLECTOR_${collector}_CONTROL_URL"
control="$(curl -fsS --max-time 2 "${!control_var}")"
if [[ $control == *'"drop":0,'* && $control == *'"cardinality":1}'* && $(stream_series) == 10 ]]; then
    pass "healthy clears the faults: $control"
else
    fail "healthy left faults: $control"
fi

if ((failures > 0)); then
    echo "lab_faults: $failures check(s) failed" >&2
    exit 1
fi
echo "lab_faults: all checks passed"
